import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  UsernameTakenError,
  type KnoxTokenRecord,
  type KnoxTokenStore,
  type TokenStore,
  type User,
  type UserId,
  type UserStore,
} from '@authbench/core';

export { describeJwtStoreConformance, type JwtStoreUnderTest } from './jwt.js';
export { describeSessionStoreConformance, type SessionStoreUnderTest } from './sessions.js';
export { describeThrottleStoreConformance, type ThrottleStoreUnderTest } from './throttle.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export { MemoryUsers, type SeedUser, type UserIdKind } from './memory-users.js';
export { describeUserRepositoryConformance, type UserRepositoryConformanceOptions, type UserRepositoryUnderTest } from './user-repository.js';
export { describeExternalUsersConformance, type CredentialSuite, type ExternalUsersOptions, type ExternalUsersStores } from './external-users.js';

/**
 * The behaviour every storage engine owes the schemes. An engine's test file
 * calls these with a factory for a fresh, empty store; a new engine needs no
 * new tests, only a factory.
 */
export interface StoreUnderTest {
  readonly users: UserStore;
  readonly tokens: TokenStore;
  readonly knoxTokens: KnoxTokenStore;
  close(): Promise<void> | void;
}

const KEY_A = 'a'.repeat(40);
const KEY_B = '0123456789abcdef0123456789abcdef01234567';
const NOW = '2026-11-22T10:00:00.000Z';

// Knox: token keys are a token's first 15 characters; times one fixed width.
const KNOX_KEY_1 = '0123456789abcde';
const KNOX_KEY_2 = 'fedcba987654321';
const KNOX_KEY_3 = 'aaaaaaaaaaaaaaa';
const BEFORE = '2026-11-22T09:00:00.000Z';
const T1 = '2026-11-22T11:00:00.000Z';
const T2 = '2026-11-22T12:00:00.000Z';
const EXPIRY = '2026-11-22T20:00:00.000Z';
const EXPIRY_LATER = '2026-11-23T08:00:00.000Z';

/** An id no user of the test has, of the same type as `id`. */
const otherId = (id: UserId): UserId => (typeof id === 'number' ? id + 1000 : `${id}-other`);
const byUsername = (x: { readonly user: User }, y: { readonly user: User }) => (x.user.username < y.user.username ? -1 : 1);

export interface StoreConformanceOptions {
  /**
   * Whether `users` is the engine's own user store, whose own behaviour is
   * then tested too. False when it stands for an application's users
   * (external-users mode): only the credential stores are under test.
   */
  readonly users?: boolean | undefined;
}

export function describeStoreConformance(engine: string, open: () => Promise<StoreUnderTest>, options: StoreConformanceOptions = {}): void {
  describe(`${engine} store conformance`, () => {
    let store: StoreUnderTest;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    const alice = () => store.users.create({ username: 'alice', email: 'alice@example.com', passwordHash: 'argon2$hash-a' });

    if (options.users ?? true) describe('users', () => {
      it('creates a user, active, with an increasing id and a join date', async () => {
        const a = await alice();
        const b = await store.users.create({ username: 'bob', email: '', passwordHash: 'x' });
        expect(a).toMatchObject({ username: 'alice', email: 'alice@example.com', isActive: true });
        expect(typeof a.id).toBe('number');
        expect(Number(b.id)).toBeGreaterThan(Number(a.id));
        expect(Number.isNaN(Date.parse(a.dateJoined))).toBe(false);
      });

      it('refuses a taken username with UsernameTakenError, matching case exactly as Django', async () => {
        await alice();
        await expect(store.users.create({ username: 'alice', email: '', passwordHash: 'x' })).rejects.toBeInstanceOf(UsernameTakenError);
        const other = await store.users.create({ username: 'Alice', email: '', passwordHash: 'x' });
        expect(other.username).toBe('Alice');
      });

      it('finds by id and by username, and null for strangers', async () => {
        const a = await alice();
        expect(await store.users.findById(a.id)).toEqual(a);
        expect(await store.users.findByUsername('alice')).toEqual(a);
        expect(await store.users.findByUsername('ALICE')).toBeNull();
        expect(await store.users.findById(otherId(a.id))).toBeNull();
        expect(await store.users.findById(String(a.id))).toBeNull(); // 42 and "42" are different users
      });

      it('hands out the password hash only through findLogin', async () => {
        const a = await alice();
        expect(await store.users.findLogin('alice')).toEqual({ user: a, passwordHash: 'argon2$hash-a' });
        expect(Object.values(a)).not.toContain('argon2$hash-a');
        expect(await store.users.findLogin('nobody')).toBeNull();
      });

      it('a lookup by a string holding NUL finds nothing (PostgreSQL cannot store one)', async () => {
        await alice();
        expect(await store.users.findByUsername('alice\0')).toBeNull();
        expect(await store.users.findLogin('ali\0ce')).toBeNull();
        expect(await store.tokens.findUserByKey(`${'a'.repeat(39)}\0`)).toBeNull();
        expect(await store.knoxTokens.findByTokenKey('\0'.repeat(15))).toEqual([]);
        expect(await store.knoxTokens.findByTokenKey(KNOX_KEY_1, 'ff\0')).toEqual([]);
      });

      it('lists users in id order', async () => {
        await alice();
        await store.users.create({ username: 'bob', email: '', passwordHash: 'x' });
        expect((await store.users.list()).map((u) => u.username)).toEqual(['alice', 'bob']);
      });

      it('deactivates and reactivates, false for an unknown id', async () => {
        const a = await alice();
        expect(await store.users.setActive(a.id, false)).toBe(true);
        expect((await store.users.findById(a.id))?.isActive).toBe(false);
        expect(await store.users.setActive(a.id, true)).toBe(true);
        expect((await store.users.findById(a.id))?.isActive).toBe(true);
        expect(await store.users.setActive(otherId(a.id), false)).toBe(false);
        expect(await store.users.setActive(String(a.id), false)).toBe(false);
      });

      it('setPassword replaces only that user\u2019s hash, false for an unknown id', async () => {
        const a = await alice();
        const b = await store.users.create({ username: 'bob', email: '', passwordHash: 'argon2$hash-b' });
        expect(await store.users.setPassword(a.id, 'argon2$hash-new')).toBe(true);
        expect(await store.users.findLogin('alice')).toEqual({ user: a, passwordHash: 'argon2$hash-new' });
        expect(await store.users.findLogin('bob')).toEqual({ user: b, passwordHash: 'argon2$hash-b' });
        expect(await store.users.setPassword(otherId(a.id), 'argon2$hash-x')).toBe(false);
      });

      it('setLastLogin records a login for a known user, false for an unknown id', async () => {
        const a = await alice();
        expect(await store.users.setLastLogin(a.id, '2026-12-04T10:00:00.000Z')).toBe(true);
        expect(await store.users.setLastLogin(otherId(a.id), '2026-12-04T10:00:00.000Z')).toBe(false);
        // Not part of the user the schemes see, and nothing else of the user's changes.
        expect(await store.users.findById(a.id)).toEqual(a);
      });

      it('never reuses the id of a deleted user', async () => {
        await alice();
        const b = await store.users.create({ username: 'bob', email: '', passwordHash: 'x' });
        expect(await store.users.delete(b.id)).toBe(true);
        expect(await store.users.delete(b.id)).toBe(false);
        const c = await store.users.create({ username: 'carol', email: '', passwordHash: 'x' });
        expect(Number(c.id)).toBeGreaterThan(Number(b.id));
      });
    });

    describe('tokens', () => {
      it('finds the owner of a key in one call, and null for an unknown key', async () => {
        const a = await alice();
        await store.tokens.getOrCreate({ key: KEY_A, userId: a.id, created: NOW });
        expect(await store.tokens.findUserByKey(KEY_A)).toEqual(a);
        expect(await store.tokens.findUserByKey(KEY_B)).toBeNull();
      });

      it('reports an inactive owner as inactive (the scheme refuses them)', async () => {
        const a = await alice();
        await store.tokens.getOrCreate({ key: KEY_A, userId: a.id, created: NOW });
        await store.users.setActive(a.id, false);
        expect((await store.tokens.findUserByKey(KEY_A))?.isActive).toBe(false);
      });

      it('get-or-create keeps the first key: one token per user', async () => {
        const a = await alice();
        const first = await store.tokens.getOrCreate({ key: KEY_A, userId: a.id, created: NOW });
        const second = await store.tokens.getOrCreate({ key: KEY_B, userId: a.id, created: NOW });
        expect(first).toEqual({ token: { key: KEY_A, userId: a.id, created: NOW }, created: true });
        expect(second).toEqual({ token: { key: KEY_A, userId: a.id, created: NOW }, created: false });
        expect(await store.tokens.findUserByKey(KEY_B)).toBeNull();
      });

      it('get-or-create under concurrency still yields one token', async () => {
        const a = await alice();
        const keys = Array.from({ length: 20 }, (_, i) => i.toString(16).padStart(2, '0').repeat(20));
        const results = await Promise.all(keys.map((key) => store.tokens.getOrCreate({ key, userId: a.id, created: NOW })));
        expect(new Set(results.map((r) => r.token.key)).size).toBe(1);
        expect(results.filter((r) => r.created)).toHaveLength(1);
      });

      it('get-or-create racing delete-by-user never fails, and answers a token that was the user\u2019s', async () => {
        const a = await alice();
        for (let round = 0; round < 200; round++) {
          const key = round.toString(16).padStart(4, '0').repeat(10);
          const [result] = await Promise.all([store.tokens.getOrCreate({ key, userId: a.id, created: NOW }), store.tokens.deleteByUser(a.id)]);
          expect(result.token.userId).toBe(a.id);
          expect(result.token.key).toMatch(/^[0-9a-f]{40}$/);
        }
      });

      it('replace swaps the key; the old one stops working', async () => {
        const a = await alice();
        await store.tokens.getOrCreate({ key: KEY_A, userId: a.id, created: NOW });
        await store.tokens.replace({ key: KEY_B, userId: a.id, created: NOW });
        expect(await store.tokens.findUserByKey(KEY_A)).toBeNull();
        expect(await store.tokens.findUserByKey(KEY_B)).toEqual(a);
        expect((await store.tokens.findByUser(a.id))?.key).toBe(KEY_B);
      });

      it('deletes by user, false when there was none', async () => {
        const a = await alice();
        await store.tokens.getOrCreate({ key: KEY_A, userId: a.id, created: NOW });
        expect(await store.tokens.deleteByUser(a.id)).toBe(true);
        expect(await store.tokens.deleteByUser(a.id)).toBe(false);
        expect(await store.tokens.findUserByKey(KEY_A)).toBeNull();
        expect(await store.tokens.findByUser(a.id)).toBeNull();
      });

      it("deleting a user deletes their token", async () => {
        const a = await alice();
        await store.tokens.getOrCreate({ key: KEY_A, userId: a.id, created: NOW });
        await store.users.delete(a.id);
        expect(await store.tokens.findUserByKey(KEY_A)).toBeNull();
        expect(await store.tokens.findByUser(a.id)).toBeNull();
      });
    });

    describe('knox tokens', () => {
      let a: User;
      let b: User;
      beforeEach(async () => {
        a = await alice();
        b = await store.users.create({ username: 'bob', email: 'bob@example.com', passwordHash: 'x' });
      });

      /** A record as the scheme writes it; the digest is a real sha512 hex, distinct per user and key. */
      const knox = (tokenKey: string, user: User, overrides: Partial<KnoxTokenRecord> = {}): KnoxTokenRecord => ({
        tokenKey,
        digest: createHash('sha512').update(`${user.id}/${tokenKey}/${overrides.created ?? NOW}`).digest('hex'),
        userId: user.id,
        created: NOW,
        expiry: EXPIRY,
        client: `client-${tokenKey}`,
        lastUsed: null,
        ...overrides,
      });
      const unlimited = { max: null, now: NOW };
      const keysOf = (records: readonly KnoxTokenRecord[]) => records.map((r) => r.tokenKey);

      it('findByTokenKey returns every candidate with its user, also two users sharing a key', async () => {
        expect(await store.knoxTokens.create(knox(KNOX_KEY_1, a), unlimited)).toBe('created');
        expect(await store.knoxTokens.create(knox(KNOX_KEY_1, b, { expiry: null }), unlimited)).toBe('created');
        expect(await store.knoxTokens.create(knox(KNOX_KEY_2, a), unlimited)).toBe('created');
        const found = await store.knoxTokens.findByTokenKey(KNOX_KEY_1);
        expect([...found].sort(byUsername)).toEqual([
          { token: knox(KNOX_KEY_1, a), user: a },
          { token: knox(KNOX_KEY_1, b, { expiry: null }), user: b },
        ]);
        expect(await store.knoxTokens.findByTokenKey(KNOX_KEY_2)).toEqual([{ token: knox(KNOX_KEY_2, a), user: a }]);
        expect(await store.knoxTokens.findByTokenKey(KNOX_KEY_3)).toEqual([]);
      });

      it('findByTokenKey with a digest returns only that token: a wrong digest finds nothing, as an unknown key does', async () => {
        await store.knoxTokens.create(knox(KNOX_KEY_1, a), unlimited);
        await store.knoxTokens.create(knox(KNOX_KEY_1, b), unlimited);
        const bobs = knox(KNOX_KEY_1, b);
        expect(await store.knoxTokens.findByTokenKey(KNOX_KEY_1, bobs.digest)).toEqual([{ token: bobs, user: b }]);
        expect(await store.knoxTokens.findByTokenKey(KNOX_KEY_1, 'f'.repeat(128))).toEqual([]);
        expect(await store.knoxTokens.findByTokenKey(KNOX_KEY_3, bobs.digest)).toEqual([]);
      });

      it('findByTokenKey returns expired tokens too (the scheme deletes them) and reports an inactive owner', async () => {
        await store.knoxTokens.create(knox(KNOX_KEY_1, a, { expiry: BEFORE }), unlimited);
        await store.users.setActive(a.id, false);
        expect(await store.knoxTokens.findByTokenKey(KNOX_KEY_1)).toEqual([
          { token: knox(KNOX_KEY_1, a, { expiry: BEFORE }), user: { ...a, isActive: false } },
        ]);
      });

      it("create: 'key-taken' for the same user and token key, keeping the first; another user may use the key", async () => {
        const first = knox(KNOX_KEY_1, a);
        expect(await store.knoxTokens.create(first, unlimited)).toBe('created');
        const again = { ...first, digest: 'f'.repeat(128), created: T1, client: 'other' };
        expect(await store.knoxTokens.create(again, unlimited)).toBe('key-taken');
        expect(await store.knoxTokens.create(again, { max: 5, now: NOW })).toBe('key-taken');
        expect(await store.knoxTokens.findByTokenKey(KNOX_KEY_1)).toEqual([{ token: first, user: a }]);
        expect(await store.knoxTokens.create(knox(KNOX_KEY_1, b), unlimited)).toBe('created');
        expect(await store.knoxTokens.findByTokenKey(KNOX_KEY_1)).toHaveLength(2);
      });

      it("create: 'limit-reached' counts only the user's live tokens: expired ones do not count, a null expiry does", async () => {
        const limit2 = { max: 2, now: NOW };
        await store.knoxTokens.create(knox('expired-000000a', a, { expiry: BEFORE }), unlimited);
        await store.knoxTokens.create(knox('expired-000000b', a, { expiry: BEFORE }), unlimited);
        await store.knoxTokens.create(knox('at-now-0000000c', a, { expiry: NOW }), unlimited); // expired at `now` exactly
        await store.knoxTokens.create(knox('bobs-0000000001', b), unlimited);
        await store.knoxTokens.create(knox('bobs-0000000002', b), unlimited);
        expect(await store.knoxTokens.create(knox('forever-0000001', a, { expiry: null }), limit2)).toBe('created');
        expect(await store.knoxTokens.create(knox('live-0000000001', a), limit2)).toBe('created');
        expect(await store.knoxTokens.create(knox('live-0000000002', a), limit2)).toBe('limit-reached');
        expect(await store.knoxTokens.findByTokenKey('live-0000000002')).toEqual([]);
        expect(await store.knoxTokens.create(knox('forever-0000002', a, { expiry: null }), limit2)).toBe('limit-reached');
        // Later the expiring one has expired and frees a place; the never-expiring one still counts.
        expect(await store.knoxTokens.create(knox('live-0000000003', a), { max: 2, now: EXPIRY })).toBe('created');
        expect(await store.knoxTokens.create(knox('live-0000000004', a), { max: 3, now: NOW })).toBe('limit-reached');
        expect(await store.knoxTokens.create(knox('live-0000000004', a), { max: 4, now: NOW })).toBe('created');
        expect(keysOf(await store.knoxTokens.listLive(a.id, NOW)).sort()).toEqual([
          'forever-0000001',
          'live-0000000001',
          'live-0000000003',
          'live-0000000004',
        ]);
      });

      it('the limit holds under concurrent creates: exactly max are created', async () => {
        const keys = Array.from({ length: 20 }, (_, i) => `concurrent-${i.toString(16).padStart(4, '0')}`);
        const results = await Promise.all(keys.map((key) => store.knoxTokens.create(knox(key, a), { max: 3, now: NOW })));
        expect(results.filter((r) => r === 'created')).toHaveLength(3);
        expect(results.filter((r) => r === 'limit-reached')).toHaveLength(17);
        const live = await store.knoxTokens.listLive(a.id, NOW);
        expect(live).toHaveLength(3);
        expect(new Set(keysOf(live))).toEqual(new Set(keys.filter((_, i) => results[i] === 'created')));
      });

      it('listLive lists the user\u2019s unexpired tokens newest first, with null expiry, never expired or others\u2019', async () => {
        await store.knoxTokens.create(knox(KNOX_KEY_2, a, { created: T1, expiry: null }), unlimited);
        await store.knoxTokens.create(knox(KNOX_KEY_1, a, { created: NOW }), unlimited);
        await store.knoxTokens.create(knox(KNOX_KEY_3, a, { created: T2, expiry: EXPIRY_LATER }), unlimited);
        await store.knoxTokens.create(knox('expired-0000001', a, { created: BEFORE, expiry: T1 }), unlimited);
        await store.knoxTokens.create(knox('bobs-0000000001', b, { created: T2 }), unlimited);
        expect(await store.knoxTokens.listLive(a.id, T2)).toEqual([
          knox(KNOX_KEY_3, a, { created: T2, expiry: EXPIRY_LATER }),
          knox(KNOX_KEY_2, a, { created: T1, expiry: null }),
          knox(KNOX_KEY_1, a, { created: NOW }),
        ]);
        expect(keysOf(await store.knoxTokens.listLive(a.id, BEFORE))).toEqual([KNOX_KEY_3, KNOX_KEY_2, KNOX_KEY_1, 'expired-0000001']);
        // At the expiry instant a token is expired.
        expect(keysOf(await store.knoxTokens.listLive(a.id, EXPIRY))).toEqual([KNOX_KEY_3, KNOX_KEY_2]);
        expect(keysOf(await store.knoxTokens.listLive(b.id, T2))).toEqual(['bobs-0000000001']);
        expect(await store.knoxTokens.listLive(otherId(a.id), T2)).toEqual([]);
      });

      it('touch sets last_used and expiry of exactly that token', async () => {
        await store.knoxTokens.create(knox(KNOX_KEY_1, a), unlimited);
        await store.knoxTokens.create(knox(KNOX_KEY_2, a), unlimited);
        await store.knoxTokens.create(knox(KNOX_KEY_1, b), unlimited);
        await store.knoxTokens.touch(a.id, KNOX_KEY_1, T1, EXPIRY_LATER);
        expect(await store.knoxTokens.listLive(a.id, NOW)).toEqual([
          knox(KNOX_KEY_1, a, { lastUsed: T1, expiry: EXPIRY_LATER }),
          knox(KNOX_KEY_2, a),
        ]);
        expect(await store.knoxTokens.listLive(b.id, NOW)).toEqual([knox(KNOX_KEY_1, b)]);
        // The scheme passes the unchanged expiry when it records use only; null stays null.
        await store.knoxTokens.touch(a.id, KNOX_KEY_1, T2, null);
        expect(await store.knoxTokens.findByTokenKey(KNOX_KEY_1).then((c) => c.find((x) => x.user.id === a.id)?.token)).toEqual(
          knox(KNOX_KEY_1, a, { lastUsed: T2, expiry: null }),
        );
        // Touching a token that does not exist creates nothing.
        await store.knoxTokens.touch(a.id, KNOX_KEY_3, T2, EXPIRY);
        expect(await store.knoxTokens.findByTokenKey(KNOX_KEY_3)).toEqual([]);
      });

      it('delete is scoped to the user: another user\u2019s token with the same key survives; false when none', async () => {
        await store.knoxTokens.create(knox(KNOX_KEY_1, a), unlimited);
        await store.knoxTokens.create(knox(KNOX_KEY_2, a), unlimited);
        await store.knoxTokens.create(knox(KNOX_KEY_1, b), unlimited);
        expect(await store.knoxTokens.delete(a.id, KNOX_KEY_1)).toBe(true);
        expect(await store.knoxTokens.delete(a.id, KNOX_KEY_1)).toBe(false);
        expect(await store.knoxTokens.delete(a.id, KNOX_KEY_3)).toBe(false);
        expect(await store.knoxTokens.delete(b.id, KNOX_KEY_2)).toBe(false);
        expect(await store.knoxTokens.findByTokenKey(KNOX_KEY_1)).toEqual([{ token: knox(KNOX_KEY_1, b), user: b }]);
        expect(keysOf(await store.knoxTokens.listLive(a.id, NOW))).toEqual([KNOX_KEY_2]);
      });

      it('deleteAll deletes every token of the user, expired or not, and returns the count', async () => {
        await store.knoxTokens.create(knox(KNOX_KEY_1, a), unlimited);
        await store.knoxTokens.create(knox(KNOX_KEY_2, a, { expiry: null }), unlimited);
        await store.knoxTokens.create(knox(KNOX_KEY_3, a, { expiry: BEFORE }), unlimited);
        await store.knoxTokens.create(knox(KNOX_KEY_1, b), unlimited);
        expect(await store.knoxTokens.deleteAll(a.id)).toBe(3);
        expect(await store.knoxTokens.deleteAll(a.id)).toBe(0);
        expect(await store.knoxTokens.findByTokenKey(KNOX_KEY_3)).toEqual([]);
        expect(await store.knoxTokens.findByTokenKey(KNOX_KEY_1)).toEqual([{ token: knox(KNOX_KEY_1, b), user: b }]);
        expect(await store.knoxTokens.listLive(a.id, BEFORE)).toEqual([]);
      });

      it('deleteExpired deletes at most `batch` expired tokens per call; live and never-expiring ones survive', async () => {
        const expired = ['expired-0000001', 'expired-0000002', 'expired-0000003', 'at-now-0000004'];
        for (const key of expired.slice(0, 3)) await store.knoxTokens.create(knox(key, a, { expiry: BEFORE }), unlimited);
        await store.knoxTokens.create(knox(expired[3]!, b, { expiry: T1 }), unlimited); // expires at `now` exactly
        await store.knoxTokens.create(knox('expired-0000001', b, { expiry: BEFORE }), unlimited);
        await store.knoxTokens.create(knox(KNOX_KEY_1, a), unlimited);
        await store.knoxTokens.create(knox(KNOX_KEY_2, a, { expiry: null }), unlimited);
        await store.knoxTokens.create(knox(KNOX_KEY_1, b, { expiry: null }), unlimited);
        expect(await store.knoxTokens.deleteExpired(T1, 3)).toBe(3);
        expect(await store.knoxTokens.deleteExpired(T1, 3)).toBe(2);
        expect(await store.knoxTokens.deleteExpired(T1, 3)).toBe(0);
        for (const key of expired) expect(await store.knoxTokens.findByTokenKey(key)).toEqual([]);
        expect(keysOf(await store.knoxTokens.listLive(a.id, NOW))).toEqual([KNOX_KEY_1, KNOX_KEY_2]);
        expect(await store.knoxTokens.listLive(b.id, NOW)).toEqual([knox(KNOX_KEY_1, b, { expiry: null })]);
      });

      it('deleteExpired with a batch larger than the backlog deletes it all in one call', async () => {
        for (const key of ['expired-0000001', 'expired-0000002']) await store.knoxTokens.create(knox(key, a, { expiry: BEFORE }), unlimited);
        await store.knoxTokens.create(knox(KNOX_KEY_1, a), unlimited);
        expect(await store.knoxTokens.deleteExpired(NOW, 500)).toBe(2);
        expect(keysOf(await store.knoxTokens.listLive(a.id, BEFORE))).toEqual([KNOX_KEY_1]);
      });

      it('deleting a user deletes their knox tokens, and only theirs', async () => {
        await store.knoxTokens.create(knox(KNOX_KEY_1, a), unlimited);
        await store.knoxTokens.create(knox(KNOX_KEY_2, a, { expiry: null }), unlimited);
        await store.knoxTokens.create(knox(KNOX_KEY_1, b), unlimited);
        expect(await store.users.delete(a.id)).toBe(true);
        expect(await store.knoxTokens.findByTokenKey(KNOX_KEY_1)).toEqual([{ token: knox(KNOX_KEY_1, b), user: b }]);
        expect(await store.knoxTokens.findByTokenKey(KNOX_KEY_2)).toEqual([]);
        expect(await store.knoxTokens.listLive(a.id, NOW)).toEqual([]);
        expect(await store.knoxTokens.deleteAll(a.id)).toBe(0);
      });
    });
  });
}
