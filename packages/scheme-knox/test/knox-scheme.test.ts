import type { IncomingMessage } from 'node:http';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError, AuthenticationError, type AuthScheme, type Caller, type KnoxTokenStore, type User } from '@authbench/core';
import { openSqliteStore, type SqliteStore } from '@authbench/store-sqlite';
import { knoxScheme, TOKEN_KEY_LENGTH, type KnoxSchemeOptions } from '../src/index.js';

const request = (authorization?: string) => ({ headers: { authorization } }) as unknown as IncomingMessage;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = '2026-11-22T10:00:00.000Z';

interface Row {
  token_key: string;
  digest: string;
  user_id: number;
  created: string;
  expiry: string | null;
  client: string;
  last_used: string | null;
}

let dir: string;
let store: SqliteStore;
let alice: User;
let bob: User;
let currentTime: Date;
let writes: number;
let reads: number;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'authbench-knox-scheme-'));
  store = openSqliteStore(join(dir, 'db.sqlite3'));
  alice = await store.users.create({ username: 'alice', email: 'alice@example.com', passwordHash: 'x' });
  bob = await store.users.create({ username: 'bob', email: '', passwordHash: 'x' });
  currentTime = new Date(T0);
  writes = 0;
  reads = 0;
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** knoxScheme on the real store, with the test's clock, counting the lookups and the writes (touch) authenticate() makes. */
function scheme(options: Partial<KnoxSchemeOptions> = {}): AuthScheme {
  const counted: KnoxTokenStore = {
    ...store.knoxTokens,
    findByTokenKey: (...args) => {
      reads++;
      return store.knoxTokens.findByTokenKey(...args);
    },
    touch: (...args) => {
      writes++;
      return store.knoxTokens.touch(...args);
    },
  };
  return knoxScheme({ knoxTokens: counted, now: () => currentTime, ...options });
}

const advance = (ms: number) => {
  currentTime = new Date(currentTime.getTime() + ms);
};
const at = (iso: string) => {
  currentTime = new Date(iso);
};
const sha512 = (token: string) => createHash('sha512').update(token, 'utf8').digest('hex');
const rows = () => store.db.prepare('SELECT * FROM knox_tokens ORDER BY created, token_key').all() as Row[];
const rowOf = (token: string) =>
  store.db.prepare('SELECT * FROM knox_tokens WHERE token_key = ? AND digest = ?').get(token.slice(0, 15), sha512(token)) as Row | undefined;
/** The sessions routes' id of a token: a hash of its stored digest, so nothing of the token itself. */
const publicIdOf = (token: string) => createHash('sha256').update(rowOf(token)!.digest).digest('hex').slice(0, 32);

async function login(s: AuthScheme, user: User = alice, client = 'test-agent'): Promise<{ expiry: string | null; token: string }> {
  return (await s.login(user, { req: request(), client })).body as { expiry: string | null; token: string };
}

/** The body of the AuthenticationError (401) the promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).status).toBe(401);
    return (error as AuthenticationError).body;
  }
  throw new Error('expected an AuthenticationError');
}
const INVALID_TOKEN = { detail: 'Invalid token.' };

describe('knoxScheme login', () => {
  it('answers {expiry, token}: expiry 10 hours after login in DRF’s format, token 64 lowercase hex', async () => {
    at('2026-11-22T10:00:00.123Z');
    const body = await login(scheme());
    expect(body).toEqual({ expiry: '2026-11-22T20:00:00.123000Z', token: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(Object.keys(body)).toEqual(['expiry', 'token']);
  });

  it('omits a zero fraction from the expiry, as Python’s isoformat does', async () => {
    expect((await login(scheme())).expiry).toBe('2026-11-22T20:00:00Z');
    expect((await login(scheme({ tokenTtlSeconds: 90 }))).expiry).toBe('2026-11-22T10:01:30Z');
  });

  it('answers expiry null, and stores none, when tokenTtlSeconds is null', async () => {
    const body = await login(scheme({ tokenTtlSeconds: null }));
    expect(body).toEqual({ expiry: null, token: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(rows().map((r) => r.expiry)).toEqual([null]);
  });

  it('stores only the token key and the SHA-512 digest of the token, never the token', async () => {
    at('2026-11-22T10:00:00.500Z');
    const { token } = await login(scheme(), alice, 'Mozilla/5.0 phone');
    expect(rows()).toEqual([
      {
        token_key: token.slice(0, 15),
        digest: sha512(token),
        user_id: alice.id,
        created: '2026-11-22T10:00:00.500Z',
        expiry: '2026-11-22T20:00:00.500Z',
        client: 'Mozilla/5.0 phone',
        last_used: null,
      },
    ]);
    expect(rows()[0]!.digest).toMatch(/^[0-9a-f]{128}$/);
    expect(JSON.stringify(store.db.prepare('SELECT * FROM knox_tokens').raw().all())).not.toContain(token);
  });

  it('puts a configured prefix before the 64 hex characters; the token key and digest cover it', async () => {
    const s = scheme({ tokenPrefix: 'ab_' });
    const { token } = await login(s);
    expect(token).toMatch(/^ab_[0-9a-f]{64}$/);
    expect(rows().map((r) => [r.token_key, r.digest])).toEqual([[token.slice(0, 15), sha512(token)]]);
    expect(rows()[0]!.token_key).toMatch(/^ab_[0-9a-f]{12}$/);
    expect(await s.authenticate(request(`Token ${token}`))).toEqual({ user: alice, scheme: 'knox', credentialId: token.slice(0, 15) });
  });

  it('honours tokenCharacterLength and hashAlgorithm', async () => {
    const s = scheme({ tokenCharacterLength: 32, hashAlgorithm: 'sha256' });
    const { token } = await login(s);
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect(rows()[0]!.digest).toBe(createHash('sha256').update(token).digest('hex'));
    expect((await s.authenticate(request(`Token ${token}`)))?.user).toEqual(alice);
  });

  it('adds user {id, username, email} only with loginIncludesUser', async () => {
    const body = await login(scheme({ loginIncludesUser: true }));
    expect(body).toEqual({
      expiry: '2026-11-22T20:00:00Z',
      token: expect.stringMatching(/^[0-9a-f]{64}$/),
      user: { id: alice.id, username: 'alice', email: 'alice@example.com' },
    });
    expect(Object.keys(await login(scheme()))).toEqual(['expiry', 'token']);
  });

  it('gives two logins two tokens that both authenticate, each as its own credential', async () => {
    const s = scheme();
    expect(s.name).toBe('knox');
    expect(s.challenge).toBe('Token');
    expect(s.basicLogin).toBe(true);
    const first = (await login(s)).token;
    const second = (await login(s)).token;
    expect(first).not.toBe(second);
    expect(rows()).toHaveLength(2);
    expect(await s.authenticate(request(`Token ${first}`))).toEqual({ user: alice, scheme: 'knox', credentialId: first.slice(0, 15) });
    expect(await s.authenticate(request(`Token ${second}`))).toEqual({ user: alice, scheme: 'knox', credentialId: second.slice(0, 15) });
    expect(TOKEN_KEY_LENGTH).toBe(15);
  });
});

describe('knoxScheme authenticate: DRF’s and knox’s answers', () => {
  it('returns null when the request carries no Token credential, so the next scheme may try', async () => {
    const s = scheme();
    expect(await s.authenticate(request())).toBeNull();
    expect(await s.authenticate(request(''))).toBeNull();
    expect(await s.authenticate(request('Bearer abc'))).toBeNull();
    expect(await s.authenticate(request('Basic YWxpY2U6eA=='))).toBeNull();
  });

  it('reads the keyword case-insensitively', async () => {
    const s = scheme();
    const { token } = await login(s);
    expect((await s.authenticate(request(`token ${token}`)))?.user).toEqual(alice);
    expect((await s.authenticate(request(`TOKEN ${token}`)))?.user).toEqual(alice);
  });

  it('answers each malformed header with DRF’s message', async () => {
    const s = scheme();
    expect(await failure(s.authenticate(request('Token')))).toEqual({ detail: 'Invalid token header. No credentials provided.' });
    expect(await failure(s.authenticate(request('Token   ')))).toEqual({ detail: 'Invalid token header. No credentials provided.' });
    expect(await failure(s.authenticate(request('Token abc def')))).toEqual({
      detail: 'Invalid token header. Token string should not contain spaces.',
    });
    expect(await failure(s.authenticate(request('Token \xff\xfe')))).toEqual({
      detail: 'Invalid token header. Token string should not contain invalid characters.',
    });
  });

  it('answers Invalid token. for an unknown token, a wrong length, a wrong prefix and a right key with a wrong rest', async () => {
    const s = scheme({ tokenPrefix: 'ab_' });
    const { token } = await login(s);
    const hex = token.slice(3);
    const flip = (c: string) => (c === '0' ? '1' : '0');
    const bad = [
      `ab_${'0'.repeat(64)}`, // unknown
      `${token}0`, // too long
      token.slice(0, -1), // too short
      `cd_${hex}`, // wrong prefix
      hex, // no prefix
      `${token.slice(0, 15)}${token.slice(15, -1)}${flip(token.at(-1)!)}`, // right token key, wrong rest
      token.toUpperCase(),
    ];
    for (const candidate of bad) expect(await failure(s.authenticate(request(`Token ${candidate}`)))).toEqual(INVALID_TOKEN);
    // None of that harmed the real token.
    expect((await s.authenticate(request(`Token ${token}`)))?.credentialId).toBe(token.slice(0, 15));
    expect(rows()).toHaveLength(1);
  });

  it('asks the store nothing for a credential of the wrong length', async () => {
    const s = scheme();
    for (const candidate of ['short', 'a'.repeat(63), 'a'.repeat(65), 'a'.repeat(100_000)]) {
      expect(await failure(s.authenticate(request(`Token ${candidate}`)))).toEqual(INVALID_TOKEN);
    }
    expect(reads).toBe(0);
    expect(await failure(s.authenticate(request(`Token ${'a'.repeat(64)}`)))).toEqual(INVALID_TOKEN);
    expect(reads).toBe(1);
  });

  it('compares the digest itself, whatever the store matched on: a right key with a wrong rest is refused', async () => {
    // A store that finds candidates by token key alone (as a cache may), not by (token_key, digest).
    const byKeyOnly = knoxScheme({
      knoxTokens: { ...store.knoxTokens, findByTokenKey: (tokenKey) => store.knoxTokens.findByTokenKey(tokenKey) },
      now: () => currentTime,
    });
    const { token } = await login(byKeyOnly);
    const wrongRest = `${token.slice(0, 15)}${'0'.repeat(49)}`;
    expect(await failure(byKeyOnly.authenticate(request(`Token ${wrongRest}`)))).toEqual(INVALID_TOKEN);
    // A stored digest in upper case is another string: refused, as the (token_key, digest) lookup would.
    store.db.prepare('UPDATE knox_tokens SET digest = upper(digest)').run();
    expect(await failure(byKeyOnly.authenticate(request(`Token ${token}`)))).toEqual(INVALID_TOKEN);
    store.db.prepare('UPDATE knox_tokens SET digest = lower(digest)').run();
    expect((await byKeyOnly.authenticate(request(`Token ${token}`)))?.user.id).toBe(alice.id);
  });

  it('answers User inactive or deleted. for an inactive user, and Invalid token. once the user is deleted', async () => {
    const s = scheme();
    const { token } = await login(s);
    await store.users.setActive(alice.id, false);
    expect(await failure(s.authenticate(request(`Token ${token}`)))).toEqual({ detail: 'User inactive or deleted.' });
    await store.users.setActive(alice.id, true);
    expect((await s.authenticate(request(`Token ${token}`)))?.user.username).toBe('alice');
    await store.users.delete(alice.id);
    expect(await failure(s.authenticate(request(`Token ${token}`)))).toEqual(INVALID_TOKEN);
  });

  it('takes another keyword, and uses it as the challenge', async () => {
    const s = scheme({ keyword: 'Bearer' });
    const { token } = await login(s);
    expect(s.challenge).toBe('Bearer');
    expect(await s.authenticate(request(`Token ${token}`))).toBeNull();
    expect((await s.authenticate(request(`bearer ${token}`)))?.user).toEqual(alice);
  });
});

describe('knoxScheme expiry', () => {
  it('accepts a token until its expiry, then refuses it with Invalid token. and deletes it', async () => {
    const s = scheme();
    const { token } = await login(s);
    at('2026-11-22T19:59:59.999Z');
    expect((await s.authenticate(request(`Token ${token}`)))?.user).toEqual(alice);
    at('2026-11-22T20:00:00.001Z');
    expect(await failure(s.authenticate(request(`Token ${token}`)))).toEqual(INVALID_TOKEN);
    expect(rows()).toEqual([]);
    expect(await failure(s.authenticate(request(`Token ${token}`)))).toEqual(INVALID_TOKEN);
  });

  it('counts a token as expired from its expiry instant on, as listSessions and the limit do', async () => {
    const s = scheme();
    const { token } = await login(s);
    at('2026-11-22T20:00:00.000Z');
    const caller: Caller = { user: alice, scheme: 'knox', credentialId: token.slice(0, 15) };
    expect(await s.listSessions!(caller)).toEqual([]);
    expect(await failure(s.authenticate(request(`Token ${token}`)))).toEqual(INVALID_TOKEN);
    expect(rows()).toEqual([]);
  });

  it('deleting an expired token spares another user’s token with the same token key', async () => {
    const s = scheme();
    const { token } = await login(s);
    const key = token.slice(0, 15);
    const bobsToken = `${key}${'0'.repeat(49)}`;
    expect(
      await store.knoxTokens.create(
        { tokenKey: key, digest: sha512(bobsToken), userId: bob.id, created: T0, expiry: '2026-11-22T11:00:00.000Z', client: '', lastUsed: null },
        { max: null, now: T0 },
      ),
    ).toBe('created');
    at('2026-11-22T12:00:00.000Z');
    expect(await failure(s.authenticate(request(`Token ${bobsToken}`)))).toEqual(INVALID_TOKEN);
    expect(rows().map((r) => [r.token_key, r.user_id])).toEqual([[key, alice.id]]);
    expect((await s.authenticate(request(`Token ${token}`)))?.user).toEqual(alice);
  });

  it('two concurrent uses of the same expired token both get Invalid token., nothing else', async () => {
    const s = scheme();
    const { token } = await login(s);
    advance(11 * HOUR);
    const results = await Promise.allSettled([s.authenticate(request(`Token ${token}`)), s.authenticate(request(`Token ${token}`))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    for (const r of results) {
      const reason = (r as PromiseRejectedResult).reason as unknown;
      expect(reason).toBeInstanceOf(AuthenticationError);
      expect((reason as AuthenticationError).body).toEqual(INVALID_TOKEN);
    }
    expect(rows()).toEqual([]);
  });
});

describe('knoxScheme last use and auto-refresh', () => {
  it('auto-refresh off: the first use records last_used; repeated uses within 60 s write nothing', async () => {
    const s = scheme();
    const { token } = await login(s);
    advance(5 * SECOND);
    await s.authenticate(request(`Token ${token}`));
    expect(writes).toBe(1);
    expect(rowOf(token)).toMatchObject({ last_used: '2026-11-22T10:00:05.000Z', expiry: '2026-11-22T20:00:00.000Z' });
    for (let i = 0; i < 5; i++) {
      advance(10 * SECOND);
      await s.authenticate(request(`Token ${token}`));
    }
    advance(9 * SECOND + 999); // 59.999 s after the recorded use
    await s.authenticate(request(`Token ${token}`));
    expect(writes).toBe(1);
    expect(rowOf(token)?.last_used).toBe('2026-11-22T10:00:05.000Z');
    advance(1); // 60 s
    await s.authenticate(request(`Token ${token}`));
    expect(writes).toBe(2);
    expect(rowOf(token)).toMatchObject({ last_used: '2026-11-22T10:01:05.000Z', expiry: '2026-11-22T20:00:00.000Z' });
  });

  it('auto-refresh off: the expiry never moves however often the token is used', async () => {
    const s = scheme();
    const { token } = await login(s);
    for (let i = 0; i < 9; i++) {
      advance(HOUR);
      await s.authenticate(request(`Token ${token}`));
    }
    expect(writes).toBe(9);
    expect(rowOf(token)).toMatchObject({ expiry: '2026-11-22T20:00:00.000Z', last_used: '2026-11-22T19:00:00.000Z' });
  });

  it('auto-refresh on: the expiry moves to now + TTL only when that moves it by more than the interval', async () => {
    const s = scheme({ autoRefresh: true });
    const { token } = await login(s);
    advance(30 * SECOND);
    await s.authenticate(request(`Token ${token}`)); // a 30 s move: only the first use is recorded
    expect(writes).toBe(1);
    expect(rowOf(token)).toMatchObject({ expiry: '2026-11-22T20:00:00.000Z', last_used: '2026-11-22T10:00:30.000Z' });
    advance(30 * SECOND);
    await s.authenticate(request(`Token ${token}`)); // a move of exactly 60 s: not more than the interval
    expect(writes).toBe(1);
    expect(rowOf(token)?.expiry).toBe('2026-11-22T20:00:00.000Z');
    advance(1);
    await s.authenticate(request(`Token ${token}`)); // 60.001 s
    expect(writes).toBe(2);
    expect(rowOf(token)).toMatchObject({ expiry: '2026-11-22T20:01:00.001Z', last_used: '2026-11-22T10:01:00.001Z' });
    // The refreshed token outlives its original expiry.
    at('2026-11-22T20:00:30.000Z');
    expect((await s.authenticate(request(`Token ${token}`)))?.user).toEqual(alice);
    expect(rowOf(token)?.expiry).toBe('2026-11-23T06:00:30.000Z');
  });

  it('auto-refresh on: minRefreshIntervalSeconds sets how far the expiry must move', async () => {
    const s = scheme({ autoRefresh: true, minRefreshIntervalSeconds: 600 });
    const { token } = await login(s);
    await s.authenticate(request(`Token ${token}`));
    advance(5 * MINUTE);
    await s.authenticate(request(`Token ${token}`));
    expect(writes).toBe(1);
    expect(rowOf(token)?.expiry).toBe('2026-11-22T20:00:00.000Z');
    advance(5 * MINUTE + 1);
    await s.authenticate(request(`Token ${token}`));
    expect(writes).toBe(2);
    expect(rowOf(token)?.expiry).toBe('2026-11-22T20:10:00.001Z');
  });

  it('auto-refresh on: never beyond created + 30 days by default', async () => {
    const s = scheme({ autoRefresh: true, tokenTtlSeconds: 10 * 86_400 });
    const { token, expiry } = await login(s);
    expect(expiry).toBe('2026-12-02T10:00:00Z');
    const expiries: (string | null | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      advance(5 * DAY);
      expect((await s.authenticate(request(`Token ${token}`)))?.user).toEqual(alice);
      expiries.push(rowOf(token)?.expiry);
    }
    expect(expiries).toEqual([
      '2026-12-07T10:00:00.000Z',
      '2026-12-12T10:00:00.000Z',
      '2026-12-17T10:00:00.000Z',
      '2026-12-22T10:00:00.000Z', // capped: login + 30 days
      '2026-12-22T10:00:00.000Z',
    ]);
    at('2026-12-22T10:00:00.001Z');
    expect(await failure(s.authenticate(request(`Token ${token}`)))).toEqual(INVALID_TOKEN);
    expect(rows()).toEqual([]);
  });

  it('auto-refresh on with autoRefreshMaxTtlSeconds null: no cap, as knox', async () => {
    const s = scheme({ autoRefresh: true, tokenTtlSeconds: 10 * 86_400, autoRefreshMaxTtlSeconds: null });
    const { token } = await login(s);
    for (let i = 0; i < 8; i++) {
      advance(5 * DAY);
      await s.authenticate(request(`Token ${token}`));
    }
    expect(rowOf(token)?.expiry).toBe('2027-01-11T10:00:00.000Z'); // 40 days + 10 days after login
  });

  it('auto-refresh on: a token that never expires stays so', async () => {
    const s = scheme({ autoRefresh: true, tokenTtlSeconds: null });
    const { token } = await login(s);
    advance(HOUR);
    await s.authenticate(request(`Token ${token}`));
    expect(rowOf(token)).toMatchObject({ expiry: null, last_used: '2026-11-22T11:00:00.000Z' });
  });
});

describe('knoxScheme token limit per user', () => {
  const LIMIT_BODY = '{"error":"Maximum amount of tokens allowed per user exceeded."}';

  async function limitFailure(promise: Promise<unknown>): Promise<ApiError> {
    try {
      await promise;
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      expect(error).not.toBeInstanceOf(AuthenticationError);
      return error as ApiError;
    }
    throw new Error('expected an ApiError');
  }

  it('refuses the (limit + 1)th login with 403 and knox’s body', async () => {
    const s = scheme({ tokenLimitPerUser: 2 });
    await login(s);
    await login(s);
    const error = await limitFailure(login(s));
    expect(error.status).toBe(403);
    expect(JSON.stringify(error.body)).toBe(LIMIT_BODY);
    expect(rows()).toHaveLength(2);
    // Per user: bob still may log in.
    expect((await login(s, bob)).token).toMatch(/^[0-9a-f]{64}$/);
  });

  it('an expired token frees a place; a never-expiring one never does', async () => {
    const s = scheme({ tokenLimitPerUser: 1, tokenTtlSeconds: 3600 });
    await login(s);
    advance(HOUR - 1);
    expect((await limitFailure(login(s))).status).toBe(403);
    advance(2);
    expect((await login(s)).expiry).toBe('2026-11-22T12:00:00.001000Z');

    const forever = scheme({ tokenLimitPerUser: 1, tokenTtlSeconds: null });
    await login(forever, bob);
    advance(365 * DAY);
    expect(JSON.stringify((await limitFailure(login(forever, bob))).body)).toBe(LIMIT_BODY);
  });

  it('logging out frees a place', async () => {
    const s = scheme({ tokenLimitPerUser: 1 });
    const { token } = await login(s);
    await limitFailure(login(s));
    const caller = (await s.authenticate(request(`Token ${token}`)))!;
    await s.logout(caller, request(`Token ${token}`));
    expect((await login(s)).token).toMatch(/^[0-9a-f]{64}$/);
  });

  it('holds under concurrent logins', async () => {
    const s = scheme({ tokenLimitPerUser: 3 });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => login(s)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(rows()).toHaveLength(3);
  });
});

describe('knoxScheme logout', () => {
  async function setup() {
    const s = scheme();
    const one = (await login(s)).token;
    const two = (await login(s)).token;
    const bobs = (await login(s, bob)).token;
    const caller = (await s.authenticate(request(`Token ${one}`)))!;
    return { s, one, two, bobs, caller };
  }

  it('logout deletes only the caller’s token', async () => {
    const { s, one, two, bobs, caller } = await setup();
    await s.logout(caller, request(`Token ${one}`));
    expect(await failure(s.authenticate(request(`Token ${one}`)))).toEqual(INVALID_TOKEN);
    expect((await s.authenticate(request(`Token ${two}`)))?.user).toEqual(alice);
    expect((await s.authenticate(request(`Token ${bobs}`)))?.user).toEqual(bob);
    expect(rows()).toHaveLength(2);
  });

  it('logoutAll deletes every token of the user, no one else’s', async () => {
    const { s, one, two, bobs, caller } = await setup();
    await s.logoutAll(caller, request(`Token ${one}`));
    expect(await failure(s.authenticate(request(`Token ${one}`)))).toEqual(INVALID_TOKEN);
    expect(await failure(s.authenticate(request(`Token ${two}`)))).toEqual(INVALID_TOKEN);
    expect((await s.authenticate(request(`Token ${bobs}`)))?.user).toEqual(bob);
    expect(rows().map((r) => r.user_id)).toEqual([bob.id]);
  });
});

describe('knoxScheme sessions', () => {
  it('lists the user’s live tokens newest first, marking only the caller’s as current, with no secret', async () => {
    const s = scheme();
    at('2026-11-22T10:00:00.250Z');
    const phone = (await login(s, alice, 'phone')).token;
    at('2026-11-22T11:00:00.000Z');
    const laptop = (await login(s, alice, 'laptop')).token;
    const short = (await login(scheme({ tokenTtlSeconds: 60 }), alice, 'short-lived')).token;
    const bobs = (await login(s, bob, 'bob-phone')).token;
    at('2026-11-22T12:00:00.000Z');
    await s.authenticate(request(`Token ${phone}`));
    at('2026-11-22T12:30:00.500Z');
    const caller = (await s.authenticate(request(`Token ${laptop}`)))!;

    const sessions = await s.listSessions!(caller);
    expect(sessions).toEqual([
      {
        id: publicIdOf(laptop),
        created: '2026-11-22T11:00:00Z',
        expiry: '2026-11-22T21:00:00Z',
        last_used: '2026-11-22T12:30:00.500000Z',
        client: 'laptop',
        current: true,
      },
      {
        id: publicIdOf(phone),
        created: '2026-11-22T10:00:00.250000Z',
        expiry: '2026-11-22T20:00:00.250000Z',
        last_used: '2026-11-22T12:00:00Z',
        client: 'phone',
        current: false,
      },
    ]);
    for (const session of sessions) expect(Object.keys(session).sort()).toEqual(['client', 'created', 'current', 'expiry', 'id', 'last_used']);
    const json = JSON.stringify(sessions);
    for (const token of [phone, laptop, short, bobs]) expect(json).not.toContain(token.slice(0, 15));
    for (const row of rows()) expect(json).not.toContain(row.digest);
  });

  it('lists a never-expiring, never-used token with nulls', async () => {
    const s = scheme({ tokenTtlSeconds: null });
    const { token } = await login(s, alice, '');
    const caller: Caller = { user: alice, scheme: 'knox', credentialId: 'someone-else00' };
    expect(await s.listSessions!(caller)).toEqual([
      { id: publicIdOf(token), created: '2026-11-22T10:00:00Z', expiry: null, last_used: null, client: '', current: false },
    ]);
  });

  it('revokeSession deletes one of the caller’s own tokens: true, then false; false for another user’s', async () => {
    const s = scheme();
    const mine = (await login(s)).token;
    const other = (await login(s)).token;
    const bobs = (await login(s, bob)).token;
    const caller = (await s.authenticate(request(`Token ${mine}`)))!;
    const [otherId, bobsId] = [publicIdOf(other), publicIdOf(bobs)];
    expect(await s.revokeSession!(caller, otherId)).toBe(true);
    expect(await s.revokeSession!(caller, otherId)).toBe(false);
    expect(await s.revokeSession!(caller, 'nonexistent0000')).toBe(false);
    expect(await s.revokeSession!(caller, bobsId)).toBe(false);
    expect(await s.revokeSession!(caller, mine.slice(0, 15))).toBe(false); // a token key is no id
    expect(await failure(s.authenticate(request(`Token ${other}`)))).toEqual(INVALID_TOKEN);
    expect((await s.authenticate(request(`Token ${mine}`)))?.user).toEqual(alice);
    expect((await s.authenticate(request(`Token ${bobs}`)))?.user).toEqual(bob);
  });
});

describe('knoxScheme flushExpired', () => {
  it('deletes exactly the expired tokens and returns their number', async () => {
    const short = scheme({ tokenTtlSeconds: 3600 });
    const expiredTokens = [(await login(short)).token, (await login(short)).token, (await login(short, bob)).token];
    const long = (await login(scheme({ tokenTtlSeconds: 86_400 }))).token;
    const forever = (await login(scheme({ tokenTtlSeconds: null }), bob)).token;
    const exactlyNow = (await login(scheme({ tokenTtlSeconds: 7200 }))).token;
    at('2026-11-22T12:00:00.000Z');
    const s = scheme();
    expect(await s.flushExpired!()).toBe(4); // the three 1-hour tokens and the one expiring this instant
    expect(rows().map((r) => r.token_key).sort()).toEqual([long.slice(0, 15), forever.slice(0, 15)].sort());
    for (const token of [...expiredTokens, exactlyNow]) expect(rowOf(token)).toBeUndefined();
    expect(await s.flushExpired!()).toBe(0);
  });

  it('works through a backlog larger than one batch', async () => {
    const insert = store.db.prepare('INSERT INTO knox_tokens (token_key, digest, user_id, created, expiry, client) VALUES (?, ?, ?, ?, ?, ?)');
    store.db.transaction(() => {
      for (let i = 0; i < 1203; i++) {
        insert.run(i.toString(16).padStart(15, '0'), sha512(String(i)), alice.id, T0, '2026-11-22T11:00:00.000Z', '');
      }
    })();
    const live = (await login(scheme({ tokenTtlSeconds: 86_400 }))).token;
    at('2026-11-22T12:00:00.000Z');
    expect(await scheme().flushExpired!()).toBe(1203);
    expect(rows().map((r) => r.token_key)).toEqual([live.slice(0, 15)]);
  });
});

describe('knoxScheme options: every error names the option', () => {
  const cases: [Partial<KnoxSchemeOptions>, string][] = [
    [{ tokenPrefix: 'x'.repeat(11) }, 'knoxScheme: options.tokenPrefix must be at most 10 letters, digits, "_", "." or "-", got "xxxxxxxxxxx"'],
    [{ tokenPrefix: 'a b' }, 'knoxScheme: options.tokenPrefix must be at most 10 letters, digits, "_", "." or "-", got "a b"'],
    [{ hashAlgorithm: 'nope' }, 'knoxScheme: options.hashAlgorithm must be a hash Node supports (such as sha512), got "nope"'],
    [{ tokenCharacterLength: 63 }, 'knoxScheme: options.tokenCharacterLength must be an even number from 32 to 128, got 63'],
    [{ tokenCharacterLength: 30 }, 'knoxScheme: options.tokenCharacterLength must be an even number from 32 to 128, got 30'],
    [{ tokenCharacterLength: 130 }, 'knoxScheme: options.tokenCharacterLength must be an even number from 32 to 128, got 130'],
    [{ keyword: 'My Token' }, 'knoxScheme: options.keyword must be one HTTP token (letters, digits, no spaces), got "My Token"'],
    [{ keyword: '' }, 'knoxScheme: options.keyword must be one HTTP token (letters, digits, no spaces), got ""'],
    [{ tokenTtlSeconds: 0 }, 'knoxScheme: options.tokenTtlSeconds must be a whole number of seconds above 0, or null, got 0'],
    [{ tokenTtlSeconds: 1.5 }, 'knoxScheme: options.tokenTtlSeconds must be a whole number of seconds above 0, or null, got 1.5'],
    [{ autoRefreshMaxTtlSeconds: -1 }, 'knoxScheme: options.autoRefreshMaxTtlSeconds must be a whole number of seconds above 0, or null, got -1'],
    [{ minRefreshIntervalSeconds: -1 }, 'knoxScheme: options.minRefreshIntervalSeconds must be a whole number of seconds, 0 or more, got -1'],
    [{ tokenLimitPerUser: 0 }, 'knoxScheme: options.tokenLimitPerUser must be a whole number above 0, or null, got 0'],
    [{ autoRefresh: 'false' as never }, 'knoxScheme: options.autoRefresh must be true or false, got "false"'],
    [{ loginIncludesUser: 1 as never }, 'knoxScheme: options.loginIncludesUser must be true or false, got 1'],
    [{ tokenLimitPerUser: 2.5 }, 'knoxScheme: options.tokenLimitPerUser must be a whole number above 0, or null, got 2.5'],
  ];
  it.each(cases)('%j', (options, message) => {
    expect(() => scheme(options)).toThrow(TypeError);
    expect(() => scheme(options)).toThrow(message);
  });

  it('accepts the boundaries', async () => {
    const s = scheme({ tokenPrefix: 'abcdefghij', tokenCharacterLength: 128, minRefreshIntervalSeconds: 0, tokenLimitPerUser: 1 });
    const { token } = await login(s);
    expect(token).toMatch(/^abcdefghij[0-9a-f]{128}$/);
    expect((await s.authenticate(request(`Token ${token}`)))?.credentialId).toBe(token.slice(0, 15));
    expect(scheme({ tokenCharacterLength: 32 }).name).toBe('knox');
  });
});
