import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwtScheme, type JwtSchemeOptions } from '@authbench/scheme-jwt';
import { knoxScheme } from '@authbench/scheme-knox';
import { sessionScheme } from '@authbench/scheme-session';
import { tokenScheme } from '@authbench/scheme-token';
import type { SqliteStore } from '@authbench/store-sqlite';
import { call, loginToken, register, STRONG_PASSWORD, startApp, type Reply, type TestApp } from './harness.js';

const NEW_PASSWORD = 'staple-gun-orbit-lantern';
const SAVED = { detail: 'New password has been saved.' };
const WRONG_OLD = { old_password: ['Your old password was entered incorrectly. Please enter it again.'] };
const BAD_LOGIN = { non_field_errors: ['Unable to log in with provided credentials.'] };
const INVALID_TOKEN = { detail: 'Invalid token.' };
const JWT_SECRET = 'a-test-secret-of-more-than-32-bytes-0123456789';
const SESSION_SECRET = 'a-session-secret-of-at-least-32-characters';

const jwt = (store: SqliteStore, options: Partial<JwtSchemeOptions> = {}) =>
  jwtScheme({ jwt: store.jwt, users: store.users, signingKey: JWT_SECRET, ...options });

const changePassword = (app: TestApp, headers: Record<string, string>, json: unknown = { old_password: STRONG_PASSWORD, new_password: NEW_PASSWORD }) =>
  call(app, 'POST', '/api/auth/password', { json, headers });
const me = (app: TestApp, headers: Record<string, string>) => call(app, 'GET', '/api/me', { headers });
const login = (app: TestApp, username: string, password: string, headers: Record<string, string> = {}) =>
  call(app, 'POST', '/api/auth/login', { json: { username, password }, headers });

/** The old password is refused at login with the scheme's failure, the new one accepted. */
async function expectOnlyNewPasswordLogsIn(app: TestApp, username: string, failure: { status: number; body: unknown }) {
  const old = await login(app, username, STRONG_PASSWORD);
  expect({ status: old.status, body: old.body }).toEqual(failure);
  expect((await login(app, username, NEW_PASSWORD)).status).toBe(200);
}

describe('token: the one shared token is replaced', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp((store) => [tokenScheme({ tokens: store.tokens })]);
    await register(app, 'alice', { email: 'alice@example.com' });
    await register(app, 'bob');
  });
  afterAll(async () => {
    await app.close();
  });

  it('answers 200 with the new token; every copy of the old one is refused', async () => {
    const old = await loginToken(app, 'alice');
    const bobs = await loginToken(app, 'bob');
    const reply = await changePassword(app, { authorization: `Token ${old}` });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('cache-control')).toBe('no-store');
    const { token } = reply.body as { token: string };
    expect(reply.body).toEqual({ ...SAVED, token: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(token).not.toBe(old);
    const stale = await me(app, { authorization: `Token ${old}` });
    expect([stale.status, stale.body]).toEqual([401, INVALID_TOKEN]);
    expect((await me(app, { authorization: `Token ${token}` })).body).toEqual({ id: 1, username: 'alice', email: 'alice@example.com' });
    expect((await me(app, { authorization: `Token ${bobs}` })).status).toBe(200); // nobody else's
    await expectOnlyNewPasswordLogsIn(app, 'alice', { status: 400, body: BAD_LOGIN });
    // Login's get-or-create hands out the token the change issued.
    expect(await loginToken(app, 'alice', NEW_PASSWORD)).toBe(token);
  });

  it('refuses anonymous callers as any protected route does', async () => {
    const reply = await changePassword(app, {});
    expect([reply.status, reply.body]).toEqual([401, { detail: 'Authentication credentials were not provided.' }]);
  });

  describe("field errors, Django's PasswordChangeForm messages", () => {
    let token: string;
    beforeAll(async () => {
      await register(app, 'carol', { email: 'carol.jones@example.com' });
      token = await loginToken(app, 'carol');
    });
    const attempt = (json: unknown) => changePassword(app, { authorization: `Token ${token}` }, json);

    it.each([
      ['both missing', {}, { old_password: ['This field is required.'], new_password: ['This field is required.'] }],
      ['the new one missing', { old_password: STRONG_PASSWORD }, { new_password: ['This field is required.'] }],
      ['the old one blank', { old_password: '', new_password: NEW_PASSWORD }, { old_password: ['This field may not be blank.'] }],
      ['a wrong old one', { old_password: 'not-my-password', new_password: NEW_PASSWORD }, WRONG_OLD],
      // Never trimmed: the stored password has no surrounding spaces.
      ['the old one with spaces around it', { old_password: ` ${STRONG_PASSWORD} `, new_password: NEW_PASSWORD }, WRONG_OLD],
      [
        'a weak new one',
        { old_password: STRONG_PASSWORD, new_password: '1234567' },
        {
          new_password: [
            'This password is too short. It must contain at least 8 characters.',
            'This password is too common.',
            'This password is entirely numeric.',
          ],
        },
      ],
      ['a new one like the username', { old_password: STRONG_PASSWORD, new_password: 'xcarolx9' }, { new_password: ['The password is too similar to the username.'] }],
      ['a new one like the email', { old_password: STRONG_PASSWORD, new_password: 'carol.jones@example' }, { new_password: ['The password is too similar to the email address.'] }],
      ['a wrong old one and a weak new one, both at once', { old_password: 'nope', new_password: 'password' }, { ...WRONG_OLD, new_password: ['This password is too common.'] }],
    ])('%s: 400', async (_name, json, errors) => {
      const reply = await attempt(json);
      expect([reply.status, reply.body]).toEqual([400, errors]);
      expect((await me(app, { authorization: `Token ${token}` })).status).toBe(200); // nothing changed
    });

    it('stores the new password as sent, surrounding spaces included', async () => {
      const spaced = `  ${NEW_PASSWORD}  `;
      const reply = await attempt({ old_password: STRONG_PASSWORD, new_password: spaced });
      expect(reply.status).toBe(200);
      expect((await login(app, 'carol', NEW_PASSWORD)).status).toBe(400);
      expect((await login(app, 'carol', spaced)).status).toBe(200);
    });
  });

  it('nothing reached the error log', () => {
    expect(app.logged).toEqual([]);
  });
});

describe('knox: every token but the caller’s is deleted', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp((store) => [knoxScheme({ knoxTokens: store.knoxTokens })]);
    await register(app, 'alice');
    await register(app, 'bob');
  });
  afterAll(async () => {
    await app.close();
  });

  it('answers 200; the other devices get 401, the caller keeps its token', async () => {
    const phone = await loginToken(app, 'alice');
    const tablet = await loginToken(app, 'alice');
    const laptop = await loginToken(app, 'alice');
    const bobs = await loginToken(app, 'bob');
    const reply = await changePassword(app, { authorization: `Token ${laptop}` });
    expect([reply.status, reply.body]).toEqual([200, SAVED]);
    for (const other of [phone, tablet]) {
      const stale = await me(app, { authorization: `Token ${other}` });
      expect([stale.status, stale.body]).toEqual([401, INVALID_TOKEN]);
    }
    expect((await me(app, { authorization: `Token ${laptop}` })).status).toBe(200);
    expect((await me(app, { authorization: `Token ${bobs}` })).status).toBe(200);
    const sessions = await call(app, 'GET', '/api/auth/sessions', { headers: { authorization: `Token ${laptop}` } });
    expect((sessions.body as Array<{ current: boolean }>).map((s) => s.current)).toEqual([true]);
    await expectOnlyNewPasswordLogsIn(app, 'alice', { status: 400, body: BAD_LOGIN });
  });
});

describe('jwt: every login but the caller’s is revoked', () => {
  interface Pair {
    access: string;
    refresh: string;
  }
  const pair = async (app: TestApp, password = STRONG_PASSWORD) => (await login(app, 'alice', password)).body as Pair;
  const refresh = (app: TestApp, token: string) => call(app, 'POST', '/api/auth/refresh', { json: { refresh: token } });
  const BLACKLISTED = { detail: 'Token is blacklisted', code: 'token_not_valid' };
  const NO_ACCOUNT = { detail: 'No active account found with the given credentials' };

  it('with checkRevocation: the other logins’ refresh and access tokens get 401 at once', async () => {
    const app = await startApp((store) => [jwt(store, { checkRevocation: true })]);
    try {
      await register(app, 'alice');
      const phone = await pair(app);
      const laptop = await pair(app);
      const reply = await changePassword(app, { authorization: `Bearer ${laptop.access}` });
      expect([reply.status, reply.body]).toEqual([200, SAVED]);
      const access = await me(app, { authorization: `Bearer ${phone.access}` });
      expect(access.status).toBe(401);
      expect((access.body as { code: string }).code).toBe('token_not_valid');
      const refreshed = await refresh(app, phone.refresh);
      expect([refreshed.status, refreshed.body]).toEqual([401, BLACKLISTED]);
      expect((await me(app, { authorization: `Bearer ${laptop.access}` })).status).toBe(200);
      expect((await refresh(app, laptop.refresh)).status).toBe(200);
      await expectOnlyNewPasswordLogsIn(app, 'alice', { status: 401, body: NO_ACCOUNT });
    } finally {
      await app.close();
    }
  });

  it('by default (as after a logout): the other refresh tokens die, their access tokens live to their expiry', async () => {
    const app = await startApp((store) => [jwt(store)]);
    try {
      await register(app, 'alice');
      const phone = await pair(app);
      const laptop = await pair(app);
      expect((await changePassword(app, { authorization: `Bearer ${laptop.access}` })).status).toBe(200);
      expect(await refresh(app, phone.refresh)).toMatchObject({ status: 401, body: BLACKLISTED });
      expect((await me(app, { authorization: `Bearer ${phone.access}` })).status).toBe(200);
      expect((await refresh(app, laptop.refresh)).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

/** A browser's cookie jar, as far as these tests need one. */
class Jar {
  readonly cookies = new Map<string, string>();
  take(reply: Reply): Reply {
    for (const line of reply.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return reply;
  }
  get header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

describe('session: every other session is destroyed, the caller’s id changes', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp((store) => [sessionScheme({ sessions: store.sessions, secrets: [SESSION_SECRET] })]);
    await register(app, 'alice');
  });
  afterAll(async () => {
    await app.close();
  });
  const browser = async () => {
    const jar = new Jar();
    jar.take(await login(app, 'alice', STRONG_PASSWORD));
    return jar;
  };

  it('needs the CSRF token, as any unsafe method', async () => {
    const jar = await browser();
    const reply = await changePassword(app, { cookie: jar.header });
    expect([reply.status, reply.body]).toEqual([403, { detail: 'CSRF Failed: CSRF token missing.' }]);
  });

  it('answers 200; the other browsers are logged out, the caller continues under a new session id', async () => {
    const other = await browser();
    const mine = await browser();
    const oldCookie = mine.cookies.get('sessionid')!;
    const csrf = mine.cookies.get('csrftoken')!;
    const reply = mine.take(await changePassword(app, { cookie: mine.header, 'x-csrftoken': csrf }));
    expect([reply.status, reply.body]).toEqual([200, SAVED]);
    expect(mine.cookies.get('sessionid')).not.toBe(oldCookie);
    expect(mine.cookies.get('csrftoken')).toBe(csrf); // kept, as Django's cycle_key keeps it
    expect((await me(app, { cookie: other.header })).status).toBe(403);
    expect((await me(app, { cookie: `sessionid=${oldCookie}` })).status).toBe(403);
    expect((await me(app, { cookie: mine.header })).body).toEqual({ id: 1, username: 'alice', email: '' });
    const sessions = await call(app, 'GET', '/api/auth/sessions', { headers: { cookie: mine.header } });
    expect((sessions.body as Array<{ current: boolean }>).map((s) => s.current)).toEqual([true]);
    // The page's CSRF token still works under the new id.
    expect((await call(app, 'POST', '/api/auth/logout', { headers: { cookie: mine.header, 'x-csrftoken': csrf } })).status).toBe(204);
    await expectOnlyNewPasswordLogsIn(app, 'alice', { status: 400, body: BAD_LOGIN });
  });
});

describe('AUTH_SCHEME=jwt,token,knox: the change revokes in every configured scheme', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp((store) => [jwt(store), tokenScheme({ tokens: store.tokens }), knoxScheme({ knoxTokens: store.knoxTokens })]);
    await register(app, 'alice');
  });
  afterAll(async () => {
    await app.close();
  });

  it("a jwt caller's change deletes the user's token and knox tokens, and issues no token", async () => {
    const user = (await app.store.users.findByUsername('alice'))!;
    const token = 'ab'.repeat(20);
    const now = new Date().toISOString();
    await app.store.tokens.getOrCreate({ key: token, userId: user.id, created: now });
    const knoxToken = { tokenKey: '0123456789abcde', digest: 'ff'.repeat(64), userId: user.id, created: now, expiry: null, client: 'phone', lastUsed: null };
    expect(await app.store.knoxTokens.create(knoxToken, { max: null, now })).toBe('created');
    const { access } = (await login(app, 'alice', STRONG_PASSWORD)).body as { access: string };
    const reply = await changePassword(app, { authorization: `Bearer ${access}` });
    expect([reply.status, reply.body]).toEqual([200, SAVED]);
    expect(await app.store.tokens.findByUser(user.id)).toBeNull();
    expect(await app.store.knoxTokens.listLive(user.id, now)).toEqual([]);
    const stale = await me(app, { authorization: `Token ${token}` });
    expect([stale.status, stale.body]).toEqual([401, INVALID_TOKEN]);
  });
});
