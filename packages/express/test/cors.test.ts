import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type Request, type Response } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Accounts } from '@authbench/accounts';
import { jwtScheme } from '@authbench/scheme-jwt';
import { openSqliteStore, type SqliteStore } from '@authbench/store-sqlite';
import { cors, createAuth, createAuthApp, createAuthServer, listen } from '../src/index.js';
import { call, register, STRONG_PASSWORD, type TestApp } from './harness.js';

const SECRET = 'a-test-secret-of-more-than-32-bytes-0123456789';
const FRONT = 'https://front.example';
const HASHING = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

/** The harness's app, with CORS for FRONT. */
async function startCorsApp(): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'authbench-cors-'));
  const store: SqliteStore = openSqliteStore(join(dir, 'db.sqlite3'));
  const users = new Accounts({ users: store.users, hashing: HASHING });
  const app = createAuthApp({
    schemes: [jwtScheme({ jwt: store.jwt, users: store.users, signingKey: SECRET })],
    users,
    log: () => {},
    cors: { origins: [FRONT, 'http://localhost:5173'] },
  });
  const server = createAuthServer(app);
  const port = await listen(server, 0, '127.0.0.1');
  return {
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
}

const corsHeaders = (headers: Headers) => [...headers.keys()].filter((k) => k.startsWith('access-control-'));

describe('CORS', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startCorsApp();
    await register(app, 'alice');
  });
  afterAll(async () => {
    await app.close();
  });

  it('allows a listed origin, with credentials, on success and on failure alike', async () => {
    const login = await call(app, 'POST', '/api/auth/login', { json: { username: 'alice', password: STRONG_PASSWORD }, headers: { origin: FRONT } });
    expect(login.status).toBe(200);
    expect(login.headers.get('access-control-allow-origin')).toBe(FRONT);
    expect(login.headers.get('access-control-allow-credentials')).toBe('true');
    expect(login.headers.get('vary')).toBe('Origin');
    // A refusal the page can read: it learns to log in again.
    const anonymous = await call(app, 'GET', '/api/me', { headers: { origin: 'http://localhost:5173' } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const { access } = login.body as { access: string };
    const me = await call(app, 'GET', '/api/me', { headers: { origin: FRONT, authorization: `Bearer ${access}` } });
    expect(me.body).toEqual({ id: 1, username: 'alice', email: '' });
    expect(me.headers.get('access-control-allow-origin')).toBe(FRONT);
    // Not on a preflight, so none of the preflight's headers.
    expect(me.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('sends no Access-Control header to an origin not on the list, nor without an Origin', async () => {
    const foreign = await call(app, 'GET', '/healthz', { headers: { origin: 'https://evil.example' } });
    expect(foreign.status).toBe(200);
    expect(corsHeaders(foreign.headers)).toEqual([]);
    // The answer still varies by Origin, so no cache hands it to a listed origin.
    expect(foreign.headers.get('vary')).toBe('Origin');
    // An origin is matched whole: a listed host under another scheme or port is another origin.
    expect(corsHeaders((await call(app, 'GET', '/healthz', { headers: { origin: 'http://front.example' } })).headers)).toEqual([]);
    expect(corsHeaders((await call(app, 'GET', '/healthz', { headers: { origin: 'https://front.example:8443' } })).headers)).toEqual([]);
    const none = await call(app, 'GET', '/healthz');
    expect(corsHeaders(none.headers)).toEqual([]);
    expect(none.headers.get('vary')).toBeNull();
  });

  it('answers a preflight from a listed origin with 204 and what it allows', async () => {
    const reply = await call(app, 'OPTIONS', '/api/auth/logout', {
      headers: { origin: FRONT, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(reply.status).toBe(204);
    expect(reply.text).toBe('');
    expect(reply.headers.get('access-control-allow-origin')).toBe(FRONT);
    expect(reply.headers.get('access-control-allow-credentials')).toBe('true');
    expect(reply.headers.get('access-control-allow-methods')).toBe('GET, POST, DELETE, OPTIONS');
    expect(reply.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type, X-CSRFToken');
    expect(reply.headers.get('access-control-max-age')).toBe('600');
  });

  it('gives a preflight from an unlisted origin no CORS answer', async () => {
    const reply = await call(app, 'OPTIONS', '/api/auth/logout', { headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(reply.status).toBe(401); // the route's own answer to an anonymous OPTIONS, unreadable to the page
    expect(corsHeaders(reply.headers)).toEqual([]);
  });

  it("covers the application's own routes behind auth.authenticate, once however often it is mounted", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authbench-cors-'));
    const store = openSqliteStore(join(dir, 'db.sqlite3'));
    const auth = createAuth({
      schemes: [jwtScheme({ jwt: store.jwt, users: store.users, signingKey: SECRET })],
      users: new Accounts({ users: store.users, hashing: HASHING }),
      cors: { origins: [FRONT] },
    });
    const own = express();
    own.use(auth.authenticate);
    own.get('/notes', ...auth.authenticate, (_req: Request, res: Response) => res.json([]));
    own.use(auth.errorHandler);
    const server = createAuthServer(own);
    const port = await listen(server, 0, '127.0.0.1');
    try {
      const reply = await fetch(`http://127.0.0.1:${port}/notes`, { headers: { origin: FRONT } });
      expect(reply.status).toBe(200);
      expect(reply.headers.get('access-control-allow-origin')).toBe(FRONT);
      expect(reply.headers.get('vary')).toBe('Origin');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an origin a browser would never send', () => {
    for (const bad of ['https://front.example/', 'front.example', 'https://*.example.com', 'ftp://front.example', '*']) {
      expect(() => cors({ origins: [bad] })).toThrow(
        new TypeError(`createAuth: options.cors.origins: "${bad}" is not scheme://host[:port] (http or https, no path, no wildcard)`),
      );
    }
    expect(() => cors({ origins: 'https://front.example' as never })).toThrow(new TypeError('createAuth: options.cors.origins must be a list of origins'));
  });
});
