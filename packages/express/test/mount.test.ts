import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type ErrorRequestHandler } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { Accounts, hashPassword, verifyPassword } from '@authbench/accounts';
import type { AuthScheme, User, UserRepository } from '@authbench/core';
import { jwtScheme } from '@authbench/scheme-jwt';
import { sessionScheme } from '@authbench/scheme-session';
import { tokenScheme } from '@authbench/scheme-token';
import { openSqliteStore, type SqliteStore } from '@authbench/store-sqlite';
import { createAuth, createAuthServer, listen, requireAuth } from '../src/index.js';
import { call, STRONG_PASSWORD, type TestApp } from './harness.js';

const FAST_HASHING = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
const SESSION_SECRET = 's'.repeat(40);

/** A host's own users, keyed by string ids: the repository a team writes over its table. */
function hostUsers(): UserRepository & { add(id: string, username: string, password: string, isActive?: boolean): Promise<User> } {
  const byId = new Map<string, { user: User; hash: string }>();
  return {
    async add(id, username, password, isActive = true) {
      const user = { id, username, email: `${username}@example.com`, isActive, dateJoined: '2026-01-01T00:00:00.000Z' };
      byId.set(id, { user, hash: await hashPassword(password, FAST_HASHING) });
      return user;
    },
    findById: async (id) => byId.get(String(id))?.user ?? null,
    findByUsername: async (username) => [...byId.values()].find((e) => e.user.username === username)?.user ?? null,
    checkPassword: async (user, password) => {
      const entry = user === null ? undefined : byId.get(String(user.id));
      return entry !== undefined && (await verifyPassword(password, entry.hash));
    },
  };
}

let open: TestApp | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

/** A host's app: its own routes, 404 and error handler, with authbench mounted at `/auth`. */
async function startHost(makeSchemes: (store: SqliteStore) => AuthScheme[], ownUsers?: UserRepository): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'authbench-mount-'));
  // With the host's users, the credential tables reference them by id alone.
  const store = openSqliteStore(join(dir, 'db.sqlite3'), ownUsers ? { users: ownUsers } : {});
  const schemes = makeSchemes(store);
  const auth = createAuth({ schemes, users: ownUsers ?? new Accounts({ users: store.users, hashing: FAST_HASHING }) });
  const app = express();
  app.get('/', (_req, res) => void res.type('text').send('host home'));
  app.use('/auth', auth.router);
  app.use(auth.rootRouter);
  app.get('/whoami', auth.authenticate, requireAuth((req, res) => void res.json({ id: req.auth.user.id, scheme: req.auth.scheme })));
  app.get('/boom', () => {
    throw new Error('the host failed');
  });
  app.use((_req, res) => void res.status(404).type('text').send('host 404'));
  app.use(auth.errorHandler);
  const hostErrors: ErrorRequestHandler = (error: Error, _req, res, _next) => void res.status(500).type('text').send(`host error: ${error.message}`);
  app.use(hostErrors);
  const server = createAuthServer(app);
  const port = await listen(server, 0, '127.0.0.1');
  open = {
    url: `http://127.0.0.1:${port}`,
    port,
    store,
    logged: [],
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return open;
}

describe('the router mounted in a host app at its own prefix', () => {
  it('serves the contract under the prefix, and the host keeps its routes, its 404 and its error handler', async () => {
    const app = await startHost((store) => [tokenScheme({ tokens: store.tokens })]);
    const registered = await call(app, 'POST', '/auth/register/', { json: { username: 'alice', password: STRONG_PASSWORD } });
    expect([registered.status, registered.body]).toEqual([201, { id: 1, username: 'alice', email: '' }]);
    const login = await call(app, 'POST', '/auth/login', { json: { username: 'alice', password: STRONG_PASSWORD } });
    const token = (login.body as { token: string }).token;
    expect(token).toMatch(/^[0-9a-f]{40}$/);

    expect((await call(app, 'GET', '/whoami', { headers: { authorization: `Token ${token}` } })).body).toEqual({ id: 1, scheme: 'token' });
    const anonymous = await call(app, 'GET', '/whoami');
    expect([anonymous.status, anonymous.body, anonymous.headers.get('www-authenticate')]).toEqual([
      401,
      { detail: 'Authentication credentials were not provided.' },
      'Token',
    ]);
    const bad = await call(app, 'GET', '/whoami', { headers: { authorization: 'Token nope' } });
    expect([bad.status, bad.body]).toEqual([401, { detail: 'Invalid token.' }]);

    // Nothing of authbench's answers for what it does not serve.
    expect([(await call(app, 'GET', '/')).text, (await call(app, 'GET', '/nowhere')).text]).toEqual(['host home', 'host 404']);
    expect((await call(app, 'POST', '/auth/nowhere')).text).toBe('host 404');
    expect((await call(app, 'GET', '/api/auth/login')).text).toBe('host 404');
    const boom = await call(app, 'GET', '/boom');
    expect([boom.status, boom.text]).toEqual([500, 'host error: the host failed']);
    // The router's own errors are DRF's, whatever the host's handlers say.
    const wrongMethod = await call(app, 'GET', '/auth/login');
    expect([wrongMethod.status, wrongMethod.body]).toEqual([405, { detail: 'Method "GET" not allowed.' }]);
    const brokenJson = await call(app, 'POST', '/auth/login', { body: '{', headers: { 'content-type': 'application/json' } });
    expect(brokenJson.status).toBe(400);
    expect((brokenJson.body as { detail: string }).detail).toMatch(/^JSON parse error - /);

    expect((await call(app, 'POST', '/auth/logout', { headers: { authorization: `Token ${token}` } })).status).toBe(204);
    expect((await call(app, 'GET', '/whoami', { headers: { authorization: `Token ${token}` } })).status).toBe(401);
  });

  it('works over the host’s own users with string ids; register and password change are not served', async () => {
    const users = hostUsers();
    await users.add('7f9c2ba4-e88f-4a7e-9c2d-4c1b2a3d4e5f', 'carol', STRONG_PASSWORD);
    await users.add('0b1e9c55-3f0a-4d4e-8a51-0d1c2b3a4f5e', 'dave', STRONG_PASSWORD, false);
    const app = await startHost((store) => [jwtScheme({ jwt: store.jwt, users, signingKey: 'k'.repeat(32) })], users);
    const pair = await call(app, 'POST', '/auth/login', { json: { username: 'carol', password: STRONG_PASSWORD } });
    expect(pair.status).toBe(200);
    const { access, refresh } = pair.body as { access: string; refresh: string };
    const me = await call(app, 'GET', '/whoami', { headers: { authorization: `Bearer ${access}` } });
    expect(me.body).toEqual({ id: '7f9c2ba4-e88f-4a7e-9c2d-4c1b2a3d4e5f', scheme: 'jwt' });
    expect((await call(app, 'POST', '/auth/refresh', { json: { refresh } })).status).toBe(200);

    const inactive = await call(app, 'POST', '/auth/login', { json: { username: 'dave', password: STRONG_PASSWORD } });
    expect([inactive.status, inactive.body]).toEqual([401, { detail: 'No active account found with the given credentials' }]);
    const unknown = await call(app, 'POST', '/auth/login', { json: { username: 'nobody', password: STRONG_PASSWORD } });
    expect(unknown.status).toBe(401);
    expect((await call(app, 'POST', '/auth/register', { json: { username: 'eve', password: STRONG_PASSWORD } })).text).toBe('host 404');
    expect((await call(app, 'POST', '/auth/password', { headers: { authorization: `Bearer ${access}` } })).text).toBe('host 404');
    const jwks = await call(app, 'GET', '/.well-known/jwks.json');
    expect(jwks.text).toBe('host 404'); // HS256 publishes no keys
  });

  it('session: the cookie, CSRF on the host’s own unsafe route, and a 403 for the anonymous', async () => {
    const users = hostUsers();
    await users.add('u-1', 'erin', STRONG_PASSWORD);
    const app = await startHost((store) => [sessionScheme({ sessions: store.sessions, secrets: [SESSION_SECRET] })], users);
    const login = await call(app, 'POST', '/auth/login', { json: { username: 'erin', password: STRONG_PASSWORD } });
    expect([login.status, login.body]).toEqual([200, { id: 'u-1', username: 'erin', email: 'erin@example.com' }]);
    const cookies = login.headers.getSetCookie().map((c) => c.split(';', 1)[0]!);
    const csrf = cookies.find((c) => c.startsWith('csrftoken='))!.slice('csrftoken='.length);
    const cookie = cookies.join('; ');
    expect((await call(app, 'GET', '/whoami', { headers: { cookie } })).body).toEqual({ id: 'u-1', scheme: 'session' });
    expect((await call(app, 'GET', '/whoami')).status).toBe(403);
    const noCsrf = await call(app, 'POST', '/auth/logout', { headers: { cookie } });
    expect([noCsrf.status, noCsrf.body]).toEqual([403, { detail: 'CSRF Failed: CSRF token missing.' }]);
    expect((await call(app, 'POST', '/auth/logout', { headers: { cookie, 'x-csrftoken': csrf } })).status).toBe(204);
    expect((await call(app, 'GET', '/whoami', { headers: { cookie } })).status).toBe(403);
  });
});

describe('createAuth refuses a bad configuration with one line naming it', () => {
  const store = { tokens: null } as never;
  it.each([
    [{ schemes: [], users: hostUsers() }, 'createAuth: options.schemes must name at least one scheme'],
    [{ schemes: [tokenScheme({ tokens: store })], users: { findById: async () => null } }, 'createAuth: options.users: the user repository has no findByUsername() method (it needs findById, findByUsername, checkPassword)'],
    [{ schemes: [tokenScheme({ tokens: store })], users: null }, 'createAuth: options.users: expected a user repository object, got null'],
    [{ schemes: [tokenScheme({ tokens: store })], users: hostUsers(), trustProxy: true }, 'createAuth: options.trustProxy must be false, a list of proxy addresses or CIDR ranges, or a function, got true'],
    [{ schemes: [tokenScheme({ tokens: store })], users: hostUsers(), trustProxy: ['10.0.0.0/33'] }, 'createAuth: options.trustProxy: "10.0.0.0/33" is not an IP address, a CIDR range, loopback, linklocal or uniquelocal'],
  ])('%#', (options, message) => {
    expect(() => createAuth(options as never)).toThrow(new TypeError(message));
  });
});
