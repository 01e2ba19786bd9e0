import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createClient } from 'redis';

/**
 * What the tests that run several demo processes against this machine's
 * PostgreSQL and Redis share: the servers' addresses, a check that they
 * answer, the built demo started as a child process, and clean-up of what a
 * run wrote (its own schema and key prefix only: other tests share both).
 */
export const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
export const PG_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * Creates `schema` in PostgreSQL and pings Redis. Resolves with null when
 * both answer, else the reason; under CI=true a missing server throws, so a
 * run without one fails instead of skipping.
 */
export async function serversDown(schema: string, what: string): Promise<string | null> {
  const reason = await unreachable(schema);
  if (reason && process.env['CI'] === 'true') throw new Error(`${reason}; CI needs it`);
  if (reason) console.warn(`${what} skipped: ${reason}`);
  return reason;
}

async function unreachable(schema: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.end();
  } catch (error) {
    return `PostgreSQL at ${new URL(PG_URL).host}: ${(error as Error).message}`;
  }
  const redis = createClient({ url: REDIS_URL, socket: { connectTimeout: 3000, reconnectStrategy: false } });
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    return `Redis at ${new URL(REDIS_URL).host}: ${(error as Error).message}`;
  } finally {
    redis.destroy();
  }
}

/** Drops the run's schema and deletes its Redis keys (SCAN + DEL of the prefix; never FLUSHALL). */
export async function dropRun(schema: string, redisPrefix: string): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  for await (const keys of redis.scanIterator({ MATCH: `${redisPrefix}*`, COUNT: 500 })) if (keys.length > 0) await redis.del(keys);
  redis.destroy();
}

/** A `DATABASE_URL` whose connections use `schema`. */
export function databaseUrlFor(schema: string, base = PG_URL): string {
  // encodeURIComponent, not URLSearchParams: pg reads a "+" in the query as itself, not as a space.
  return `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

/** Starts the built demo with `env` (and PATH only) and resolves, once it listens, with its origin. */
export async function startDemo(env: Record<string, string>, children: ChildProcess[]): Promise<string> {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env['PATH'] ?? '', PORT: '0', FLUSH_EXPIRED_INTERVAL: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c) => (stdout += String(c)));
  child.stderr!.on('data', (c) => (stderr += String(c)));
  while (!/Listening on (\S+)/.test(stdout)) {
    if (child.exitCode !== null) throw new Error(`the demo exited: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return /Listening on (\S+)/.exec(stdout)![1]!;
}

/** Runs the built demo with `env` until it exits on its own, as it does when start-up fails. */
export async function failedStart(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env['PATH'] ?? '', PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += String(c)));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stderr };
}
