import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Several demo processes on one PostgreSQL: what a team behind a load
 * balancer runs. A credential issued by one instance works on another, and a
 * logout on a third holds on the first. Needs the PostgreSQL this machine
 * runs; without it the file is skipped with the reason printed, except under
 * CI=true, where it fails.
 */
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const BASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `instances_${process.pid}_${Date.now().toString(36)}`;
const DATABASE_URL = `${BASE_URL}?options=${encodeURIComponent(`-c search_path=${SCHEMA}`)}`;

async function unreachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: BASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query(`CREATE SCHEMA ${SCHEMA}`);
    await client.end();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
const down = await unreachable();
if (down && process.env['CI'] === 'true') throw new Error(`PostgreSQL at ${BASE_URL} does not answer (${down}); CI needs it`);
if (down) console.warn(`multi-instance tests skipped: PostgreSQL at ${BASE_URL} does not answer (${down})`);

const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGTERM');
  if (down) return;
  const admin = new pg.Client({ connectionString: BASE_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await admin.end();
});

/** Starts one instance and resolves with its origin. */
async function instance(env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env['PATH'] ?? '', PORT: '0', DATABASE_URL, FLUSH_EXPIRED_INTERVAL: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c) => (stdout += String(c)));
  child.stderr!.on('data', (c) => (stderr += String(c)));
  while (!/Listening on (\S+)/.test(stdout)) {
    if (child.exitCode !== null) throw new Error(`instance exited: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return /Listening on (\S+)/.exec(stdout)![1]!;
}

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

describe.skipIf(down !== null)('three instances on one PostgreSQL', () => {
  describe.each(SCHEMES)('%s', (scheme, env, credentialOf, refused) => {
    let origins: string[] = [];
    beforeAll(async () => {
      origins = await Promise.all([1, 2, 3].map(() => instance({ AUTH_SCHEME: scheme, ...env })));
    }, 30_000);

    it('a login on one is honoured on another, and a logout on a third holds on the first', async () => {
      const [a, b, c] = origins as [string, string, string];
      const username = `user-${scheme}`;
      const password = 'correct-horse-battery';
      expect((await fetch(`${a}/api/auth/register`, json({ username, password }))).status).toBe(201);
      const login = await fetch(`${b}/api/auth/login`, json({ username, password }));
      expect(login.status).toBe(200);
      const credential = credentialOf(login, (await login.json()) as Record<string, unknown>);

      const me = await fetch(`${c}/api/me`, { headers: credential.headers });
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ username });

      const logout = await fetch(`${c}/api/auth/logout`, { method: 'POST', headers: { ...credential.headers, ...credential.unsafe } });
      expect(logout.status).toBe(204);
      expect((await fetch(`${a}/api/me`, { headers: credential.headers })).status).toBe(refused);
    });
  });
});

describe('a PostgreSQL that does not answer at start', () => {
  it('stops start-up with one line naming DATABASE_URL, without the password', async () => {
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env['PATH'] ?? '', PORT: '0', DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:1/authbench' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += String(c)));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toBe('authbench: DATABASE_URL: cannot use the PostgreSQL database: connect ECONNREFUSED 127.0.0.1:1\n');
    expect(stderr).not.toContain('hunter2');
  });
});
