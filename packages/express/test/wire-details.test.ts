import { afterEach, describe, expect, it } from 'vitest';
import { jwtScheme } from '@authbench/scheme-jwt';
import { knoxScheme } from '@authbench/scheme-knox';
import { sessionScheme } from '@authbench/scheme-session';
import { tokenScheme } from '@authbench/scheme-token';
import { utf8Error } from '../src/body.js';
import { call, loginToken, register, startApp, STRONG_PASSWORD, type TestApp } from './harness.js';

const SECRET = 'a-session-secret-of-at-least-32-characters';
let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** Logs alice in under session: her cookie header and CSRF token. */
async function sessionLogin(): Promise<{ cookie: string; csrf: string; setCookies: string[] }> {
  const reply = await call(app!, 'POST', '/api/auth/login', { json: { username: 'alice', password: STRONG_PASSWORD } });
  expect(reply.status).toBe(200);
  const pairs = reply.headers.getSetCookie().map((c) => c.split(';', 1)[0]!);
  const csrf = pairs.find((c) => c.startsWith('csrftoken='))!.slice('csrftoken='.length);
  return { cookie: pairs.join('; '), csrf, setCookies: reply.headers.getSetCookie() };
}

describe('Cache-Control on what depends on the caller', () => {
  it('an authenticated response is no-store, as Django marks views that vary on credentials', async () => {
    app = await startApp((store) => [tokenScheme({ tokens: store.tokens })]);
    await register(app, 'alice');
    const token = await loginToken(app, 'alice');
    const me = await call(app, 'GET', '/api/me', { headers: { authorization: `Token ${token}` } });
    expect([me.status, me.headers.get('cache-control')]).toEqual([200, 'no-store']);
    const login = await call(app, 'POST', '/api/auth/login', { json: { username: 'alice', password: STRONG_PASSWORD } });
    expect(login.headers.get('cache-control')).toBe('no-store');
    expect((await call(app, 'GET', '/healthz')).headers.get('cache-control')).toBeNull();
  });
});

describe('a JSON body that is not UTF-8', () => {
  it("is DRF's parse error quoting Python's codec, not a failed login", async () => {
    app = await startApp((store) => [tokenScheme({ tokens: store.tokens })]);
    const body = Buffer.concat([Buffer.from('{"username":"'), Buffer.from([0xff]), Buffer.from('","password":"x"}')]);
    const response = await fetch(`${app.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ detail: "JSON parse error - 'utf-8' codec can't decode byte 0xff in position 13: invalid start byte" });
  });

  it.each([
    [[0x61, 0xc3, 0xa9], null],
    [[0xf0, 0x9f, 0x98, 0x80], null],
    [[0x80], "'utf-8' codec can't decode byte 0x80 in position 0: invalid start byte"],
    [[0x61, 0xc0, 0xaf], "'utf-8' codec can't decode byte 0xc0 in position 1: invalid start byte"],
    [[0xe2, 0x28, 0xa1], "'utf-8' codec can't decode byte 0xe2 in position 0: invalid continuation byte"],
    [[0xed, 0xa0, 0x80], "'utf-8' codec can't decode byte 0xed in position 0: invalid continuation byte"],
    [[0x61, 0xe2, 0x82], "'utf-8' codec can't decode bytes in position 1-2: unexpected end of data"],
    [[0xf4, 0x90, 0x80, 0x80], "'utf-8' codec can't decode byte 0xf4 in position 0: invalid continuation byte"],
  ])('utf8Error(%j) is %j, as Python words it', (bytes, message) => {
    expect(utf8Error(Uint8Array.from(bytes))).toBe(message);
  });
});

describe('a method a route does not serve, as DRF: authentication and CSRF first, then 405', () => {
  it('session: a PUT with the cookie and no CSRF token is the CSRF 403; with it, the 405', async () => {
    app = await startApp((store) => [sessionScheme({ sessions: store.sessions, secrets: [SECRET] })]);
    await register(app, 'alice');
    const { cookie, csrf } = await sessionLogin();
    for (const path of ['/api/me', '/api/auth/logout', '/api/auth/sessions']) {
      const refused = await call(app, 'PUT', path, { headers: { cookie } });
      expect([path, refused.status, refused.body]).toEqual([path, 403, { detail: 'CSRF Failed: CSRF token missing.' }]);
      const wrongMethod = await call(app, 'PUT', path, { headers: { cookie, 'x-csrftoken': csrf } });
      expect([path, wrongMethod.status, wrongMethod.body]).toEqual([path, 405, { detail: 'Method "PUT" not allowed.' }]);
    }
    const anonymous = await call(app, 'DELETE', '/api/me');
    expect([anonymous.status, anonymous.body]).toEqual([403, { detail: 'Authentication credentials were not provided.' }]);
  });

  it('token: an anonymous PATCH of a protected route is the 401 with its challenge; the login route is a plain 405', async () => {
    app = await startApp((store) => [tokenScheme({ tokens: store.tokens })]);
    const anonymous = await call(app, 'PATCH', '/api/me');
    expect([anonymous.status, anonymous.headers.get('www-authenticate')]).toEqual([401, 'Token']);
    expect((await call(app, 'PUT', '/api/auth/login')).status).toBe(405);
  });
});

describe('session logout', () => {
  it('sends the sessionid cookie back expired, as Django’s logout does', async () => {
    app = await startApp((store) => [sessionScheme({ sessions: store.sessions, secrets: [SECRET] })]);
    await register(app, 'alice');
    const { cookie, csrf } = await sessionLogin();
    const logout = await call(app, 'POST', '/api/auth/logout', { headers: { cookie, 'x-csrftoken': csrf } });
    expect(logout.status).toBe(204);
    expect(logout.headers.getSetCookie()).toEqual(['sessionid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Lax']);
    const again = await sessionLogin();
    const all = await call(app, 'POST', '/api/auth/logoutall', { headers: { cookie: again.cookie, 'x-csrftoken': again.csrf } });
    expect([all.status, all.headers.getSetCookie()[0]]).toEqual([204, expect.stringMatching(/^sessionid=; Max-Age=0;/)]);
  });
});

describe("last_login, written where the Django package sends user_logged_in", () => {
  const lastLogin = () => (app!.store.db.prepare("SELECT last_login FROM users WHERE username = 'alice'").get() as { last_login: string | null }).last_login;
  const loginAs = () => call(app!, 'POST', '/api/auth/login', { json: { username: 'alice', password: STRONG_PASSWORD } });

  it('knox and session write it at login', async () => {
    for (const make of [
      (store: Parameters<Parameters<typeof startApp>[0]>[0]) => knoxScheme({ knoxTokens: store.knoxTokens }),
      (store: Parameters<Parameters<typeof startApp>[0]>[0]) => sessionScheme({ sessions: store.sessions, secrets: [SECRET] }),
    ]) {
      app = await startApp((store) => [make(store)]);
      await register(app, 'alice');
      expect(lastLogin()).toBeNull();
      const before = Date.now();
      expect((await loginAs()).status).toBe(200);
      expect(Date.parse(lastLogin()!)).toBeGreaterThanOrEqual(before - 1000);
      await app.close();
      app = undefined;
    }
  });

  it("DRF's token view does not; jwt does only with updateLastLogin, as simplejwt's UPDATE_LAST_LOGIN", async () => {
    app = await startApp((store) => [tokenScheme({ tokens: store.tokens })]);
    await register(app, 'alice');
    expect((await loginAs()).status).toBe(200);
    expect(lastLogin()).toBeNull();
    await app.close();
    for (const updateLastLogin of [false, true]) {
      app = await startApp((store) => [jwtScheme({ jwt: store.jwt, users: store.users, signingKey: 'k'.repeat(32), updateLastLogin })]);
      await register(app, 'alice');
      expect((await loginAs()).status).toBe(200);
      expect(lastLogin() !== null).toBe(updateLastLogin);
      await app.close();
    }
    app = undefined;
  });
});
