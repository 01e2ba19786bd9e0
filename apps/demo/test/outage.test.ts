import type { ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from '@authbench/store-conformance';
import { runCli } from '../src/commands.js';
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

/** Proxies in front of PostgreSQL and Redis, and the settings that point at them (Redis only if `env` has REDIS_URL). */
async function proxied(env: Record<string, string>) {
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
  const settings = { DATABASE_URL: databaseUrl.href, ...env, ...(withRedis && { REDIS_URL: redisUrl.href, REDIS_PREFIX: `${RUN}:` }) };
  return { postgres, redis, settings };
}

/** One demo process whose PostgreSQL and Redis connections both run through proxies. */
async function instance(env: Record<string, string>): Promise<Instance> {
  const { postgres, redis, settings } = await proxied(env);
  const origin = await startDemo(settings, children);
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

describe.skipIf(down !== null)('the CLI when a server goes away mid-command', () => {
  /**
   * Runs a command with `input` on stdin. With `beforeInput`, stdin is held
   * back until the command has printed its first line, and `beforeInput` runs
   * then: the command is mid-way, its servers already reached.
   */
  async function cli(argv: string[], env: Record<string, string>, input: string, beforeInput?: () => void) {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    if (!beforeInput) stdin.end(input);
    stdout.on('data', (c) => {
      out += String(c);
      if (beforeInput && !stdin.writableEnded) {
        beforeInput();
        stdin.end(input);
      }
    });
    stderr.on('data', (c) => (err += String(c)));
    const code = await runCli(argv, { env, stdin, stdout, stderr });
    return { code, out, err };
  }

  it('says in one line that PostgreSQL does not answer, with no stack', async () => {
    // The cache the servers above used is no part of this: REDIS_CACHE=false says so (cli-cache.test.ts).
    const { postgres, settings } = await proxied({ AUTH_SCHEME: 'token', REDIS_CACHE: 'false' });
    const created = await cli(['createuser', 'cli-pg'], settings, `${PASSWORD}\n`);
    expect(created.code).toBe(0);
    const changed = await cli(['changepassword', 'cli-pg'], settings, 'another-horse-battery\n', () => postgres.cut());
    expect(changed).toEqual({
      code: 1,
      out: "Changing password for user 'cli-pg'\n",
      err: 'authbench: Service temporarily unavailable: PostgreSQL does not answer. Try again later.\n',
    });
  });

  it('changepassword says the password changed but revocation did not finish, and how to finish it', async () => {
    const { redis, settings } = await proxied({ AUTH_SCHEME: 'jwt', JWT_SIGNING_KEY: SECRET, REDIS_URL: 'set', REDIS_CACHE: 'false' });
    expect((await cli(['createuser', 'cli-redis'], settings, `${PASSWORD}\n`)).code).toBe(0);
    const changed = await cli(['changepassword', 'cli-redis'], settings, 'another-horse-battery\n', () => redis.cut());
    expect(changed.code).toBe(1);
    expect(changed.err).toBe(
      "authbench: password changed for user 'cli-redis', but revoking their credentials failed " +
        '(Service temporarily unavailable: Redis does not answer. Try again later.); run changepassword again to finish\n',
    );
    // Run again with Redis back, it finishes.
    redis.restore();
    const again = await cli(['changepassword', 'cli-redis'], settings, 'third-horse-battery\n');
    expect(again).toEqual({
      code: 0,
      out: "Changing password for user 'cli-redis'\nPassword changed successfully for user 'cli-redis'; every credential of theirs is revoked.\n",
      err: '',
    });
  });
});
