import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { User, UserId, UserRepository } from '@authbench/core';
import type { SeedUser, UserIdKind } from './memory-users.js';

/**
 * A `UserRepository` with the two things the suite needs of the application
 * behind it, done the application's way: nothing here assumes how users are
 * created, stored or hashed.
 */
export interface UserRepositoryUnderTest {
  readonly users: UserRepository;
  /**
   * Adds a user. `id` is given only when the suite was told the repository
   * takes chosen ids (`givenIds`); else the repository assigns one.
   */
  seed(user: SeedUser): Promise<User>;
  /** Changes a user's password, as the application's password change does. */
  changePassword(user: User, password: string): Promise<void>;
  close(): Promise<void> | void;
}

export interface UserRepositoryConformanceOptions {
  /** The type of the ids the repository hands out. */
  readonly ids: UserIdKind;
  /** Whether `seed` keeps an `id` it is given (a table keyed by the application's own ids). */
  readonly givenIds?: boolean | undefined;
}

const PASSWORD = 'correct horse battery staple';

/**
 * What the schemes and routes rely on from the users, wherever they live:
 * the built-in stores (through `Accounts`) or an application's own table.
 */
export function describeUserRepositoryConformance(
  name: string,
  open: () => Promise<UserRepositoryUnderTest>,
  options: UserRepositoryConformanceOptions,
): void {
  const { ids, givenIds = false } = options;
  /** An id of the repository's kind that no user has. */
  const unknownId = (known: readonly User[]): UserId =>
    ids === 'number' ? Math.max(0, ...known.map((u) => Number(u.id))) + 1000 : randomUUID();

  describe(`${name} user repository conformance (${ids} ids)`, () => {
    let repo: UserRepositoryUnderTest;
    let alice: User;
    beforeEach(async () => {
      repo = await open();
      alice = await repo.seed({ username: 'alice', password: PASSWORD, isActive: true });
    });
    afterEach(async () => {
      await repo.close();
    });

    it('finds a user by id and by username, as seeded, with an id of its kind', async () => {
      const bob = await repo.seed({ username: 'bob', password: 'another password', isActive: true });
      expect(typeof alice.id).toBe(ids);
      expect(alice).toMatchObject({ username: 'alice', isActive: true });
      expect(bob.id).not.toBe(alice.id);
      expect(await repo.users.findById(alice.id)).toEqual(alice);
      expect(await repo.users.findByUsername('alice')).toEqual(alice);
      expect(await repo.users.findById(bob.id)).toEqual(bob);
      expect(await repo.users.findByUsername('bob')).toEqual(bob);
    });

    it('answers null for an id or a username no user has', async () => {
      expect(await repo.users.findById(unknownId([alice]))).toBeNull();
      expect(await repo.users.findByUsername('nobody')).toBeNull();
      expect(await repo.users.findByUsername('')).toBeNull();
    });

    it('matches a username exactly, as Django: not in another case, with spaces around, or by a prefix', async () => {
      const upper = await repo.seed({ username: 'Alice', password: PASSWORD, isActive: true });
      expect(await repo.users.findByUsername('Alice')).toEqual(upper);
      expect(await repo.users.findByUsername('alice')).toEqual(alice);
      for (const other of ['ALICE', ' alice', 'alice ', 'alic', 'alice2']) expect(await repo.users.findByUsername(other)).toBeNull();
    });

    if (ids === 'number') {
      it('tells the number from the string of its digits: findById("42") is not user 42', async () => {
        expect(await repo.users.findById(String(alice.id))).toBeNull();
        expect(await repo.users.findById(alice.id)).toEqual(alice);
      });
    } else {
      it('keeps a string id a string, and a number never names it', async () => {
        expect(typeof (await repo.users.findById(alice.id))?.id).toBe('string');
        expect(await repo.users.findById(1)).toBeNull();
      });
    }

    if (givenIds) {
      it('keeps an id it is given, of its kind', async () => {
        const id: UserId = ids === 'number' ? 4242 : randomUUID();
        const carol = await repo.seed({ username: 'carol', password: PASSWORD, isActive: true, id });
        expect(carol.id).toBe(id);
        expect(await repo.users.findById(id)).toEqual(carol);
        expect(await repo.users.findById(typeof id === 'number' ? String(id) : `${id}0`)).toBeNull();
      });
    }

    it('checkPassword: true for the user\u2019s password only', async () => {
      await repo.seed({ username: 'bob', password: 'bobs password', isActive: true });
      expect(await repo.users.checkPassword(alice, PASSWORD)).toBe(true);
      expect(await repo.users.checkPassword(alice, 'bobs password')).toBe(false);
      expect(await repo.users.checkPassword(alice, `${PASSWORD} `)).toBe(false);
      expect(await repo.users.checkPassword(alice, PASSWORD.toUpperCase())).toBe(false);
      expect(await repo.users.checkPassword(alice, '')).toBe(false);
    });

    it('checkPassword with null (a username no user has) is false, whatever the password', async () => {
      expect(await repo.users.checkPassword(null, PASSWORD)).toBe(false);
      expect(await repo.users.checkPassword(null, '')).toBe(false);
    });

    it('returns an inactive user, with isActive false (the schemes refuse them); their password still checks', async () => {
      const dave = await repo.seed({ username: 'dave', password: PASSWORD, isActive: false });
      expect(dave.isActive).toBe(false);
      expect(await repo.users.findById(dave.id)).toEqual(dave);
      expect(await repo.users.findByUsername('dave')).toEqual(dave);
      expect(await repo.users.checkPassword(dave, PASSWORD)).toBe(true);
    });

    it('after a password change the old password fails and the new one passes; passwordStamp, when provided, moves', async () => {
      const stamp = repo.users.passwordStamp?.bind(repo.users);
      const before = stamp ? await stamp(alice) : null;
      if (stamp) {
        expect(typeof before).toBe('string');
        expect(await stamp(alice)).toBe(before); // stable while the password is
      }
      await repo.changePassword(alice, 'a brand new passphrase');
      expect(await repo.users.checkPassword(alice, PASSWORD)).toBe(false);
      expect(await repo.users.checkPassword(alice, 'a brand new passphrase')).toBe(true);
      if (stamp) {
        const after = await stamp(alice);
        expect(typeof after).toBe('string');
        expect(after).not.toBe(before);
      } else {
        expect(repo.users.passwordStamp).toBeUndefined();
      }
    });
  });
}
