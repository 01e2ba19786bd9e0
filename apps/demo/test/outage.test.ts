import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from '@authbench/store-conformance';
import { databaseUrlFor, dropRun, PG_URL, REDIS_URL, serversDown, startDemo } from './servers.js';

/**
 * PostgreSQL or Redis going away while the demo runs, and coming back. Each
 * instance reaches the real servers through a proxy this test can cut, so a
 * "stopped" server is stopped for that instance only. What must hold: the
 * requests that need the missing server get a 503 with a `detail`, nothing
 * gets a 500, no revoked credential is accepted, and the instance recovers
 * by itself. Without the servers the file is skipped with the reason
 * printed, except under CI=true, where it fails.
 */
const RUN = `outage_${process.pid}_${Date.now().toString(36)}`;
const SECRET = 'shared-secret-of-more-than-32-characters-0123';
const PASSWORD = 'correct-horse-battery';
const down = await serversDown(RUN, 'outage tests');

const children: ChildProcess[] = [];
const proxies: TcpProxy[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGTERM');
  for (const proxy of proxies.splice(0)) await proxy.close();
});
afterAll(async () => {
  if (!down) await dropRun(RUN, `${RUN}:`);
});

interface Instance {
  readonly origin: string;
  readonly postgres: TcpProxy;
  readonly redis: TcpProxy;
  /** Every status this instance answered, to check that none was a 500. */
  readonly statuses: number[];
  call(path: string, init?: RequestInit): Promise<Response>;
}

/** One demo process whose PostgreSQL and Redis connections both run through proxies. */
async function instance(env: Record<string, string>): Promise<Instance> {
  const pgTarget = new URL(PG_URL);
  const redisTarget = new URL(REDIS_URL);
  const postgres = await startTcpProxy(Number(pgTarget.port || 5432), pgTarget.hostname);
  const redis = await startTcpProxy(Number(redisTarget.port || 6379), redisTarget.hostname);
  proxies.push(postgres, redis);
  const databaseUrl = new URL(databaseUrlFor(RUN));
  databaseUrl.port = String(postgres.port);
  const redisUrl = new URL(REDIS_URL);
  redisUrl.port = String(redis.port);
  const withRedis = env['REDIS_URL'] !== undefined;
  const origin = await startDemo(
    { DATABASE_URL: databaseUrl.href, ...env, ...(withRedis && { REDIS_URL: redisUrl.href, REDIS_PREFIX: `${RUN}:` }) },
    children,
  );
  const statuses: number[] = [];
  return {
    origin,
    postgres,
    redis,
    statuses,
    async call(path, init) {
      const response = await fetch(`${origin}${path}`, init);
      statuses.push(response.status);
      return response;
    },
  };
}

const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const UNAVAILABLE = (service: string) => ({ detail: `Service temporarily unavailable: ${service} does not answer. Try again later.` });

async function expectUnavailable(response: Response, service: string): Promise<void> {
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toBe('5');
  expect(await response.json()).toEqual(UNAVAILABLE(service));
}

/** Polls until `path` answers `status`: the instance has recovered by itself. */
async function recovers(app: Instance, path: string, init: RequestInit, status: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const response = await app.call(path, init);
    if (response.status === status) return;
    if (Date.now() > deadline) throw new Error(`${path} still answers ${response.status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function register(app: Instance, username: string): Promise<void> {
  expect((await app.call('/api/auth/register', post({ username, password: PASSWORD }))).status).toBe(201);
}

describe.skipIf(down !== null)('storage going away mid-run', () => {
  it('PostgreSQL stops: 503s, then recovery with no restart (token)', async () => {
    const app = await instance({ AUTH_SCHEME: 'token' });
    await register(app, 'pg-token');
    const { token } = (await (await app.call('/api/auth/login', post({ username: 'pg-token', password: PASSWORD }))).json()) as { token: string };
    const auth = { headers: { authorization: `Token ${token}` } };
    expect((await app.call('/api/me', auth)).status).toBe(200);

    app.postgres.cut();
    await expectUnavailable(await app.call('/api/me', auth), 'PostgreSQL');
    await expectUnavailable(await app.call('/api/auth/login', post({ username: 'pg-token', password: PASSWORD })), 'PostgreSQL');
    await expectUnavailable(await app.call('/api/auth/register', post({ username: 'pg-other', password: PASSWORD })), 'PostgreSQL');
    await expectUnavailable(await app.call('/api/auth/logout', { method: 'POST', ...auth }), 'PostgreSQL');
    // Health is the process's, not the database's: a load balancer keeps the instance.
    expect((await app.call('/healthz')).status).toBe(200);

    app.postgres.restore();
    await recovers(app, '/api/me', auth, 200);
    expect((await app.call('/api/auth/logout', { method: 'POST', ...auth })).status).toBe(204);
    expect((await app.call('/api/me', auth)).status).toBe(401);
    expect(app.statuses.filter((s) => s >= 500 && s !== 503)).toEqual([]);
  });

  it('Redis stops under sessions: 503s, then the same session works again', async () => {
    const app = await instance({ AUTH_SCHEME: 'session', SESSION_SECRET: SECRET, REDIS_URL: 'set' });
    await register(app, 'redis-session');
    const login = await app.call('/api/auth/login', post({ username: 'redis-session', password: PASSWORD }));
    expect(login.status).toBe(200);
    // express-session holds back the end of the body until the session is stored.
    expect(await login.json()).toMatchObject({ username: 'redis-session' });
    const cookie = login.headers.getSetCookie().map((c) => c.split(';', 1)[0]!).join('; ');
    const auth = { headers: { cookie } };
    expect((await app.call('/api/me', auth)).status).toBe(200);

    app.redis.cut();
    await expectUnavailable(await app.call('/api/me', auth), 'Redis');

    app.redis.restore();
    await recovers(app, '/api/me', auth, 200);
    expect(app.statuses.filter((s) => s >= 500 && s !== 503)).toEqual([]);
  });

  it('Redis stops under jwt: refresh and the per-request revocation check get 503s, then recover', async () => {
    const app = await instance({ AUTH_SCHEME: 'jwt', JWT_SIGNING_KEY: SECRET, JWT_CHECK_REVOCATION: 'true', REDIS_URL: 'set' });
    await register(app, 'redis-jwt');
    const pair = (await (await app.call('/api/auth/login', post({ username: 'redis-jwt', password: PASSWORD }))).json()) as {
      access: string;
      refresh: string;
    };
    const auth = { headers: { authorization: `Bearer ${pair.access}` } };

    app.redis.cut();
    await expectUnavailable(await app.call('/api/me', auth), 'Redis');
    await expectUnavailable(await app.call('/api/auth/refresh', post({ refresh: pair.refresh })), 'Redis');

    app.redis.restore();
    await recovers(app, '/api/me', auth, 200);
    // The refresh that failed spent nothing: the token still rotates once.
    expect((await app.call('/api/auth/refresh', post({ refresh: pair.refresh }))).status).toBe(200);
    expect(app.statuses.filter((s) => s >= 500 && s !== 503)).toEqual([]);
  });

  it('with the cache, no revoked credential is accepted whichever server is down (knox)', async () => {
    const app = await instance({ AUTH_SCHEME: 'knox', REDIS_URL: 'set', REDIS_CACHE: 'true' });
    await register(app, 'cache-knox');
    const tokenOf = async () =>
      ((await (await app.call('/api/auth/login', post({ username: 'cache-knox', password: PASSWORD }))).json()) as { token: string }).token;
    const phone = { headers: { authorization: `Token ${await tokenOf()}` } };
    const laptop = { headers: { authorization: `Token ${await tokenOf()}` } };
    expect((await app.call('/api/me', phone)).status).toBe(200); // now cached
    expect((await app.call('/api/me', laptop)).status).toBe(200);

    // Redis down: lookups go to PostgreSQL; a logout cannot clear the cache, so it is refused whole.
    app.redis.cut();
    expect((await app.call('/api/me', phone)).status).toBe(200);
    await expectUnavailable(await app.call('/api/auth/logout', { method: 'POST', ...phone }), 'Redis');
    app.redis.restore();
    await recovers(app, '/api/auth/logout', { method: 'POST', ...phone }, 204);
    expect((await app.call('/api/me', phone)).status).toBe(401);

    // PostgreSQL down: the revoked token is not served from the cache; the live one may be.
    app.postgres.cut();
    await expectUnavailable(await app.call('/api/me', phone), 'PostgreSQL');
    expect([200, 503]).toContain((await app.call('/api/me', laptop)).status);
    app.postgres.restore();
    await recovers(app, '/api/me', laptop, 200);
    expect((await app.call('/api/me', phone)).status).toBe(401);
    expect(app.statuses.filter((s) => s >= 500 && s !== 503)).toEqual([]);
  });
});
