import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from '@authbench/core';
import {
  describeJwtStoreConformance,
  describeSessionStoreConformance,
  describeStoreConformance,
  describeThrottleStoreConformance,
  startTcpProxy,
} from '@authbench/store-conformance';
import { MIGRATIONS, openPostgresStore } from '../src/index.js';

/**
 * The PostgreSQL this machine runs on its standard loopback port. Without it
 * the file is skipped with the reason printed, except under CI=true, where a
 * missing server fails the run.
 */
const URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const RUN = `t${process.pid}_${Date.now().toString(36)}`;

async function reachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

const unreachable = await reachable();
if (unreachable && process.env['CI'] === 'true') throw new Error(`PostgreSQL at ${URL} does not answer (${unreachable}); CI needs it`);
if (unreachable) console.warn(`store-postgres tests skipped: PostgreSQL at ${URL} does not answer (${unreachable})`);

// Each store gets a schema of its own: a fresh, empty database for every test.
const schemas: string[] = [];
const fresh = () => {
  const schema = `${RUN}_${schemas.length}`;
  schemas.push(schema);
  return openPostgresStore(URL, { schema, poolSize: 4 });
};
afterAll(async () => {
  if (unreachable) return;
  const admin = new pg.Client({ connectionString: URL });
  await admin.connect();
  // A few schemas per statement: one commit each, and few enough locks for one transaction.
  for (let i = 0; i < schemas.length; i += 10) await admin.query(`DROP SCHEMA IF EXISTS ${schemas.slice(i, i + 10).join(', ')} CASCADE`);
  await admin.end();
});

describe.skipIf(unreachable !== null)('PostgreSQL', () => {
  describeStoreConformance('PostgreSQL', fresh);
  describeJwtStoreConformance('PostgreSQL', fresh);
  describeSessionStoreConformance('PostgreSQL', fresh);
  describeThrottleStoreConformance('PostgreSQL', fresh);

  describe('openPostgresStore', () => {
    it('migrates once, records the version, and keeps data across reopen', async () => {
      const schema = `${RUN}_reopen`;
      schemas.push(schema);
      const first = await openPostgresStore(URL, { schema });
      await first.users.create({ username: 'alice', email: '', passwordHash: 'x' });
      await first.close();
      const second = await openPostgresStore(URL, { schema });
      expect((await second.users.list()).map((u) => u.username)).toEqual(['alice']);
      expect((await second.pool.query('SELECT version FROM authbench_schema')).rows).toEqual([{ version: MIGRATIONS.length }]);
      await second.close();
    });

    it('migrates once when several instances start together', async () => {
      const schema = `${RUN}_together`;
      schemas.push(schema);
      const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore(URL, { schema })));
      expect((await stores[0]!.pool.query('SELECT version FROM authbench_schema')).rows).toEqual([{ version: MIGRATIONS.length }]);
      await Promise.all(stores.map((s) => s.close()));
    });

    it('refuses a database from a newer version instead of guessing', async () => {
      const store = await fresh();
      await store.pool.query('UPDATE authbench_schema SET version = $1', [MIGRATIONS.length + 1]);
      await store.close();
      await expect(openPostgresStore(URL, { schema: schemas.at(-1)! })).rejects.toThrow(/newer than this code knows/);
    });

    it('stores only 40-character lowercase hex keys', async () => {
      const store = await fresh();
      const user = await store.users.create({ username: 'alice', email: '', passwordHash: 'x' });
      const created = '2026-11-22T10:00:00.000Z';
      await expect(store.tokens.getOrCreate({ key: 'A'.repeat(40), userId: user.id, created })).rejects.toThrow(/check constraint/);
      await expect(store.tokens.getOrCreate({ key: 'a'.repeat(39), userId: user.id, created })).rejects.toThrow(/check constraint/);
      await store.close();
    });

    it('looks a key up through the primary keys, not a scan', async () => {
      const store = await fresh();
      const { rows } = await store.pool.query<{ 'QUERY PLAN': string }>(
        "EXPLAIN SELECT u.id FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.key = 'x'",
      );
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/Index Scan using tokens_pkey/);
      expect(plan).not.toMatch(/Seq Scan/);
      await store.close();
    });

    it('answers ServiceUnavailableError while the server is away, and recovers by itself', async () => {
      const target = new globalThis.URL(URL);
      const proxy = await startTcpProxy(Number(target.port || 5432), target.hostname);
      const through = new globalThis.URL(URL);
      through.port = String(proxy.port);
      const schema = `${RUN}_outage`;
      schemas.push(schema);
      const store = await openPostgresStore(through.href, { schema, poolSize: 2, connectTimeoutMs: 1000 });
      try {
        const alice = await store.users.create({ username: 'alice', email: '', passwordHash: 'x' });
        proxy.cut();
        await expect(store.users.findById(alice.id)).rejects.toBeInstanceOf(ServiceUnavailableError);
        await expect(store.tokens.replace({ key: 'a'.repeat(40), userId: alice.id, created: '2026-11-22T10:00:00.000Z' })).rejects.toBeInstanceOf(
          ServiceUnavailableError,
        );
        // A statement error is not an outage: it stays itself.
        proxy.restore();
        await expect(store.tokens.getOrCreate({ key: 'A'.repeat(40), userId: alice.id, created: '2026-11-22T10:00:00.000Z' })).rejects.toThrow(
          /check constraint/,
        );
        expect(await store.users.findById(alice.id)).toEqual(alice);
      } finally {
        await store.close();
        await proxy.close();
      }
    });

    it('refuses a schema name that is not a plain identifier', async () => {
      await expect(openPostgresStore(URL, { schema: 'x; DROP TABLE users' })).rejects.toThrow(/options\.schema/);
    });
  });
});
