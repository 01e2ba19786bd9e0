import { describe, expect, it } from 'vitest';
import { ApiError } from '@authbench/core';
import { MemoryUsers } from '@authbench/store-conformance';
import { Accounts } from '../src/index.js';

const FAST = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

describe('registrations hash one at a time (registrationHashing), with a bounded line', () => {
  it('runs the first, queues up to the limit, and refuses the rest with a 429 at once', async () => {
    const accounts = new Accounts({ users: new MemoryUsers('number'), hashing: FAST, registrationHashing: 1, registrationQueue: 2 });
    const attempts = Array.from({ length: 5 }, (_, i) =>
      accounts.register({ username: `user${i}`, password: 'correct-horse-battery' }).then(
        (user) => user.username,
        (error: unknown) => (error instanceof ApiError ? error.status : 'other'),
      ),
    );
    // One hashing, two waiting their turn, two refused.
    expect(await Promise.all(attempts)).toEqual(['user0', 'user1', 'user2', 429, 429]);
    // The line drains: a registration afterwards gets its turn.
    expect((await accounts.register({ username: 'later', password: 'correct-horse-battery' })).username).toBe('later');
  });

  it('refuses a width below 1, naming the option', () => {
    expect(() => new Accounts({ users: new MemoryUsers('number'), registrationHashing: 0 })).toThrow(
      'Accounts: options.registrationHashing must be a whole number of at least 1, got 0',
    );
  });
});
