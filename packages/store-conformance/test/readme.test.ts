import { expect, it } from 'vitest';
import { readmeExample } from '../../../readme-example.js';

// The README's first ```ts block: it type-checks, and prints what its comments say.
const { file, typeErrors } = readmeExample(import.meta.url);

// The example is a test file: imported here, while this file's tests are collected, it registers
// its suite in this file, and the suite runs before the check below.
await import(file);
const SUITE = 'my app user repository conformance (string ids)';

// A whole program of every package's source: seconds on a quiet machine, a minute or more on a loaded one.
it('type-checks', { timeout: 300_000 }, () => {
  expect(typeErrors()).toEqual([]);
});

it("registered the suite, and every test of it passed", ({ task }) => {
  const suite = task.file.tasks.find((t) => t.name === SUITE);
  expect(suite?.type).toBe('suite');
  const tests = suite?.type === 'suite' ? suite.tasks : [];
  expect(tests.length).toBeGreaterThanOrEqual(7);
  expect(tests.filter((t) => t.result?.state !== 'pass').map((t) => t.name)).toEqual([]);
});
