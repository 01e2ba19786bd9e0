import { expect, it } from 'vitest';
import { readmeExample } from '../../../readme-example.js';

// The README's first ```ts block: it type-checks, and prints what its comments say.
const { typeErrors, printed } = readmeExample(import.meta.url);

// A whole program of every package's source: seconds on a quiet machine, a minute or more on a loaded one.
it('type-checks', { timeout: 300_000 }, () => {
  expect(typeErrors()).toEqual([]);
});

it('runs, and prints what its comments say', async () => {
  expect(await printed()).toEqual([
    [true, false],
    [{ id: 'u-1', username: 'ines', email: 'ines@example.com' }],
    [401, { detail: 'Authentication credentials were not provided.' }],
    ['PORT: expected a whole number from 1 to 65535, got "eighty"'],
  ]);
});
