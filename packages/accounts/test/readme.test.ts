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
    [['This password is too short. It must contain at least 8 characters.', 'This password is entirely numeric.']],
    [
      400,
      {
        username: ['Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.'],
        password: ['This password is too common.'],
      },
    ],
    ['hana@example.com', 'argon2id'],
    [true, false],
    [429, { detail: 'Request was throttled. Expected available in 1 second.' }, { 'Retry-After': '1' }],
  ]);
});
