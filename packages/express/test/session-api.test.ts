import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OptionError } from '@authbench/core';
import { maskSecret, sessionScheme, type SessionSchemeOptions } from '@authbench/scheme-session';
import { tokenScheme } from '@authbench/scheme-token';
import { openSqliteStore, type SqliteStore } from '@authbench/store-sqlite';
import { call, loginToken, register, STRONG_PASSWORD, startApp, type TestApp } from './harness.js';

const SECRET = 'a-session-secret-of-at-least-32-characters';
const NOT_PROVIDED = { detail: 'Authentication credentials were not provided.' };

const session = (store: SqliteStore, options: Partial<SessionSchemeOptions> = {}) =>
  sessionScheme({ sessions: store.sessions, secrets: [SECRET], ...options });

/** A browser's cookie jar, as far as these tests need one. */
class Jar {
  readonly cookies = new Map<string, string>();
  take(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
  }
  get header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  get csrf(): string {
    return this.cookies.get('csrftoken')!;
  }
}

async function browserLogin(app: TestApp, username = 'alice', jar = new Jar(), headers: Record<string, string> = {}) {
  const reply = await call(app, 'POST', '/api/auth/login', {
    json: { username, password: STRONG_PASSWORD },
    headers: { ...headers, ...(jar.cookies.size > 0 && { cookie: jar.header }) },
  });
  jar.take(reply.headers);
  return { reply, jar };
}
const get = (app: TestApp, path: string, jar: Jar) => call(app, 'GET', path, { headers: { cookie: jar.header } });
const post = (app: TestApp, path: string, jar: Jar, headers: Record<string, string> = {}) =>
  call(app, 'POST', path, { headers: { cookie: jar.header, ...headers } });

describe('session alone', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp((store) => [session(store)]);
    await register(app, 'alice');
    await register(app, 'bob');
  });
  afterAll(async () => {
    await app.close();
  });

  it("logs in: the user's body, an HttpOnly Lax sessionid and a readable csrftoken", async () => {
    const { reply } = await browserLogin(app);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ id: 1, username: 'alice', email: '' });
    const cookies = reply.headers.getSetCookie();
    const sessionCookie = cookies.find((c) => c.startsWith('sessionid='))!;
    expect(sessionCookie).toMatch(/; HttpOnly/);
    expect(sessionCookie).toMatch(/; SameSite=Lax/);
    expect(sessionCookie).toMatch(/; Expires=/);
    const csrfCookie = cookies.find((c) => c.startsWith('csrftoken='))!;
    expect(csrfCookie).toMatch(/^csrftoken=[a-zA-Z0-9]{32}; Max-Age=31449600; Path=\/; SameSite=Lax$/);
  });

  it('authenticates by cookie, and anonymous requests are 403 with no challenge', async () => {
    const { jar } = await browserLogin(app);
    expect((await get(app, '/api/me', jar)).body).toEqual({ id: 1, username: 'alice', email: '' });
    const anonymous = await call(app, 'GET', '/api/me');
    expect(anonymous.status).toBe(403);
    expect(anonymous.body).toEqual(NOT_PROVIDED);
    expect(anonymous.headers.get('www-authenticate')).toBeNull();
  });

  it('gives a new session id at login and destroys the old one (no fixation)', async () => {
    const first = await browserLogin(app);
    const before = first.jar.cookies.get('sessionid');
    await browserLogin(app, 'alice', first.jar);
    expect(first.jar.cookies.get('sessionid')).not.toBe(before);
    expect((await get(app, '/api/me', first.jar)).status).toBe(200);
    const planted = new Jar();
    planted.cookies.set('sessionid', before!);
    expect((await get(app, '/api/me', planted)).status).toBe(403);
  });

  it('refuses forged, truncated and unsigned cookies as anonymous', async () => {
    const { jar } = await browserLogin(app);
    const real = jar.cookies.get('sessionid')!;
    const sid = decodeURIComponent(real).slice(2).split('.')[0]!;
    for (const value of [real.slice(0, -5), encodeURIComponent(`s:${sid}.forgedsignature`), sid, 'garbage', '%zz']) {
      const forged = new Jar();
      forged.cookies.set('sessionid', value);
      const reply = await get(app, '/api/me', forged);
      expect(reply.status).toBe(403);
      expect(reply.body).toEqual(NOT_PROVIDED);
    }
  });

  describe("CSRF, Django's reasons", () => {
    it('safe methods never need it', async () => {
      const { jar } = await browserLogin(app);
      expect((await get(app, '/api/auth/sessions', jar)).status).toBe(200);
    });

    it.each([
      ['no token', {}, 'CSRF token missing.'],
      ['a short token', { 'x-csrftoken': 'abc' }, "CSRF token from the 'X-Csrftoken' HTTP header has incorrect length."],
      ['bad characters', { 'x-csrftoken': '!'.repeat(32) }, "CSRF token from the 'X-Csrftoken' HTTP header has invalid characters."],
      ['a wrong token', { 'x-csrftoken': 'a'.repeat(32) }, "CSRF token from the 'X-Csrftoken' HTTP header incorrect."],
      ['a foreign Origin', { origin: 'https://evil.example' }, 'Origin checking failed - https://evil.example does not match any trusted origins.'],
    ])('%s: 403 CSRF Failed', async (_name, headers, reason) => {
      const { jar } = await browserLogin(app);
      const reply = await post(app, '/api/auth/logout', jar, headers);
      expect(reply.status).toBe(403);
      expect(reply.body).toEqual({ detail: `CSRF Failed: ${reason}` });
      expect((await get(app, '/api/me', jar)).status).toBe(200); // still logged in
    });

    it('accepts the cookie value, or a masked token, in X-CSRFToken', async () => {
      const a = (await browserLogin(app)).jar;
      expect((await post(app, '/api/auth/logout', a, { 'x-csrftoken': a.csrf })).status).toBe(204);
      const b = (await browserLogin(app)).jar;
      expect((await post(app, '/api/auth/logout', b, { 'x-csrftoken': maskSecret(b.csrf) })).status).toBe(204);
    });

    it("refuses a CSRF token from another session", async () => {
      const mine = (await browserLogin(app)).jar;
      const other = (await browserLogin(app, 'bob')).jar;
      const reply = await post(app, '/api/auth/logout', mine, { 'x-csrftoken': other.csrf });
      expect(reply.status).toBe(403);
      expect(reply.body).toEqual({ detail: "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect." });
    });
  });

  it('logout destroys the session; the cookie then means nothing', async () => {
    const { jar } = await browserLogin(app);
    expect((await post(app, '/api/auth/logout', jar, { 'x-csrftoken': jar.csrf })).status).toBe(204);
    expect((await get(app, '/api/me', jar)).status).toBe(403);
  });

  it('logoutall destroys every session of the user, and no one else’s', async () => {
    const a = (await browserLogin(app)).jar;
    const b = (await browserLogin(app)).jar;
    const bob = (await browserLogin(app, 'bob')).jar;
    expect((await post(app, '/api/auth/logoutall', a, { 'x-csrftoken': a.csrf })).status).toBe(204);
    expect((await get(app, '/api/me', a)).status).toBe(403);
    expect((await get(app, '/api/me', b)).status).toBe(403);
    expect((await get(app, '/api/me', bob)).status).toBe(200);
  });

  it('lists sessions without their ids and revokes one', async () => {
    await post(app, '/api/auth/logoutall', (await browserLogin(app)).jar, {});
    const phone = (await browserLogin(app, 'alice', new Jar(), { 'user-agent': 'phone' })).jar;
    const laptop = (await browserLogin(app, 'alice', new Jar(), { 'user-agent': 'laptop' })).jar;
    const list = await call(app, 'GET', '/api/auth/sessions', { headers: { cookie: laptop.header } });
    const sessions = list.body as Array<{ id: string; client: string; current: boolean }>;
    const live = sessions.filter((s) => ['phone', 'laptop'].includes(s.client));
    expect(live.map((s) => [s.client, s.current]).sort()).toEqual([['laptop', true], ['phone', false]]);
    const sid = decodeURIComponent(phone.cookies.get('sessionid')!).slice(2).split('.')[0]!;
    expect(list.text).not.toContain(sid);
    const phoneId = live.find((s) => s.client === 'phone')!.id;
    const revoke = await call(app, 'DELETE', `/api/auth/sessions/${phoneId}`, { headers: { cookie: laptop.header, 'x-csrftoken': laptop.csrf } });
    expect(revoke.status).toBe(204);
    expect((await get(app, '/api/me', phone)).status).toBe(403);
    expect((await call(app, 'DELETE', `/api/auth/sessions/${phoneId}`, { headers: { cookie: laptop.header, 'x-csrftoken': laptop.csrf } })).status).toBe(404);
  });

  it("a deactivated or deleted user's session is anonymous", async () => {
    await register(app, 'carol');
    const { jar } = await browserLogin(app, 'carol');
    const carol = (await app.store.users.findByUsername('carol'))!;
    await app.store.users.setActive(carol.id, false);
    expect((await get(app, '/api/me', jar)).status).toBe(403);
    await app.store.users.setActive(carol.id, true);
    expect((await get(app, '/api/me', jar)).status).toBe(200);
    await app.store.users.delete(carol.id);
    expect((await get(app, '/api/me', jar)).status).toBe(403);
  });

  it('a read-only request writes nothing', async () => {
    const { jar } = await browserLogin(app);
    await get(app, '/api/me', jar);
    const before = app.store.db.prepare('SELECT sid, data, expires, last_used FROM sessions ORDER BY sid').all();
    for (let i = 0; i < 5; i++) await get(app, '/api/me', jar);
    expect(app.store.db.prepare('SELECT sid, data, expires, last_used FROM sessions ORDER BY sid').all()).toEqual(before);
  });

  it('nothing reached the error log', () => {
    expect(app.logged).toEqual([]);
  });
});

describe('session: the cost of a read-only request', () => {
  it('is one read at the store boundary (session and user together), no touch and no write', async () => {
    const calls: string[] = [];
    const app = await startApp((store) => {
      const counted = Object.fromEntries(
        Object.entries(store.sessions).map(([name, fn]) => [name, (...args: unknown[]) => (calls.push(name), (fn as (...a: unknown[]) => unknown)(...args))]),
      ) as unknown as typeof store.sessions;
      return [sessionScheme({ sessions: counted, secrets: [SECRET] })];
    });
    try {
      await register(app, 'alice');
      const { jar } = await browserLogin(app);
      calls.length = 0;
      for (let i = 0; i < 3; i++) expect((await get(app, '/api/me', jar)).status).toBe(200);
      expect(calls).toEqual(['get', 'get', 'get']);
    } finally {
      await app.close();
    }
  });
});

describe('session over HTTPS: the strict Referer check', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp((store) => [session(store, { trustProxy: ['loopback'], trustedOrigins: ['https://*.trusted.example'] })]);
    await register(app, 'alice');
  });
  afterAll(async () => {
    await app.close();
  });
  const https = { 'x-forwarded-proto': 'https' };
  // Over HTTPS the login itself needs a Referer of the site (login CSRF).
  const secureLogin = () => browserLogin(app, 'alice', new Jar(), { ...https, referer: `https://127.0.0.1:${app.port}/login` });

  it('marks cookies Secure behind HTTPS', async () => {
    const { reply } = await secureLogin();
    expect(reply.status).toBe(200);
    const cookies = reply.headers.getSetCookie();
    expect(cookies.map((c) => c.split('=', 1)[0])).toEqual(['csrftoken', 'sessionid']);
    for (const cookie of cookies) expect(cookie).toMatch(/; Secure/);
  });

  it.each([
    ['no Referer', {}, 'Referer checking failed - no Referer.'],
    ['a malformed Referer', { referer: 'not a url' }, 'Referer checking failed - Referer is malformed.'],
    ['an http Referer', { referer: 'http://localhost/' }, 'Referer checking failed - Referer is insecure while host is secure.'],
    ['a foreign Referer', { referer: 'https://evil.example/page' }, 'Referer checking failed - https://evil.example/page does not match any trusted origins.'],
  ])('%s is refused', async (_name, headers, reason) => {
    const { jar } = await secureLogin();
    const reply = await post(app, '/api/auth/logout', jar, { ...https, 'x-csrftoken': jar.csrf, ...headers });
    expect(reply.status).toBe(403);
    expect(reply.body).toEqual({ detail: `CSRF Failed: ${reason}` });
  });

  it('accepts its own host and trusted origins', async () => {
    for (const referer of ['https://app.trusted.example/x', `https://127.0.0.1:${app.port}/page`]) {
      const { jar } = await secureLogin();
      const reply = await post(app, '/api/auth/logout', jar, { ...https, 'x-csrftoken': jar.csrf, referer, host: `127.0.0.1:${app.port}` });
      expect(reply.status).toBe(204);
    }
  });
});

describe('mixed schemes: AUTH_SCHEME=token,session', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp((store) => [tokenScheme({ tokens: store.tokens }), session(store)]);
    await register(app, 'alice');
  });
  afterAll(async () => {
    await app.close();
  });

  it('/healthz lists both schemes, and session among those carried by a cookie', async () => {
    expect((await call(app, 'GET', '/healthz')).body).toEqual({ status: 'ok', schemes: ['token', 'session'], cookies: ['session'] });
  });

  it("the first scheme's 401 and challenge apply", async () => {
    const reply = await call(app, 'GET', '/api/me');
    expect(reply.status).toBe(401);
    expect(reply.headers.get('www-authenticate')).toBe('Token');
  });

  it('a token-authenticated request needs no CSRF token', async () => {
    const token = await loginToken(app, 'alice');
    expect((await call(app, 'POST', '/api/auth/logout', { headers: { authorization: `Token ${token}` } })).status).toBe(204);
  });

  it('login issues a token (the first scheme); a session cookie still authenticates, with CSRF', async () => {
    const reply = await call(app, 'POST', '/api/auth/login', { json: { username: 'alice', password: STRONG_PASSWORD } });
    expect(reply.body).toEqual({ token: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(reply.headers.getSetCookie()).toEqual([]);
  });
});

describe('login CSRF: unsafe requests without a session are checked too', () => {
  let app: TestApp;
  let own: string;
  beforeAll(async () => {
    app = await startApp((store) => [session(store, { trustProxy: ['loopback'], trustedOrigins: ['https://app.trusted.example'] })]);
    own = `http://127.0.0.1:${app.port}`;
    await register(app, 'alice');
  });
  afterAll(async () => {
    await app.close();
  });
  const https = { 'x-forwarded-proto': 'https' };
  const refused = (reason: string) => ({ status: 403, body: { detail: `CSRF Failed: ${reason}` } });
  const foreign = refused('Origin checking failed - https://evil.example does not match any trusted origins.');
  const attempt = async (headers: Record<string, string>, path = '/api/auth/login', json: unknown = { username: 'alice', password: STRONG_PASSWORD }) => {
    const reply = await call(app, 'POST', path, { json, headers });
    return { status: reply.status, body: reply.body, cookies: reply.headers.getSetCookie() };
  };

  it('refuses a login from a foreign Origin, with no cookie set', async () => {
    expect(await attempt({ origin: 'https://evil.example' })).toEqual({ ...foreign, cookies: [] });
  });

  it('refuses it as a form post too, and an Origin of null', async () => {
    const form = await call(app, 'POST', '/api/auth/login', {
      body: `username=alice&password=${STRONG_PASSWORD}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'null' },
    });
    expect({ status: form.status, body: form.body }).toEqual(refused('Origin checking failed - null does not match any trusted origins.'));
  });

  it('refuses a register from a foreign Origin, creating no user', async () => {
    const reply = await attempt({ origin: 'https://evil.example' }, '/api/auth/register', { username: 'mallory', password: STRONG_PASSWORD });
    expect(reply).toEqual({ ...foreign, cookies: [] });
    expect(await app.store.users.findByUsername('mallory')).toBeNull();
  });

  it('refuses a login from a foreign Origin even in a logged-in browser, which stays logged in as before', async () => {
    const { jar } = await browserLogin(app);
    const reply = await call(app, 'POST', '/api/auth/login', {
      json: { username: 'alice', password: STRONG_PASSWORD },
      headers: { cookie: jar.header, origin: 'https://evil.example' },
    });
    expect({ status: reply.status, body: reply.body }).toEqual(foreign);
    expect((await get(app, '/api/me', jar)).status).toBe(200);
  });

  it('accepts its own origin and a trusted one', async () => {
    expect((await attempt({ origin: own })).status).toBe(200);
    expect((await attempt({ origin: 'https://app.trusted.example' })).status).toBe(200);
    expect((await attempt({ origin: 'https://other.trusted.example' })).status).toBe(403);
  });

  it('accepts a request with no Origin over plain HTTP (curl, scripts), as Django', async () => {
    const reply = await attempt({});
    expect(reply.status).toBe(200);
    expect(reply.cookies.map((c) => c.split('=', 1)[0])).toEqual(['csrftoken', 'sessionid']);
  });

  it('checks safe methods not at all', async () => {
    expect((await call(app, 'GET', '/healthz', { headers: { origin: 'https://evil.example' } })).status).toBe(200);
  });

  it('a Basic Authorization header (which a browser sends by itself) exempts nothing', async () => {
    const basic = `Basic ${Buffer.from(`alice:${STRONG_PASSWORD}`).toString('base64')}`;
    expect(await attempt({ origin: 'https://evil.example', authorization: basic })).toEqual({ ...foreign, cookies: [] });
  });

  describe('over HTTPS, without an Origin, the Referer', () => {
    it.each([
      ['no Referer', {}, 'Referer checking failed - no Referer.'],
      ['a malformed Referer', { referer: 'not a url' }, 'Referer checking failed - Referer is malformed.'],
      ['an http Referer', { referer: 'http://127.0.0.1/login' }, 'Referer checking failed - Referer is insecure while host is secure.'],
      ['a foreign Referer', { referer: 'https://evil.example/page' }, 'Referer checking failed - https://evil.example/page does not match any trusted origins.'],
    ])('%s is refused', async (_name, headers, reason) => {
      expect(await attempt({ ...https, ...headers })).toEqual({ ...refused(reason), cookies: [] });
    });

    it('accepts its own host and a trusted origin', async () => {
      expect((await attempt({ ...https, referer: `https://127.0.0.1:${app.port}/login` })).status).toBe(200);
      expect((await attempt({ ...https, referer: 'https://app.trusted.example/signin' })).status).toBe(200);
      expect((await attempt({ ...https, origin: 'https://app.trusted.example' })).status).toBe(200);
    });
  });

  it('nothing reached the error log', () => {
    expect(app.logged).toEqual([]);
  });
});

describe('login CSRF under AUTH_SCHEME=token,session', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp((store) => [tokenScheme({ tokens: store.tokens }), session(store)]);
    await register(app, 'alice');
  });
  afterAll(async () => {
    await app.close();
  });

  it('a token login from a foreign Origin is refused too: session is configured', async () => {
    const reply = await call(app, 'POST', '/api/auth/login', { json: { username: 'alice', password: STRONG_PASSWORD }, headers: { origin: 'https://evil.example' } });
    expect([reply.status, reply.body]).toEqual([403, { detail: 'CSRF Failed: Origin checking failed - https://evil.example does not match any trusted origins.' }]);
  });

  it('a request carrying a token from another origin is not: no cross-site form can set that header', async () => {
    const token = await loginToken(app, 'alice');
    const reply = await call(app, 'POST', '/api/auth/logout', { headers: { authorization: `Token ${token}`, origin: 'https://spa.example' } });
    expect(reply.status).toBe(204);
    const stale = await call(app, 'POST', '/api/auth/logout', { headers: { authorization: `Token ${token}`, origin: 'https://spa.example' } });
    expect([stale.status, stale.body]).toEqual([401, { detail: 'Invalid token.' }]);
  });
});

describe('a session cookie beside a token header, under AUTH_SCHEME=session,token', () => {
  it('the session still gets its Origin check: the middleware let the request by for its token header', async () => {
    const app = await startApp((store) => [session(store), tokenScheme({ tokens: store.tokens })]);
    try {
      await register(app, 'alice');
      const { jar } = await browserLogin(app);
      const withToken = { 'x-csrftoken': jar.csrf, authorization: 'Token 0123456789abcdef0123456789abcdef01234567' };
      const foreign = await post(app, '/api/auth/logout', jar, { ...withToken, origin: 'https://evil.example' });
      expect([foreign.status, foreign.body]).toEqual([403, { detail: 'CSRF Failed: Origin checking failed - https://evil.example does not match any trusted origins.' }]);
      expect((await get(app, '/api/me', jar)).status).toBe(200);
      expect((await post(app, '/api/auth/logout', jar, withToken)).status).toBe(204);
    } finally {
      await app.close();
    }
  });
});

describe('sessionScheme options', () => {
  it('refuses a trusted origin without a scheme, as Django’s check 4_0.E001, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authbench-session-options-'));
    const store = openSqliteStore(join(dir, 'db.sqlite3'));
    try {
      expect(() => session(store, { trustedOrigins: ['https://ok.example.com', 'app.example.com'] })).toThrow(
        new OptionError('sessionScheme', 'trustedOrigins', 'entries that start with a scheme (https://…)', 'app.example.com'),
      );
      expect(() => session(store, { trustedOrigins: ['https://*.example.com'] })).not.toThrow();
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
