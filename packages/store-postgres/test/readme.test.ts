import pg from 'pg';
import ts from 'typescript';
import { afterAll, expect, it, vi } from 'vitest';
import { readmeExample } from '../../../readme-example.js';

// The README's first ```ts block: it type-checks, and prints what its comments say.
const { file, typeErrors, printed } = readmeExample(import.meta.url);

/**
 * The PostgreSQL this machine runs on its standard loopback port, as the store's own tests use.
 * Without it the run is skipped with the reason printed, except under CI=true, where it fails.
 */
const URL_ = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `readme_${process.pid}_${Date.now().toString(36)}`;

async function reachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: URL_, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

const unreachable = await reachable();
if (unreachable && process.env['CI'] === 'true') throw new Error(`PostgreSQL at ${URL_} does not answer (${unreachable}); CI needs it`);
if (unreachable) console.warn(`store-postgres README example skipped: PostgreSQL at ${URL_} does not answer (${unreachable})`);

afterAll(async () => {
  if (unreachable) return;
  const admin = new pg.Client({ connectionString: URL_ });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await admin.end();
});

// A whole program of every package's source: seconds on a quiet machine, a minute or more on a loaded one.
it('type-checks', { timeout: 300_000 }, () => {
  expect(typeErrors()).toEqual([]);
});

it.skipIf(unreachable)('runs against PostgreSQL, and prints what its comments say', async () => {
  vi.stubEnv('DATABASE_URL', URL_);
  vi.stubEnv('AUTHBENCH_SCHEMA', SCHEMA);
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await import(file);
    expect(log.mock.calls).toEqual([[2], [0]]);
  } finally {
    log.mockRestore();
    vi.unstubAllEnvs();
  }
});
