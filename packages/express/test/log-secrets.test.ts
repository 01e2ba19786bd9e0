import { afterEach, describe, expect, it } from 'vitest';
import type { AuthScheme } from '@authbench/core';
import { jwtScheme } from '@authbench/scheme-jwt';
import { knoxScheme } from '@authbench/scheme-knox';
import { sessionScheme } from '@authbench/scheme-session';
import { tokenScheme } from '@authbench/scheme-token';
import type { SqliteStore } from '@authbench/store-sqlite';
import { createLogger } from '../src/index.js';
import { call, STRONG_PASSWORD, startApp, type Reply, type TestApp } from './harness.js';

/**
 * Every scheme's whole life over real HTTP, logged at info as the demo logs:
 * every secret the test sent or was issued is collected, and none may appear
 * in the log, while each request's line is there with its route and status.
 */

const PASSWORD = `${STRONG_PASSWORD}-Zq7`;
const WRONG_PASSWORD = 'wrong-horse-battery-9Xk';
const JWT_SECRET = 'a-test-secret-of-more-than-32-bytes-0123456789';
const SESSION_SECRET = 'a-session-secret-of-at-least-32-characters';

interface LogLine {
  level: string;
  msg: string;
  reqId?: string;
  method?: string;
  path?: string;
  status?: number;
  ms?: number;
  scheme?: string;
  userId?: number;
  error?: { type: string; message: string; stack?: string };
}

/** The app as the demo builds it, its logger writing into an array. */
async function startLogged(makeSchemes: (store: SqliteStore) => AuthScheme[]) {
  const raw: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void raw.push(line) });
  const app = await startApp(makeSchemes, { logger });
  return { app, raw, lines: () => raw.map((l) => JSON.parse(l) as LogLine) };
}

/** Secrets, and the forms they travel in (a cookie's value is URL-encoded and signed). */
class Secrets {
  readonly values = new Set<string>([PASSWORD, WRONG_PASSWORD, JWT_SECRET, SESSION_SECRET]);
  add(...values: (string | undefined)[]): void {
    for (const v of values) if (v) this.values.add(v);
  }
  /** Every Set-Cookie value, decoded, and the session id and signature within. */
  addCookies(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const value = line.split(';', 1)[0]!.split('=').slice(1).join('=');
      const decoded = decodeURIComponent(value);
      this.add(value, decoded, ...decoded.replace(/^s:/, '').split('.'));
    }
  }
}

/** The request lines in order, as [method, path, status] (jwt adds scheme and user below). */
const requests = (lines: LogLine[]) => lines.filter((l) => l.msg === 'request').map((l) => [l.method, l.path, l.status]);

function expectNoSecret(raw: string[], secrets: Secrets): void {
  const log = raw.join('');
  expect(log.length).toBeGreaterThan(0);
  for (const secret of secrets.values) {
    expect(secret.length).toBeGreaterThanOrEqual(8); // a short value would match by chance
    expect(log.includes(secret), `the log holds a secret: ${secret}`).toBe(false);
  }
  // Nor anything shaped like one: no header, cookie or body name appears as a field either.
  expect(/authorization|cookie|password|"token":|"access"|"refresh"|"body"|"headers"/i.exec(log)?.[0]).toBeUndefined();
}

function expectWellFormed(lines: LogLine[]): void {
  for (const line of lines.filter((l) => l.msg === 'request')) {
    expect(line.reqId).toMatch(/^[0-9a-f-]{36}$/);
    expect(line.ms).toBeGreaterThanOrEqual(0);
    expect(line.level).toBe(line.status! >= 500 ? 'error' : 'info');
    expect(Object.keys(line).sort()).toEqual(
      ['hostname', 'level', 'method', 'ms', 'msg', 'path', 'pid', 'reqId', 'status', 'time', ...(line.userId === undefined ? [] : ['scheme', 'userId'])].sort(),
    );
  }
}

const register = (app: TestApp) => call(app, 'POST', '/api/auth/register', { json: { username: 'alice', password: PASSWORD, email: 'alice@example.com' } });
const login = (app: TestApp, password = PASSWORD) => call(app, 'POST', '/api/auth/login', { json: { username: 'alice', password } });
const withAuth = (app: TestApp, method: string, path: string, authorization: string, init: { json?: unknown } = {}) =>
  call(app, method, path, { ...init, headers: { authorization } });

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('the request log holds no secret, and a line for every request', () => {
  it('token: register, bad login, login, me, a wrong token, logout, logoutall, a broken body, and a 500', async () => {
    const { app, raw, lines } = await startLogged((store) => [tokenScheme({ tokens: store.tokens })]);
    close = () => app.close();
    const secrets = new Secrets();
    expect((await register(app)).status).toBe(201);
    expect((await login(app, WRONG_PASSWORD)).status).toBe(400);
    const token = ((await login(app)).body as { token: string }).token;
    secrets.add(token);
    expect((await withAuth(app, 'GET', '/api/me', `Token ${token}`)).status).toBe(200);
    const wrong = 'f'.repeat(40);
    secrets.add(wrong);
    expect((await withAuth(app, 'GET', '/api/me?token=' + token, `Token ${wrong}`)).status).toBe(401);
    expect((await withAuth(app, 'GET', '/api/auth/sessions', `Token ${token}`)).status).toBe(404);
    // A client that puts its token in a path: no route matches, and the path is not logged.
    expect((await call(app, 'GET', `/api/tokens/${token}`)).status).toBe(404);
    expect((await withAuth(app, 'POST', '/api/auth/logout', `Token ${token}`)).status).toBe(204);
    const second = ((await login(app)).body as { token: string }).token;
    secrets.add(second);
    expect((await withAuth(app, 'POST', '/api/auth/logoutall/', `Token ${second}`)).status).toBe(204);
    // A body that breaks mid-password: the parse error answers, the body is not logged.
    const broken = await call(app, 'POST', '/api/auth/login', { body: `{"username":"alice","password":"${PASSWORD}`, headers: { 'content-type': 'application/json' } });
    expect(broken.status).toBe(400);
    // Storage gone: the 500 path logs the error (name, message, stack), never the request.
    app.store.db.exec('DROP TABLE tokens');
    const third = 'e'.repeat(40);
    secrets.add(third);
    const failed = await withAuth(app, 'GET', '/api/me', `Token ${third}`);
    expect([failed.status, failed.body]).toEqual([500, { detail: 'A server error occurred.' }]);

    const logged = lines();
    expect(requests(logged)).toEqual([
      ['POST', '/api/auth/register', 201],
      ['POST', '/api/auth/login', 400],
      ['POST', '/api/auth/login', 200],
      ['GET', '/api/me', 200],
      ['GET', '/api/me', 401],
      ['GET', '(no route)', 404], // token has no sessions routes: no route matched
      ['GET', '(no route)', 404],
      ['POST', '/api/auth/logout', 204],
      ['POST', '/api/auth/login', 200],
      ['POST', '/api/auth/logoutall', 204],
      ['POST', '/api/auth/login', 400],
      ['GET', '/api/me', 500],
    ]);
    expect(logged.filter((l) => l.path === '/api/me' && l.status === 200).map((l) => [l.scheme, l.userId])).toEqual([['token', 1]]);
    const errors = logged.filter((l) => l.msg === 'unhandled error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.error).toEqual({ type: 'SqliteError', message: 'no such table: tokens', stack: expect.stringContaining('SqliteError: no such table: tokens') });
    // The error line carries the id of its request's line, for finding one from the other.
    expect(errors[0]!.reqId).toBe(logged.at(-1)!.reqId);
    expect(failed.headers.get('x-request-id')).toBe(errors[0]!.reqId);
    expect(app.logged).toEqual([]); // with a logger, the line-based `log` is not used
    expectWellFormed(logged);
    expectNoSecret(raw, secrets);
  });

  it('knox: register, bad login, login by body and by Basic, me, sessions, revoke one, logout, logoutall, a wrong secret', async () => {
    const { app, raw, lines } = await startLogged((store) => [knoxScheme({ knoxTokens: store.knoxTokens, tokenPrefix: 'abx_' })]);
    close = () => app.close();
    const secrets = new Secrets();
    secrets.add(Buffer.from(`alice:${PASSWORD}`).toString('base64'));
    expect((await register(app)).status).toBe(201);
    expect((await login(app, WRONG_PASSWORD)).status).toBe(400);
    const phone = ((await login(app)).body as { token: string }).token;
    const basic = await call(app, 'POST', '/api/auth/login', { headers: { authorization: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}` } });
    const laptop = (basic.body as { token: string }).token;
    const tablet = ((await login(app)).body as { token: string }).token;
    // A token key is a token's first 15 characters; the ids of the sessions routes are not secrets, but the log has routes, not ids.
    secrets.add(phone, laptop, tablet, phone.slice(0, 15), tablet.slice(0, 15));
    expect((await withAuth(app, 'GET', '/api/me', `Token ${phone}`)).status).toBe(200);
    const tabletId = ((await withAuth(app, 'GET', '/api/auth/sessions', `Token ${tablet}`)).body as Array<{ id: string; current: boolean }>).find((s) => s.current)!.id;
    secrets.add(tabletId);
    const sessions = await withAuth(app, 'GET', '/api/auth/sessions', `Token ${laptop}`);
    expect((sessions.body as unknown[]).length).toBe(3);
    expect((await withAuth(app, 'DELETE', `/api/auth/sessions/${tabletId}`, `Token ${laptop}`)).status).toBe(204);
    // The right key with a wrong secret.
    const forged = phone.slice(0, 20) + 'a'.repeat(phone.length - 20);
    secrets.add(forged);
    expect((await withAuth(app, 'GET', '/api/me', `Token ${forged}`)).status).toBe(401);
    expect((await withAuth(app, 'POST', '/api/auth/logout', `Token ${phone}`)).status).toBe(204);
    expect((await withAuth(app, 'POST', '/api/auth/logoutall', `Token ${laptop}`)).status).toBe(204);
    expect((await withAuth(app, 'GET', '/api/me', `Token ${laptop}`)).status).toBe(401);

    const logged = lines();
    expect(requests(logged)).toEqual([
      ['POST', '/api/auth/register', 201],
      ['POST', '/api/auth/login', 400],
      ['POST', '/api/auth/login', 200],
      ['POST', '/api/auth/login', 200],
      ['POST', '/api/auth/login', 200],
      ['GET', '/api/me', 200],
      ['GET', '/api/auth/sessions', 200],
      ['GET', '/api/auth/sessions', 200],
      ['DELETE', '/api/auth/sessions/:id', 204],
      ['GET', '/api/me', 401],
      ['POST', '/api/auth/logout', 204],
      ['POST', '/api/auth/logoutall', 204],
      ['GET', '/api/me', 401],
    ]);
    expect(logged.filter((l) => l.userId !== undefined).map((l) => `${l.scheme}:${l.userId}`)).toEqual(Array(6).fill('knox:1'));
    expectWellFormed(logged);
    expectNoSecret(raw, secrets);
  });

  it('jwt: register, bad login, login, me, verify, refresh, reuse, sessions, logout with a refresh body, logoutall, a tampered token', async () => {
    const { app, raw, lines } = await startLogged((store) => [jwtScheme({ jwt: store.jwt, users: store.users, signingKey: JWT_SECRET, refreshGraceSeconds: 0 })]);
    close = () => app.close();
    const secrets = new Secrets();
    type Pair = { access: string; refresh: string };
    expect((await register(app)).status).toBe(201);
    expect((await login(app, WRONG_PASSWORD)).status).toBe(401);
    const first = (await login(app)).body as Pair;
    secrets.add(first.access, first.refresh, ...first.access.split('.').slice(1), ...first.refresh.split('.').slice(1));
    expect((await withAuth(app, 'GET', '/api/me', `Bearer ${first.access}`)).status).toBe(200);
    expect((await call(app, 'POST', '/api/auth/verify', { json: { token: first.access } })).status).toBe(200);
    const rotated = (await call(app, 'POST', '/api/auth/refresh', { json: { refresh: first.refresh } })).body as Pair;
    secrets.add(rotated.access, rotated.refresh);
    expect((await call(app, 'POST', '/api/auth/refresh', { json: { refresh: first.refresh } })).status).toBe(401);
    const second = (await login(app)).body as Pair;
    secrets.add(second.access, second.refresh);
    expect((await withAuth(app, 'GET', '/api/auth/sessions', `Bearer ${second.access}`)).status).toBe(200);
    const tampered = `${second.access.slice(0, -4)}AAAA`;
    secrets.add(tampered);
    expect((await withAuth(app, 'GET', '/api/me', `Bearer ${tampered}`)).status).toBe(401);
    expect((await withAuth(app, 'POST', '/api/auth/logout', `Bearer ${second.access}`, { json: { refresh: second.refresh } })).status).toBe(204);
    const third = (await login(app)).body as Pair;
    secrets.add(third.access, third.refresh);
    expect((await withAuth(app, 'POST', '/api/auth/logoutall', `Bearer ${third.access}`)).status).toBe(204);

    const logged = lines();
    expect(requests(logged)).toEqual([
      ['POST', '/api/auth/register', 201],
      ['POST', '/api/auth/login', 401],
      ['POST', '/api/auth/login', 200],
      ['GET', '/api/me', 200],
      ['POST', '/api/auth/verify', 200],
      ['POST', '/api/auth/refresh', 200],
      ['POST', '/api/auth/refresh', 401],
      ['POST', '/api/auth/login', 200],
      ['GET', '/api/auth/sessions', 200],
      ['GET', '/api/me', 401],
      ['POST', '/api/auth/logout', 204],
      ['POST', '/api/auth/login', 200],
      ['POST', '/api/auth/logoutall', 204],
    ]);
    expect(logged.filter((l) => l.userId !== undefined).map((l) => `${l.scheme}:${l.userId}`)).toEqual(Array(4).fill('jwt:1'));
    expectWellFormed(logged);
    expectNoSecret(raw, secrets);
  });

  it('session: register, bad login, login, me, CSRF failure, sessions, logout, logoutall, a forged cookie', async () => {
    const { app, raw, lines } = await startLogged((store) => [sessionScheme({ sessions: store.sessions, secrets: [SESSION_SECRET] })]);
    close = () => app.close();
    const secrets = new Secrets();
    const cookiesOf = (reply: Reply) => {
      secrets.addCookies(reply.headers);
      return reply.headers
        .getSetCookie()
        .map((c) => c.split(';', 1)[0]!)
        .join('; ');
    };
    const csrfOf = (cookie: string) => /csrftoken=([^;]+)/.exec(cookie)![1]!;
    expect((await register(app)).status).toBe(201);
    expect((await login(app, WRONG_PASSWORD)).status).toBe(400);
    const browser = cookiesOf(await login(app));
    const other = cookiesOf(await login(app));
    const get = (path: string, cookie: string) => call(app, 'GET', path, { headers: { cookie } });
    const post = (path: string, cookie: string, csrf?: string) => call(app, 'POST', path, { headers: { cookie, ...(csrf && { 'x-csrftoken': csrf }) } });
    expect((await get('/api/me', browser)).status).toBe(200);
    expect((await post('/api/auth/logout', browser)).status).toBe(403); // no CSRF token
    expect(((await get('/api/auth/sessions', browser)).body as unknown[]).length).toBe(2);
    const forged = browser.replace(/sessionid=[^;]+/, 'sessionid=s%3Aforged-session-id-0123456789.c2lnbmF0dXJlLW5vdC1yZWFs');
    secrets.add('forged-session-id-0123456789', 'c2lnbmF0dXJlLW5vdC1yZWFs');
    expect((await get('/api/me', forged)).status).toBe(403);
    expect((await post('/api/auth/logout', browser, csrfOf(browser))).status).toBe(204);
    expect((await post('/api/auth/logoutall', other, csrfOf(other))).status).toBe(204);
    expect((await get('/api/me', other)).status).toBe(403);

    const logged = lines();
    expect(requests(logged)).toEqual([
      ['POST', '/api/auth/register', 201],
      ['POST', '/api/auth/login', 400],
      ['POST', '/api/auth/login', 200],
      ['POST', '/api/auth/login', 200],
      ['GET', '/api/me', 200],
      ['POST', '/api/auth/logout', 403],
      ['GET', '/api/auth/sessions', 200],
      ['GET', '/api/me', 403],
      ['POST', '/api/auth/logout', 204],
      ['POST', '/api/auth/logoutall', 204],
      ['GET', '/api/me', 403],
    ]);
    expect(logged.filter((l) => l.userId !== undefined).map((l) => `${l.scheme}:${l.userId}`)).toEqual(Array(4).fill('session:1'));
    expect(secrets.values.size).toBeGreaterThan(10);
    expectWellFormed(logged);
    expectNoSecret(raw, secrets);
  });
});
