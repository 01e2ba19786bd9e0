import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrlFor, dropRun, failedStart, REDIS_URL, serversDown, startDemo } from './servers.js';

/**
 * Several demo processes on one PostgreSQL, alone and with Redis beside it
 * (jwt logins and sessions in Redis; then also the lookup cache): what a team
 * behind a load balancer runs. A credential issued by one instance works on
 * another, and a logout on a third holds on the first. Needs the PostgreSQL
 * and Redis this machine runs; without them the file is skipped with the
 * reason printed, except under CI=true, where it fails.
 */
const RUN = `instances_${process.pid}_${Date.now().toString(36)}`;
const DATABASE_URL = databaseUrlFor(RUN);
/** Every key this run writes, so that it shares Redis with other runs safely and cleans up after itself. */
const REDIS_PREFIX = `${RUN}:`;
const down = await serversDown(RUN, 'multi-instance tests');

const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGTERM');
  if (!down) await dropRun(RUN, REDIS_PREFIX);
});

/** Starts one instance on the run's database and resolves with its origin. */
const instance = (env: Record<string, string>) => startDemo({ DATABASE_URL, ...env }, children);

const SECRET = 'shared-secret-of-more-than-32-characters-0123';
const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

interface Credential {
  readonly headers: Record<string, string>;
  /** Headers an unsafe request needs besides the credential (session: CSRF). */
  readonly unsafe: Record<string, string>;
}

const SCHEMES: Array<[string, Record<string, string>, (r: Response, body: Record<string, unknown>) => Credential, number]> = [
  ['token', {}, (_r, b) => ({ headers: { authorization: `Token ${String(b['token'])}` }, unsafe: {} }), 401],
  ['knox', {}, (_r, b) => ({ headers: { authorization: `Token ${String(b['token'])}` }, unsafe: {} }), 401],
  // Revocation reaches access tokens only when checked per request.
  ['jwt', { JWT_SIGNING_KEY: SECRET, JWT_CHECK_REVOCATION: 'true' }, (_r, b) => ({ headers: { authorization: `Bearer ${String(b['access'])}` }, unsafe: {} }), 401],
  [
    'session',
    { SESSION_SECRET: SECRET },
    (r) => {
      const cookies = r.headers.getSetCookie().map((c) => c.split(';', 1)[0]!);
      const csrf = cookies.find((c) => c.startsWith('csrftoken='))!.slice('csrftoken='.length);
      return { headers: { cookie: cookies.join('; ') }, unsafe: { 'x-csrftoken': csrf } };
    },
    403,
  ],
];

const STORAGE: Array<[string, Record<string, string>]> = [
  ['PostgreSQL', {}],
  ['PostgreSQL and Redis', { REDIS_URL, REDIS_PREFIX }],
  ['PostgreSQL and Redis with the lookup cache', { REDIS_URL, REDIS_PREFIX, REDIS_CACHE: 'true' }],
];

describe.skipIf(down !== null).each(STORAGE)('three instances on %s', (storage, storageEnv) => {
  describe.each(SCHEMES)('%s', (scheme, env, credentialOf, refused) => {
    let origins: string[] = [];
    beforeAll(async () => {
      origins = await Promise.all([1, 2, 3].map(() => instance({ AUTH_SCHEME: scheme, ...storageEnv, ...env })));
    });
    afterAll(() => {
      for (const child of children.splice(0)) child.kill('SIGTERM');
    });

    it('a login on one is honoured on another, and a logout on a third holds on the first', async () => {
      const [a, b, c] = origins as [string, string, string];
      const username = `user-${scheme}-${STORAGE.findIndex(([name]) => name === storage)}`;
      const password = 'correct-horse-battery';
      expect((await fetch(`${a}/api/auth/register`, json({ username, password }))).status).toBe(201);
      const login = await fetch(`${b}/api/auth/login`, json({ username, password }));
      expect(login.status).toBe(200);
      const credential = credentialOf(login, (await login.json()) as Record<string, unknown>);

      // Used on the first and the third, so that both hold it in any cache they keep.
      for (const origin of [c, a]) {
        const me = await fetch(`${origin}/api/me`, { headers: credential.headers });
        expect(me.status).toBe(200);
        expect(await me.json()).toMatchObject({ username });
      }

      const logout = await fetch(`${c}/api/auth/logout`, { method: 'POST', headers: { ...credential.headers, ...credential.unsafe } });
      expect(logout.status).toBe(204);
      expect((await fetch(`${a}/api/me`, { headers: credential.headers })).status).toBe(refused);
    });
  });
});

describe('a server that does not answer at start', () => {
  it('PostgreSQL: start-up stops with one line naming DATABASE_URL, without the password', async () => {
    const { code, stderr } = await failedStart({ DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:1/authbench' });
    expect(code).toBe(2);
    expect(stderr).toBe('authbench: DATABASE_URL: cannot use the PostgreSQL database: connect ECONNREFUSED 127.0.0.1:1\n');
    expect(stderr).not.toContain('hunter2');
  });

  it('Redis: start-up stops with one line naming REDIS_URL, without the password', async () => {
    const databasePath = join(mkdtempSync(join(tmpdir(), 'authbench-')), 'db.sqlite3');
    const { code, stderr } = await failedStart({ DATABASE_PATH: databasePath, REDIS_URL: 'redis://:hunter2@127.0.0.1:1' });
    expect(code).toBe(2);
    expect(stderr).toBe('authbench: REDIS_URL: cannot use the Redis server: connect ECONNREFUSED 127.0.0.1:1\n');
    expect(stderr).not.toContain('hunter2');
  });
});
