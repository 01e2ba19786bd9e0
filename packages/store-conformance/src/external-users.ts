import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JwtStore, KnoxTokenRecord, KnoxTokenStore, SessionRecord, SessionStore, TokenStore, User, UserId } from '@authbench/core';
import { describeStoreConformance } from './index.js';
import { describeJwtStoreConformance } from './jwt.js';
import { MemoryUsers, type UserIdKind } from './memory-users.js';
import { describeSessionStoreConformance } from './sessions.js';

/** A family of credential suites: 'tokens' is DRF's tokens and knox's. */
export type CredentialSuite = 'tokens' | 'jwt' | 'sessions';

/** The credential stores of an engine opened over an application's users; those of the suites asked for. */
export interface ExternalUsersStores {
  readonly tokens?: TokenStore | undefined;
  readonly knoxTokens?: KnoxTokenStore | undefined;
  readonly jwt?: JwtStore | undefined;
  readonly sessions?: SessionStore | undefined;
  close(): Promise<void> | void;
}

export interface ExternalUsersOptions {
  /** The type of the ids the application's users get. */
  readonly ids: UserIdKind;
  readonly suites: readonly CredentialSuite[];
}

const NOW = '2026-11-22T10:00:00.000Z';
const LATER = '2026-11-23T10:00:00.000Z';
const KEY_NUMBER = 'a'.repeat(40);
const KEY_STRING = 'b'.repeat(40);
const KNOX_KEY = '0123456789abcde';

/**
 * The credential stores over users the engine does not hold (an application's
 * own table, here `MemoryUsers`): every credential suite again, with users
 * whose ids are numbers or strings, then what only this mode has: ids kept
 * with their type (42 and "42" are two users), the user read from the
 * repository after the credential, and a user the repository no longer knows
 * found nowhere. Deleting a user revokes their credentials as an application
 * does (no cascade does it here).
 */
export function describeExternalUsersConformance(
  engine: string,
  open: (users: MemoryUsers) => Promise<ExternalUsersStores>,
  options: ExternalUsersOptions,
): void {
  const { ids, suites } = options;
  const label = `${engine} with external users (${ids} ids)`;

  async function openOver() {
    const users = new MemoryUsers(ids);
    const stores = await open(users);
    const has = <K extends 'tokens' | 'knoxTokens' | 'jwt' | 'sessions'>(name: K): NonNullable<ExternalUsersStores[K]> => {
      const store = stores[name];
      if (store === undefined) throw new Error(`${label}: open() returned no ${name}`);
      return store as NonNullable<ExternalUsersStores[K]>;
    };
    // What the application runs after deleting a user: revokeCredentials, through each scheme.
    users.whenDeleted(async (id) => {
      await stores.tokens?.deleteByUser(id);
      await stores.knoxTokens?.deleteAll(id);
      await stores.jwt?.revokeAllLogins(id, new Date().toISOString());
      await stores.sessions?.destroyByUser(id);
    });
    return { users, has, close: () => stores.close() };
  }

  if (suites.includes('tokens')) {
    describeStoreConformance(
      label,
      async () => {
        const { users, has, close } = await openOver();
        return { users, tokens: has('tokens'), knoxTokens: has('knoxTokens'), close };
      },
      { users: false },
    );
  }
  if (suites.includes('jwt')) {
    describeJwtStoreConformance(label, async () => {
      const { users, has, close } = await openOver();
      return { users, jwt: has('jwt'), close };
    });
  }
  if (suites.includes('sessions')) {
    describeSessionStoreConformance(label, async () => {
      const { users, has, close } = await openOver();
      return { users, sessions: has('sessions'), close };
    });
  }

  describe(`${label}: users by id, from the repository`, () => {
    let opened: Awaited<ReturnType<typeof openOver>>;
    let users: MemoryUsers;
    /** User 42 and user "42": two users, whatever the kind of ids the application hands out. */
    let number42: User;
    let string42: User;
    beforeEach(async () => {
      opened = await openOver();
      users = opened.users;
      number42 = await users.seed({ username: 'number42', password: 'x', isActive: true, id: 42 });
      string42 = await users.seed({ username: 'string42', password: 'x', isActive: true, id: '42' });
      users.lookups.length = 0;
    });
    afterEach(async () => {
      await opened.close();
    });

    const knox = (user: User, overrides: Partial<KnoxTokenRecord> = {}): KnoxTokenRecord => ({
      tokenKey: KNOX_KEY,
      digest: createHash('sha512').update(JSON.stringify(user.id)).digest('hex'),
      userId: user.id,
      created: NOW,
      expiry: LATER,
      client: 'ua',
      lastUsed: null,
      ...overrides,
    });
    const session = (sid: string, userId: UserId | null): SessionRecord => ({
      sid, userId, data: '{}', expires: LATER, created: NOW, client: 'ua', lastUsed: NOW,
    });

    if (suites.includes('tokens')) {
      it('a token keeps its user id\u2019s type: 42 and "42" each have their own', async () => {
        const tokens = opened.has('tokens');
        expect(await tokens.getOrCreate({ key: KEY_NUMBER, userId: 42, created: NOW })).toMatchObject({ created: true });
        expect(await tokens.getOrCreate({ key: KEY_STRING, userId: '42', created: NOW })).toMatchObject({ created: true });
        expect(await tokens.findByUser(42)).toEqual({ key: KEY_NUMBER, userId: 42, created: NOW });
        expect(await tokens.findByUser('42')).toEqual({ key: KEY_STRING, userId: '42', created: NOW });
        expect(await tokens.findUserByKey(KEY_NUMBER)).toEqual(number42);
        expect(await tokens.findUserByKey(KEY_STRING)).toEqual(string42);
        expect(await tokens.deleteByUser(42)).toBe(true);
        expect(await tokens.findUserByKey(KEY_NUMBER)).toBeNull();
        expect(await tokens.findByUser('42')).toEqual({ key: KEY_STRING, userId: '42', created: NOW });
      });

      it('a knox token keeps its user id\u2019s type: one key, two users, two candidates', async () => {
        const knoxTokens = opened.has('knoxTokens');
        expect(await knoxTokens.create(knox(number42), { max: 1, now: NOW })).toBe('created');
        expect(await knoxTokens.create(knox(string42), { max: 1, now: NOW })).toBe('created');
        const found = await knoxTokens.findByTokenKey(KNOX_KEY);
        expect([...found].sort((x, y) => (x.user.username < y.user.username ? -1 : 1))).toEqual([
          { token: knox(number42), user: number42 },
          { token: knox(string42), user: string42 },
        ]);
        expect(await knoxTokens.listLive(42, NOW)).toEqual([knox(number42)]);
        expect(await knoxTokens.deleteAll('42')).toBe(1);
        expect(await knoxTokens.listLive(42, NOW)).toEqual([knox(number42)]);
        expect(await knoxTokens.listLive('42', NOW)).toEqual([]);
      });

      it('the hot path reads the credential, then asks the repository once for its user', async () => {
        await opened.has('tokens').getOrCreate({ key: KEY_NUMBER, userId: 42, created: NOW });
        await opened.has('knoxTokens').create(knox(string42), { max: null, now: NOW });
        expect(await opened.has('tokens').findUserByKey(KEY_NUMBER)).toEqual(number42);
        expect(await opened.has('knoxTokens').findByTokenKey(KNOX_KEY, knox(string42).digest)).toEqual([{ token: knox(string42), user: string42 }]);
        expect(await opened.has('tokens').findUserByKey(KEY_STRING)).toBeNull();
        expect(users.lookups).toEqual([42, '42']);
      });

      it('a user the repository no longer knows is found through no token, though the rows stay until revoked', async () => {
        await opened.has('tokens').getOrCreate({ key: KEY_NUMBER, userId: 42, created: NOW });
        await opened.has('knoxTokens').create(knox(number42), { max: null, now: NOW });
        await opened.has('knoxTokens').create(knox(string42), { max: null, now: NOW });
        users.forget(42);
        expect(await opened.has('tokens').findUserByKey(KEY_NUMBER)).toBeNull();
        expect(await opened.has('knoxTokens').findByTokenKey(KNOX_KEY, knox(number42).digest)).toEqual([]);
        expect(await opened.has('knoxTokens').findByTokenKey(KNOX_KEY)).toEqual([{ token: knox(string42), user: string42 }]);
        expect(await opened.has('tokens').findByUser(42)).toEqual({ key: KEY_NUMBER, userId: 42, created: NOW });
      });
    }

    if (suites.includes('jwt')) {
      it('a jwt login keeps its user id\u2019s type: 42 and "42" each have their own', async () => {
        const jwt = opened.has('jwt');
        const login = (id: string, userId: UserId) => ({ id, userId, created: NOW, client: 'ua', expiresAt: LATER, lastRefreshed: null, revokedAt: null });
        const token = (jti: string, loginId: string, userId: UserId) => ({ jti, loginId, userId, createdAt: NOW, expiresAt: LATER });
        await jwt.createLogin(login('L-number', 42), token('J-number', 'L-number', 42));
        await jwt.createLogin(login('L-string', '42'), token('J-string', 'L-string', '42'));
        expect(await jwt.listLogins(42, NOW)).toEqual([login('L-number', 42)]);
        expect(await jwt.listLogins('42', NOW)).toEqual([login('L-string', '42')]);
        expect(await jwt.revokeLogin('42', 'L-number', NOW)).toBe(false);
        expect(await jwt.revokeAllLogins(42, NOW)).toBe(1);
        expect(await jwt.isLoginLive('L-number')).toBe(false);
        expect(await jwt.isLoginLive('L-string')).toBe(true);
        expect(await jwt.rotate('J-string', token('J-string-2', 'L-string', '42'), NOW)).toBe('spent');
        expect(await jwt.listLogins('42', NOW)).toEqual([{ ...login('L-string', '42'), lastRefreshed: NOW }]);
      });
    }

    if (suites.includes('sessions')) {
      it('a session keeps its user id\u2019s type: 42 and "42" each have their own', async () => {
        const sessions = opened.has('sessions');
        await sessions.set(session('s-number', 42));
        await sessions.set(session('s-string', '42'));
        expect(await sessions.get('s-number', NOW)).toEqual({ ...session('s-number', 42), user: number42 });
        expect(await sessions.get('s-string', NOW)).toEqual({ ...session('s-string', '42'), user: string42 });
        expect(await sessions.listByUser(42, NOW)).toEqual([session('s-number', 42)]);
        expect(await sessions.destroyByUser('42')).toBe(1);
        expect(await sessions.listByUser('42', NOW)).toEqual([]);
        expect(await sessions.listByUser(42, NOW)).toEqual([session('s-number', 42)]);
      });

      it('the hot path reads the session, then asks the repository once for its user (never for an anonymous one)', async () => {
        const sessions = opened.has('sessions');
        await sessions.set(session('s-string', '42'));
        await sessions.set(session('anonymous', null));
        expect((await sessions.get('s-string', NOW))?.user).toEqual(string42);
        expect((await sessions.get('anonymous', NOW))?.user).toBeNull();
        expect(users.lookups).toEqual(['42']);
      });

      it('a session of a user the repository no longer knows is no session', async () => {
        const sessions = opened.has('sessions');
        await sessions.set(session('s-number', 42));
        await sessions.set(session('anonymous', null));
        users.forget(42);
        expect(await sessions.get('s-number', NOW)).toBeNull();
        expect(await sessions.get('anonymous', NOW)).toEqual({ ...session('anonymous', null), user: null });
      });
    }
  });
}
