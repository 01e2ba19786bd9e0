import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ServiceUnavailableError, ValidationError } from '@authbench/core';
import {
  describeJwtStoreConformance,
  describeSessionStoreConformance,
  describeStoreConformance,
  describeThrottleStoreConformance,
  startTcpProxy,
} from '@authbench/store-conformance';
import { isConnectionError, isUnavailable, transaction } from '../src/db.js';
import { MIGRATIONS, openPostgresStore, type PostgresStoreOptions } from '../src/index.js';
import { postgresKnoxTokenStore } from '../src/knox-tokens.js';
import { postgresTokenStore } from '../src/tokens.js';
import { postgresUserStore } from '../src/users.js';

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

// The driver's errors as pg builds them: a SQLSTATE or socket code in `code`, or pg's own message.
describe('which errors mean "PostgreSQL cannot serve now" (503)', () => {
  const withCode = (code: string) => Object.assign(new Error(code), { code });
  it.each(['08006', '57P01', '57P02', '57P03', '25006', 'ECONNRESET', 'EAI_AGAIN'])('%s: the connection is lost or points at a standby', (code) => {
    expect(isConnectionError(withCode(code))).toBe(true);
    expect(isUnavailable(withCode(code))).toBe(true);
  });
  it.each(['57014', '55P03', '40001', '40P01', '53100', '53200', '53300'])('%s: transient, the connection is fine', (code) => {
    expect(isConnectionError(withCode(code))).toBe(false);
    expect(isUnavailable(withCode(code))).toBe(true);
  });
  it("pg's query timeout is a lost connection", () => {
    expect(isConnectionError(new Error('Query read timeout'))).toBe(true);
  });
  it.each(['23505', '23514', '22021', '42P01', '22P02'])('%s: the statement, not the server, failed', (code) => {
    expect(isUnavailable(withCode(code))).toBe(false);
  });
});

/** A store in a schema of its own whose connections run through a TCP proxy the test can cut or hang. */
async function behindProxy(name: string, options: Omit<PostgresStoreOptions, 'schema'>) {
  const target = new globalThis.URL(URL);
  const proxy = await startTcpProxy(Number(target.port || 5432), target.hostname);
  const through = new globalThis.URL(URL);
  through.port = String(proxy.port);
  const schema = `${RUN}_${name}`;
  schemas.push(schema);
  return { proxy, store: await openPostgresStore(through.href, { schema, ...options }) };
}

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
      const { proxy, store } = await behindProxy('outage', { poolSize: 2, connectTimeoutMs: 1000 });
      try {
        const alice = await store.users.create({ username: 'alice', email: '', passwordHash: 'x' });
        proxy.cut();
        await expect(store.users.findById(alice.id)).rejects.toBeInstanceOf(ServiceUnavailableError);
        await expect(store.tokens.replace({ key: 'a'.repeat(40), userId: alice.id, created: '2026-11-22T10:00:00.000Z' })).rejects.toBeInstanceOf(
          ServiceUnavailableError,
        );
        // jwt's verify and revocation check read the token's state: a 503 too, not a 500.
        await expect(store.jwt.isRefreshUsable('jti')).rejects.toBeInstanceOf(ServiceUnavailableError);
        await expect(store.jwt.isRevoked('jti', 'login')).rejects.toBeInstanceOf(ServiceUnavailableError);
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

    it('answers ServiceUnavailableError in bounded time while the server hangs, discards those connections, and recovers', async () => {
      const { proxy, store } = await behindProxy('hang', { poolSize: 2, connectTimeoutMs: 500, queryTimeoutMs: 500 });
      try {
        const alice = await store.users.create({ username: 'alice', email: '', passwordHash: 'x' });
        await Promise.all([store.users.findById(alice.id), store.users.findById(alice.id)]); // both connections open
        proxy.hang();
        const started = performance.now();
        const outcomes = await Promise.allSettled([
          store.users.findById(alice.id),
          store.tokens.replace({ key: 'a'.repeat(40), userId: alice.id, created: '2026-11-22T10:00:00.000Z' }),
          store.jwt.isRefreshUsable('jti'),
          store.users.findLogin('alice'),
        ]);
        for (const outcome of outcomes) expect(outcome.status === 'rejected' && outcome.reason).toBeInstanceOf(ServiceUnavailableError);
        // A query timeout, a connect timeout, and slack for a loaded machine; never "forever".
        expect(performance.now() - started).toBeLessThan(10_000);
        proxy.resume();
        // Every connection that timed out was discarded: one returned to the pool would have
        // lost bytes in the hang and time out again. Transactions included.
        for (let i = 0; i < 6; i++) {
          expect(await store.users.findById(alice.id)).toEqual(alice);
          await store.tokens.replace({ key: randomBytes(20).toString('hex'), userId: alice.id, created: '2026-11-22T10:00:00.000Z' });
        }
        expect(store.pool.totalCount).toBeLessThanOrEqual(2);
      } finally {
        await store.close();
        await proxy.close();
      }
    });

    it('closes while the server hangs: statements in flight time out and release their connections', async () => {
      const { proxy, store } = await behindProxy('hangclose', { poolSize: 3, connectTimeoutMs: 500, queryTimeoutMs: 500 });
      try {
        await Promise.all([1, 2, 3].map((id) => store.users.findById(id)));
        proxy.hang();
        const stuck = [1, 2, 3].map((id) => store.users.findById(id).catch((error: unknown) => error));
        await new Promise((resolve) => setTimeout(resolve, 50));
        const started = performance.now();
        await store.close();
        expect(performance.now() - started).toBeLessThan(10_000);
        for (const error of await Promise.all(stuck)) expect(error).toBeInstanceOf(ServiceUnavailableError);
      } finally {
        await proxy.close();
      }
    });

    it('sets a 5 s query timeout and TCP keepalives by default', async () => {
      const store = await fresh();
      expect(store.pool.options).toMatchObject({ query_timeout: 5000, keepAlive: true });
      await store.close();
    });

    it('refuses a schema name that is not a plain identifier', async () => {
      await expect(openPostgresStore(URL, { schema: 'x; DROP TABLE users' })).rejects.toThrow(/options\.schema/);
    });
  });

  describe('migrations', () => {
    it('indexes every foreign key, so deleting a user never scans a referencing table', async () => {
      const store = await fresh();
      const { rows: keys } = await store.pool.query<{ table: string; column: string; columns: number; indexed: boolean }>(
        `SELECT c.conrelid::regclass::text AS table, a.attname AS column, cardinality(c.conkey) AS columns,
           EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1]) AS indexed
         FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
         WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace ORDER BY 1, 2`,
      );
      expect(keys.length).toBeGreaterThanOrEqual(6);
      for (const key of keys) expect(key, `${key.table} (${key.column})`).toMatchObject({ columns: 1, indexed: true });
      // What ON DELETE CASCADE runs, planned with scans off unless unavoidable.
      const client = await store.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SET LOCAL enable_seqscan = off');
        for (const { table, column } of keys) {
          const plan = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN DELETE FROM ${table} WHERE ${column} = '1'`)).rows;
          expect(plan.map((r) => r['QUERY PLAN']).join('\n'), `${table} (${column})`).not.toMatch(/Seq Scan/);
        }
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
      await store.close();
    });

    it('brings a version-2 database up to date: the jwt_outstanding (user_id) index', async () => {
      const store = await fresh();
      const schema = schemas.at(-1)!;
      await store.pool.query('DROP INDEX jwt_outstanding_user');
      await store.pool.query('UPDATE authbench_schema SET version = 2');
      await store.close();
      const reopened = await openPostgresStore(URL, { schema });
      expect((await reopened.pool.query('SELECT version FROM authbench_schema')).rows).toEqual([{ version: MIGRATIONS.length }]);
      const { rows: indexes } = await reopened.pool.query('SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = $2', [
        schema,
        'jwt_outstanding_user',
      ]);
      expect(indexes).toEqual([{ indexdef: expect.stringMatching(/ON \S*jwt_outstanding USING btree \(user_id\)/) }]);
      await reopened.close();
    });
  });

  describe('client input PostgreSQL cannot store', () => {
    const NOW = '2026-11-22T10:00:00.000Z';

    it('answers a lookup by a string holding NUL as not found, without a query', async () => {
      const store = await fresh();
      const alice = await store.users.create({ username: 'alice', email: '', passwordHash: 'x' });
      const successor = { jti: 'next', loginId: 'login', userId: alice.id, createdAt: NOW, expiresAt: NOW };
      const lookups = async () => {
        expect(await store.users.findByUsername('alice\0')).toBeNull();
        expect(await store.users.findLogin('alice\0')).toBeNull();
        expect(await store.tokens.findUserByKey(`${'a'.repeat(39)}\0`)).toBeNull();
        expect(await store.knoxTokens.findByTokenKey('0123456789abcd\0')).toEqual([]);
        expect(await store.knoxTokens.findByTokenKey('0123456789abcde', 'digest\0')).toEqual([]);
        expect(await store.knoxTokens.delete(alice.id, '\0')).toBe(false);
        await store.knoxTokens.touch(alice.id, '\0', NOW, null);
        expect(await store.jwt.rotate('\0', successor, NOW)).toBe('revoked');
        expect(await store.jwt.blacklist('\0', NOW)).toBe(false);
        expect(await store.jwt.isRefreshUsable('\0')).toBe(false);
        expect(await store.jwt.isRevoked('\0', '\0')).toBe(false);
        expect(await store.jwt.isLoginLive('\0')).toBe(false);
        expect(await store.jwt.revokeLogin(alice.id, '\0', NOW)).toBe(false);
        expect(await store.sessions.get('\0', NOW)).toBeNull();
        await store.sessions.touch('\0', NOW, NOW);
        await store.sessions.destroy('\0');
      };
      await lookups();
      await store.close();
      await lookups(); // A closed pool refuses every statement: none was sent.
    });

    it('refuses a new user with NUL in the username or email with the validators\' ValidationError', async () => {
      const store = await fresh();
      await expect(store.users.create({ username: 'al\0ice', email: '', passwordHash: 'x' })).rejects.toSatisfy(
        (error) => error instanceof ValidationError && /valid username/.test(error.fields['username']?.[0] ?? '') && !('email' in error.fields),
      );
      await expect(store.users.create({ username: 'alice', email: 'alice\0@example.com', passwordHash: 'x' })).rejects.toSatisfy(
        (error) => error instanceof ValidationError && /valid email/.test(error.fields['email']?.[0] ?? '') && !('username' in error.fields),
      );
      expect(await store.users.list()).toEqual([]);
      await store.close();
    });
  });

  describe('concurrency', () => {
    it('get-or-create racing deleteByUser always returns a token and never throws', async () => {
      const store = await openPostgresStore(URL, { schema: `${RUN}_race`, poolSize: 8 });
      schemas.push(`${RUN}_race`);
      try {
        const user = await store.users.create({ username: 'alice', email: '', passwordHash: 'x' });
        const candidate = () => ({ key: randomBytes(20).toString('hex'), userId: user.id, created: '2026-11-22T10:00:00.000Z' });
        for (let round = 0; round < 300; round++) {
          await store.tokens.getOrCreate(candidate());
          const [first, , second] = await Promise.all([
            store.tokens.getOrCreate(candidate()),
            store.tokens.deleteByUser(user.id),
            store.tokens.getOrCreate(candidate()),
          ]);
          for (const { token } of [first, second]) expect(token).toMatchObject({ userId: user.id, key: expect.stringMatching(/^[0-9a-f]{40}$/) });
        }
      } finally {
        await store.close();
      }
    });

    it('runs a transaction that lost a deadlock (40P01) again', async () => {
      const store = await fresh();
      const a = await store.users.create({ username: 'a', email: '', passwordHash: 'x' });
      const b = await store.users.create({ username: 'b', email: '', passwordHash: 'x' });
      let arrived = 0;
      let bothLocked!: () => void;
      const barrier = new Promise<void>((resolve) => (bothLocked = resolve));
      let runs = 0;
      // Each locks one row, waits until the other holds its own, then wants the other's: a deadlock.
      const lockInOrder = (first: number, second: number) => {
        let attempt = 0;
        return transaction(store.pool, async (client) => {
          runs++;
          await client.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [first]);
          if (attempt++ === 0) {
            if (++arrived === 2) bothLocked();
            await barrier;
          }
          await client.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [second]);
          return 'done';
        });
      };
      expect(await Promise.all([lockInOrder(a.id, b.id), lockInOrder(b.id, a.id)])).toEqual(['done', 'done']);
      expect(runs).toBe(3);
      await store.close();
    });
  });

  describe('transient server errors', () => {
    const NOW = '2026-11-22T10:00:00.000Z';
    /** A pool of the store's schema with extra server settings, as an ALTER ROLE … SET would give. */
    const dedicated = (schema: string, settings: string, extra: pg.PoolConfig = {}) => {
      const pool = new pg.Pool({ connectionString: URL, max: 2, query_timeout: 5000, options: `-c search_path=${schema} ${settings}`, ...extra });
      pool.on('error', () => {});
      return pool;
    };
    const knoxRecord = (userId: number) => ({
      tokenKey: '0123456789abcde',
      digest: 'd'.repeat(128),
      userId,
      created: NOW,
      expiry: null,
      client: '',
      lastUsed: null,
    });
    /** Until the connections named `name` wait for a lock. */
    const waitForLock = async (pool: pg.Pool, name: string) => {
      const waiting = 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = $2';
      while ((await pool.query<{ n: number }>(waiting, [name, 'Lock'])).rows[0]!.n === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    const failure = (promise: Promise<unknown>) => promise.then(() => null, (error: unknown) => error as { cause?: unknown });

    it('maps a read-only server (25006: a standby, a demoted primary) to ServiceUnavailableError', async () => {
      const store = await fresh();
      const alice = await store.users.create({ username: 'alice', email: '', passwordHash: 'x' });
      const readOnly = dedicated(schemas.at(-1)!, '-c default_transaction_read_only=on');
      try {
        const users = postgresUserStore(readOnly);
        expect(await users.findById(alice.id)).toEqual(alice); // Reads still work.
        const created = await failure(users.create({ username: 'bob', email: '', passwordHash: 'x' }));
        expect(created).toBeInstanceOf(ServiceUnavailableError);
        expect(created?.cause).toMatchObject({ code: '25006' });
        const replaced = await failure(postgresTokenStore(readOnly).replace({ key: 'a'.repeat(40), userId: alice.id, created: NOW }));
        expect(replaced).toBeInstanceOf(ServiceUnavailableError);
        expect(replaced?.cause).toMatchObject({ code: '25006' });
      } finally {
        await readOnly.end();
        await store.close();
      }
      // An instance started against one cannot migrate: the same 503, the CLI's one line.
      const url = new globalThis.URL(URL);
      url.searchParams.set('options', '-c default_transaction_read_only=on');
      await expect(openPostgresStore(url.href)).rejects.toBeInstanceOf(ServiceUnavailableError);
    });

    it('maps statement_timeout (57014) and lock_timeout (55P03) to ServiceUnavailableError', async () => {
      const store = await fresh();
      const schema = schemas.at(-1)!;
      const alice = await store.users.create({ username: 'alice', email: '', passwordHash: 'x' });
      const holder = await store.pool.connect();
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [alice.id]);
      const pools = { '57014': dedicated(schema, '-c statement_timeout=100'), '55P03': dedicated(schema, '-c lock_timeout=100') };
      try {
        for (const [code, pool] of Object.entries(pools)) {
          // A single statement, then one inside a transaction (rolled back, its connection kept).
          for (let i = 0; i < 2; i++) {
            const set = await failure(postgresUserStore(pool).setActive(alice.id, false));
            expect(set).toBeInstanceOf(ServiceUnavailableError);
            expect(set?.cause).toMatchObject({ code });
            const created = await failure(postgresKnoxTokenStore(pool).create(knoxRecord(alice.id), { max: null, now: NOW }));
            expect(created).toBeInstanceOf(ServiceUnavailableError);
            expect(created?.cause).toMatchObject({ code });
          }
        }
      } finally {
        await holder.query('ROLLBACK');
        holder.release();
        await Promise.all(Object.values(pools).map((pool) => pool.end()));
      }
      expect(await store.users.setActive(alice.id, false)).toBe(true);
      await store.close();
    });

    it('maps a connection cut mid-transaction to ServiceUnavailableError, and the process lives on', async () => {
      const store = await fresh();
      const schema = schemas.at(-1)!;
      const alice = await store.users.create({ username: 'alice', email: '', passwordHash: 'x' });
      const target = new globalThis.URL(URL);
      const proxy = await startTcpProxy(Number(target.port || 5432), target.hostname);
      const through = new globalThis.URL(URL);
      through.port = String(proxy.port);
      const name = `${RUN}_cut`;
      through.searchParams.set('application_name', name);
      const cut = await openPostgresStore(through.href, { schema, poolSize: 1 });
      const holder = await store.pool.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [alice.id]);
        // Inside its transaction, waiting for alice's row; then the connection drops.
        const pending = failure(cut.knoxTokens.create(knoxRecord(alice.id), { max: null, now: NOW }));
        await waitForLock(store.pool, name);
        proxy.cut();
        expect(await pending).toBeInstanceOf(ServiceUnavailableError);
        proxy.restore();
        expect(await cut.users.findById(alice.id)).toEqual(alice);
      } finally {
        await holder.query('ROLLBACK');
        holder.release();
        await cut.close();
        await proxy.close();
        await store.close();
      }
    });

    it('maps a connection terminated mid-transaction (57P01) to ServiceUnavailableError, and the process lives on', async () => {
      const store = await fresh();
      const schema = schemas.at(-1)!;
      const alice = await store.users.create({ username: 'alice', email: '', passwordHash: 'x' });
      const holder = await store.pool.connect();
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [alice.id]);
      const name = `${RUN}_victim`;
      const victim = dedicated(schema, '', { max: 1, application_name: name });
      try {
        const pending = failure(postgresKnoxTokenStore(victim).create(knoxRecord(alice.id), { max: null, now: NOW }));
        await waitForLock(store.pool, name);
        await store.pool.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [name]);
        expect(await pending).toBeInstanceOf(ServiceUnavailableError);
        // The pool replaced the dead connection.
        expect(await postgresUserStore(victim).findById(alice.id)).toEqual(alice);
      } finally {
        await holder.query('ROLLBACK');
        holder.release();
        await victim.end();
        await store.close();
      }
    });
  });
});
