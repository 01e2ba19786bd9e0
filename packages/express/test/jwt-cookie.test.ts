import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskSecret } from '@authbench/core';
import { jwtScheme, type JwtSchemeOptions } from '@authbench/scheme-jwt';
import { call, register, STRONG_PASSWORD, startApp, type TestApp } from './harness.js';

const SECRET = 'a-test-secret-of-more-than-32-bytes-0123456789';
const EXPIRED = 'Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT';

function startCookieApp(options: Partial<JwtSchemeOptions> = {}, trustProxy?: readonly string[]): Promise<TestApp> {
  return startApp((store) => [jwtScheme({ jwt: store.jwt, users: store.users, signingKey: SECRET, cookies: true, ...options })], trustProxy === undefined ? {} : { trustProxy });
}

/** The cookies a response set, by name: the value and the attributes after it. */
function setCookies(headers: Headers): Map<string, { value: string; attributes: string }> {
  const cookies = new Map<string, { value: string; attributes: string }>();
  for (const line of headers.getSetCookie()) {
    const semi = line.indexOf(';');
    const pair = line.slice(0, semi);
    const eq = pair.indexOf('=');
    cookies.set(pair.slice(0, eq), { value: pair.slice(eq + 1), attributes: line.slice(semi + 2) });
  }
  return cookies;
}

interface CookieLogin {
  readonly access: string;
  readonly refresh: string;
  readonly csrf: string;
  readonly cookies: ReturnType<typeof setCookies>;
}
async function login(app: TestApp, username = 'alice', headers: Record<string, string> = {}): Promise<CookieLogin> {
  const reply = await call(app, 'POST', '/api/auth/login', { json: { username, password: STRONG_PASSWORD }, headers });
  expect(reply.status).toBe(200);
  const cookies = setCookies(reply.headers);
  return { ...(reply.body as { access: string; refresh: string }), csrf: cookies.get('csrftoken')!.value, cookies };
}
const cookie = (s: CookieLogin) => `jwt_access=${s.access}; csrftoken=${s.csrf}`;
const csrfFailed = (reason: string) => ({ detail: `CSRF Failed: ${reason}` });

describe('the jwt cookie transport', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startCookieApp({ refreshGraceSeconds: 0 });
    await register(app, 'alice');
    await register(app, 'bob');
  });
  afterAll(async () => {
    await app.close();
  });

  it('is listed by /healthz among the schemes carried by a cookie', async () => {
    const reply = await call(app, 'GET', '/healthz');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ok', schemes: ['jwt'], cookies: ['jwt'] });
  });

  it("logs in with simplejwt's body, and sets the tokens as HttpOnly Lax cookies beside a readable csrftoken", async () => {
    const s = await login(app);
    expect([...s.cookies.keys()]).toEqual(['jwt_access', 'jwt_refresh', 'csrftoken']);
    expect(s.cookies.get('jwt_access')).toEqual({ value: s.access, attributes: 'Max-Age=300; Path=/; HttpOnly; SameSite=Lax' });
    // Only the refresh route (below the router's mount point) ever receives the refresh cookie.
    expect(s.cookies.get('jwt_refresh')).toEqual({ value: s.refresh, attributes: 'Max-Age=86400; Path=/api/auth/refresh; HttpOnly; SameSite=Lax' });
    expect(s.cookies.get('csrftoken')!.attributes).toBe('Max-Age=31449600; Path=/; SameSite=Lax');
    expect(s.csrf).toMatch(/^[a-zA-Z0-9]{32}$/);
    // The tokens hold a digest of the CSRF secret, never the secret itself.
    const digest = createHash('sha256').update(`authbench-jwt-csrf:${s.csrf}`).digest('hex');
    expect(decodeJwt(s.access)['csrf']).toBe(digest);
    expect(decodeJwt(s.refresh)['csrf']).toBe(digest);
  });

  it('authenticates a safe request by the access cookie alone', async () => {
    const s = await login(app);
    const reply = await call(app, 'GET', '/api/me', { headers: { cookie: `jwt_access=${s.access}` } });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ id: 1, username: 'alice', email: '' });
  });

  it("refuses a cookie-authenticated POST without the CSRF token, with Django's 403", async () => {
    const s = await login(app);
    const reply = await call(app, 'POST', '/api/auth/logout', { headers: { cookie: cookie(s) } });
    expect(reply.status).toBe(403);
    expect(reply.body).toEqual(csrfFailed('CSRF token missing.'));
    const wrong = await call(app, 'POST', '/api/auth/logout', { headers: { cookie: cookie(s), 'x-csrftoken': 'a'.repeat(32) } });
    expect(wrong.status).toBe(403);
    expect(wrong.body).toEqual(csrfFailed("CSRF token from the 'X-Csrftoken' HTTP header incorrect."));
    // Still logged in: the refused logout revoked nothing.
    expect((await call(app, 'GET', '/api/me', { headers: { cookie: cookie(s) } })).status).toBe(200);
  });

  it('logs out with the CSRF token (plain or masked), clearing both token cookies', async () => {
    const a = await login(app);
    const out = await call(app, 'POST', '/api/auth/logout', { headers: { cookie: cookie(a), 'x-csrftoken': a.csrf } });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie()).toEqual([
      `jwt_access=; ${EXPIRED}; Path=/; HttpOnly; SameSite=Lax`,
      `jwt_refresh=; ${EXPIRED}; Path=/api/auth/refresh; HttpOnly; SameSite=Lax`,
    ]);
    // The login's refresh family is revoked.
    const again = await call(app, 'POST', '/api/auth/refresh', { json: { refresh: a.refresh } });
    expect(again.status).toBe(401);
    expect(again.body).toEqual({ detail: 'Token is blacklisted', code: 'token_not_valid' });

    const b = await login(app);
    const all = await call(app, 'POST', '/api/auth/logoutall', { headers: { cookie: cookie(b), 'x-csrftoken': maskSecret(b.csrf) } });
    expect(all.status).toBe(204);
    expect(setCookies(all.headers).get('jwt_access')!.attributes).toBe(`${EXPIRED}; Path=/; HttpOnly; SameSite=Lax`);
  });

  it('refreshes from the refresh cookie behind the CSRF checks, rotating it and setting new cookies', async () => {
    const s = await login(app);
    const refreshCookie = `jwt_refresh=${s.refresh}; csrftoken=${s.csrf}`;
    const refused = await call(app, 'POST', '/api/auth/refresh', { json: {}, headers: { cookie: refreshCookie } });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual(csrfFailed('CSRF token missing.'));

    const reply = await call(app, 'POST', '/api/auth/refresh', { json: {}, headers: { cookie: refreshCookie, 'x-csrftoken': s.csrf } });
    expect(reply.status).toBe(200);
    const body = reply.body as { access: string; refresh: string };
    expect(body.refresh).not.toBe(s.refresh);
    const cookies = setCookies(reply.headers);
    expect(cookies.get('jwt_access')).toEqual({ value: body.access, attributes: 'Max-Age=300; Path=/; HttpOnly; SameSite=Lax' });
    expect(cookies.get('jwt_refresh')).toEqual({ value: body.refresh, attributes: 'Max-Age=86400; Path=/api/auth/refresh; HttpOnly; SameSite=Lax' });
    expect(cookies.has('csrftoken')).toBe(false);
    // The login's CSRF secret carries over: the page's csrftoken cookie still works with the new access token.
    expect(decodeJwt(body.access)['csrf']).toBe(decodeJwt(s.access)['csrf']);
    const out = await call(app, 'POST', '/api/auth/logout', { headers: { cookie: `jwt_access=${body.access}`, 'x-csrftoken': s.csrf } });
    expect(out.status).toBe(204);
    // The spent refresh token is refused, from the cookie as from a body.
    const spent = await call(app, 'POST', '/api/auth/refresh', { json: {}, headers: { cookie: refreshCookie, 'x-csrftoken': s.csrf } });
    expect(spent.status).toBe(401);
    expect(spent.body).toEqual({ detail: 'Token is blacklisted', code: 'token_not_valid' });
  });

  it('takes a refresh token in the body without a CSRF token, and says when there is none at all', async () => {
    const s = await login(app);
    const reply = await call(app, 'POST', '/api/auth/refresh', { json: { refresh: s.refresh } });
    expect(reply.status).toBe(200);
    expect(setCookies(reply.headers).get('jwt_refresh')!.value).toBe((reply.body as { refresh: string }).refresh);
    const none = await call(app, 'POST', '/api/auth/refresh', { json: {} });
    expect(none.status).toBe(400);
    expect(none.body).toEqual({ refresh: ['This field is required.'] });
  });

  it('refuses a foreign Origin, on a cookie-authenticated request and at login', async () => {
    const s = await login(app);
    const foreign = await call(app, 'POST', '/api/auth/logout', { headers: { cookie: cookie(s), 'x-csrftoken': s.csrf, origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toEqual(csrfFailed('Origin checking failed - http://evil.example does not match any trusted origins.'));
    const ownOrigin = await call(app, 'POST', '/api/auth/logout', { headers: { cookie: cookie(s), 'x-csrftoken': s.csrf, origin: app.url } });
    expect(ownOrigin.status).toBe(204);
    // Login CSRF: a foreign page cannot log the browser into another account.
    const loginFromAfar = await call(app, 'POST', '/api/auth/login', { json: { username: 'alice', password: STRONG_PASSWORD }, headers: { origin: 'http://evil.example' } });
    expect(loginFromAfar.status).toBe(403);
    expect(loginFromAfar.body).toEqual(csrfFailed('Origin checking failed - http://evil.example does not match any trusted origins.'));
    expect(loginFromAfar.headers.getSetCookie()).toEqual([]);
    // Nor have it refresh a token into the browser's cookies.
    const refreshFromAfar = await call(app, 'POST', '/api/auth/refresh', { json: { refresh: s.refresh }, headers: { origin: 'http://evil.example' } });
    expect(refreshFromAfar.status).toBe(403);
    expect(refreshFromAfar.headers.getSetCookie()).toEqual([]);
  });

  it('keeps the Bearer header working beside the cookie, without CSRF, and lets it win', async () => {
    const alice = await login(app);
    const bob = await login(app, 'bob');
    const me = await call(app, 'GET', '/api/me', { headers: { cookie: cookie(alice), authorization: `Bearer ${bob.access}` } });
    expect(me.body).toEqual({ id: 2, username: 'bob', email: '' });
    // A foreign Origin does not matter either: no cross-site form can send the header.
    const out = await call(app, 'POST', '/api/auth/logout', { headers: { authorization: `Bearer ${bob.access}`, origin: 'http://evil.example' } });
    expect(out.status).toBe(204);
  });

  it('answers a bad or expired access cookie as simplejwt answers the header', async () => {
    const reply = await call(app, 'GET', '/api/me', { headers: { cookie: 'jwt_access=not.a.token' } });
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({
      detail: 'Given token not valid for any token type',
      code: 'token_not_valid',
      messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is invalid' }],
    });
    expect(reply.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });
});

describe('the cookie transport, configured otherwise', () => {
  it('marks the cookies Secure over HTTPS (X-Forwarded-Proto from a trusted proxy)', async () => {
    const app = await startCookieApp({ trustProxy: ['loopback'] }, ['loopback']);
    try {
      await register(app, 'alice');
      const origin = `https://127.0.0.1:${app.port}`;
      const s = await login(app, 'alice', { 'x-forwarded-proto': 'https', origin });
      expect(s.cookies.get('jwt_access')!.attributes).toBe('Max-Age=300; Path=/; HttpOnly; SameSite=Lax; Secure');
      expect(s.cookies.get('jwt_refresh')!.attributes).toBe('Max-Age=86400; Path=/api/auth/refresh; HttpOnly; SameSite=Lax; Secure');
      expect(s.cookies.get('csrftoken')!.attributes).toBe('Max-Age=31449600; Path=/; SameSite=Lax; Secure');
      // Over HTTPS without an Origin, Django wants a Referer.
      const noReferer = await call(app, 'POST', '/api/auth/logout', { headers: { cookie: cookie(s), 'x-csrftoken': s.csrf, 'x-forwarded-proto': 'https' } });
      expect(noReferer.status).toBe(403);
      expect(noReferer.body).toEqual(csrfFailed('Referer checking failed - no Referer.'));
      const out = await call(app, 'POST', '/api/auth/logout', {
        headers: { cookie: cookie(s), 'x-csrftoken': s.csrf, 'x-forwarded-proto': 'https', referer: `${origin}/app` },
      });
      expect(out.status).toBe(204);
      expect(out.headers.getSetCookie()[0]).toBe(`jwt_access=; ${EXPIRED}; Path=/; HttpOnly; SameSite=Lax; Secure`);
    } finally {
      await app.close();
    }
  });

  it('trusts CSRF_TRUSTED_ORIGINS for the Origin check', async () => {
    const app = await startCookieApp({ trustedOrigins: ['http://front.example'] });
    try {
      await register(app, 'alice');
      const s = await login(app, 'alice', { origin: 'http://front.example' });
      const out = await call(app, 'POST', '/api/auth/logout', { headers: { cookie: cookie(s), 'x-csrftoken': s.csrf, origin: 'http://front.example' } });
      expect(out.status).toBe(204);
    } finally {
      await app.close();
    }
  });

  it('refuses a cookie token that carries no CSRF digest (one issued to the header transport)', async () => {
    const headerOnly = await startApp((store) => [jwtScheme({ jwt: store.jwt, users: store.users, signingKey: SECRET })]);
    const app = await startCookieApp();
    try {
      await register(headerOnly, 'alice');
      await register(app, 'alice');
      const bare = (await call(headerOnly, 'POST', '/api/auth/login', { json: { username: 'alice', password: STRONG_PASSWORD } })).body as { access: string };
      expect(decodeJwt(bare.access)['csrf']).toBeUndefined();
      const reply = await call(app, 'POST', '/api/auth/logout', { headers: { cookie: `jwt_access=${bare.access}`, 'x-csrftoken': 'a'.repeat(32) } });
      expect(reply.status).toBe(403);
      expect(reply.body).toEqual(csrfFailed('CSRF cookie not set.'));
    } finally {
      await headerOnly.close();
      await app.close();
    }
  });

  it('is off by default: no cookies at login, and an access cookie authenticates nothing', async () => {
    const app = await startApp((store) => [jwtScheme({ jwt: store.jwt, users: store.users, signingKey: SECRET })]);
    try {
      expect((await call(app, 'GET', '/healthz')).body).toEqual({ status: 'ok', schemes: ['jwt'], cookies: [] });
      await register(app, 'alice');
      const reply = await call(app, 'POST', '/api/auth/login', { json: { username: 'alice', password: STRONG_PASSWORD } });
      expect(reply.headers.getSetCookie()).toEqual([]);
      const { access } = reply.body as { access: string };
      const me = await call(app, 'GET', '/api/me', { headers: { cookie: `jwt_access=${access}` } });
      expect(me.status).toBe(401);
      expect(me.body).toEqual({ detail: 'Authentication credentials were not provided.' });
    } finally {
      await app.close();
    }
  });
});
