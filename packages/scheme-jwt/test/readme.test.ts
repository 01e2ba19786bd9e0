import { expect, it } from 'vitest';
import { readmeExample } from '../../../readme-example.js';

// The README's first ```ts block: it type-checks, and prints what its comments say.
const { typeErrors, printed } = readmeExample(import.meta.url);

it('type-checks', () => {
  expect(typeErrors()).toEqual([]);
});

it('runs, and prints what its comments say', async () => {
  expect(await printed()).toEqual([
    ['carol', 'jwt'],
    [200, ['access', 'refresh']],
    [200, true],
  ]);
});
