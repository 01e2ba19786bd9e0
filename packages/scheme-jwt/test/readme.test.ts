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
    ['carol', 'jwt'],
    [200, ['access', 'refresh']],
    [200, true],
  ]);
});
