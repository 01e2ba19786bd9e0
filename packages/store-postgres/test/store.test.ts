import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ServiceUnavailableError, ValidationError, type UserId } from '@authbench/core';
import { Accounts, hashPassword, type Argon2Parameters } from '@authbench/accounts';
import {
  MemoryUsers,
  describeExternalUsersConformance,
  describeUserRepositoryConformance,
  describeJwtStoreConformance,
  describeSessionStoreConformance,
  describeStoreConformance,
  describeThrottleStoreConformance,
  startTcpProxy,
} from '@authbench/store-conformance';
import { isConnectionError, isUnavailable, transaction } from '../src/db.js';
import { MIGRATIONS, openPostgresStore, type PostgresStoreOptions } from '../src/index.js';
import { KNOX_BY_PRIMARY_KEY, KNOX_TOKEN_BY_PRIMARY_KEY, postgresKnoxTokenStore } from '../src/knox-tokens.js';
import { SESSION_BY_SID, SESSION_WITH_USER } from '../src/sessions.js';
import { TOKEN_USER_BY_KEY, TOKEN_USER_ID_BY_KEY, postgresTokenStore } from '../src/tokens.js';
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

// Cheap on purpose: these tests are about the repository, not the hash's cost.
const FAST_HASHING: Argon2Parameters = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

/** A store in a schema of its own whose connections run through a TCP proxy the test can cut or hang. */
async function behindProxy(name: string, options: Omit<PostgresStoreOptions, 'schema' | 'users'>) {
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

  for (const ids of ['number', 'string'] as const) {
    describeExternalUsersConformance(
      'PostgreSQL',
      async (users) => {
        const schema = `${RUN}_${schemas.length}`;
        schemas.push(schema);
        return openPostgresStore(URL, { schema, poolSize: 4, users });
      },
      { ids, suites: ['tokens', 'jwt', 'sessions'] },
    );
  }

  describeUserRepositoryConformance(
    'PostgreSQL built-in users through Accounts',
    async () => {
      const store = await fresh();
      return {
        users: new Accounts({ users: store.users, hashing: FAST_HASHING }),
        async seed({ username, password, isActive, email }) {
          const user = await store.users.create({ username, email: email ?? '', passwordHash: await hashPassword(password, FAST_HASHING) });
          if (isActive) return user;
          await store.users.setActive(user.id, false);
          return { ...user, isActive: false };
        },
        async changePassword(user, password) {
          await store.users.setPassword(user.id, await hashPassword(password, FAST_HASHING));
        },
        close: () => store.close(),
      };
    },
    { ids: 'number' },
  );

  describe('external users', () => {
    const NOW = '2026-11-22T10:00:00.000Z';
    const openExternal = async (users: MemoryUsers) => {
      const schema = `${RUN}_${schemas.length}`;
      schemas.push(schema);
      return openPostgresStore(URL, { schema, poolSize: 2, users });
    };

    it('stores ids as typed JSON, refuses the built-in users and leaves their table empty', async () => {
      const users = new MemoryUsers('string');
      const store = await openExternal(users);
      try {
        await expect(store.users.findByUsername('alice')).rejects.toThrow(
          /openPostgresStore was given options\.users: the built-in users table is not in use/,
        );
        await store.tokens.getOrCreate({ key: 'a'.repeat(40), userId: 42, created: NOW });
        await store.tokens.getOrCreate({ key: 'b'.repeat(40), userId: '42', created: NOW });
        const { rows: stored } = await store.pool.query('SELECT user_id::text AS json, jsonb_typeof(user_id) AS type FROM tokens ORDER BY key');
        expect(stored).toEqual([
          { json: '42', type: 'number' },
          { json: '"42"', type: 'string' },
        ]);
        expect((await store.pool.query('SELECT count(*)::int AS n FROM users')).rows).toEqual([{ n: 0 }]);
        await expect(store.pool.query("INSERT INTO sessions (sid, user_id, data, expires, created, last_used) VALUES ('s', '{}', '{}', now(), now(), now())")).rejects.toThrow(
          /sessions_user_id_type/,
        );
      } finally {
        await store.close();
      }
    });

    it('answers a lookup by an id holding NUL as not found, without a query, and refuses to store one', async () => {
      const store = await openExternal(new MemoryUsers('string'));
      await store.close(); // A closed pool refuses every statement: none may be sent.
      expect(await store.tokens.findByUser('a\0')).toBeNull();
      expect(await store.tokens.deleteByUser('a\0')).toBe(false);
      expect(await store.knoxTokens.listLive('a\0', NOW)).toEqual([]);
      expect(await store.jwt.listLogins('a\0', NOW)).toEqual([]);
      expect(await store.sessions.listByUser('a\0', NOW)).toEqual([]);
      expect(await store.sessions.destroyByUser('a\0')).toBe(0);
      await expect(store.tokens.getOrCreate({ key: 'a'.repeat(40), userId: 'a\0', created: NOW })).rejects.toThrow(TypeError);
      await expect(store.sessions.set({ sid: 's', userId: 'a\0', data: '{}', expires: NOW, created: NOW, client: '', lastUsed: NOW })).rejects.toThrow(
        /a user id must be a string without NUL or a finite number/,
      );
    });
  });

  describe('built-in users without foreign keys', () => {
    const NOW = '2026-11-22T10:00:00.000Z';
    const LATER = '2026-11-23T10:00:00.000Z';

    it('refuses a credential for a user the table does not hold, as the foreign keys did', async () => {
      const store = await fresh();
      try {
        const knox = { tokenKey: '0123456789abcde', digest: 'd', created: NOW, expiry: null, client: '', lastUsed: null };
        for (const userId of [7, '1']) {
          await expect(store.tokens.getOrCreate({ key: 'a'.repeat(40), userId, created: NOW })).rejects.toThrow(/tokens: no user/);
          await expect(store.tokens.replace({ key: 'a'.repeat(40), userId, created: NOW })).rejects.toThrow(/tokens: no user/);
          await expect(store.knoxTokens.create({ ...knox, userId }, { max: null, now: NOW })).rejects.toThrow(/knox: no user/);
          await expect(
            store.jwt.createLogin(
              { id: 'L', userId, created: NOW, client: '', expiresAt: LATER, lastRefreshed: null, revokedAt: null },
              { jti: 'J', loginId: 'L', userId, createdAt: NOW, expiresAt: LATER },
            ),
          ).rejects.toThrow(/jwt: no user/);
          await expect(store.sessions.set({ sid: 's', userId, data: '{}', expires: LATER, created: NOW, client: '', lastUsed: NOW })).rejects.toThrow(
            /sessions: no user/,
          );
        }
        await store.sessions.set({ sid: 'anonymous', userId: null, data: '{}', expires: LATER, created: NOW, client: '', lastUsed: NOW });
        const { rows: counts } = await store.pool.query(
          `SELECT (SELECT count(*) FROM tokens) + (SELECT count(*) FROM knox_tokens) + (SELECT count(*) FROM jwt_logins)
             + (SELECT count(*) FROM jwt_outstanding) AS credentials, (SELECT count(*) FROM sessions) AS sessions`,
        );
        expect(counts).toEqual([{ credentials: '0', sessions: '1' }]);
      } finally {
        await store.close();
      }
    });

    it('a credential written while its user is being deleted waits for the deletion, then is refused: no orphan', async () => {
      const store = await fresh();
      const alice = await store.users.create({ username: 'alice', email: '', passwordHash: 'x' });
      const deleting = await store.pool.connect();
      try {
        await deleting.query('BEGIN');
        await deleting.query('DELETE FROM users WHERE id = $1', [alice.id]);
        const login = store.tokens.getOrCreate({ key: 'a'.repeat(40), userId: alice.id, created: NOW }).then(
          () => 'created',
          (error: unknown) => (error as Error).message,
        );
        // It waits on the row lock the deletion holds.
        const waiting = 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = $1 AND query LIKE $2';
        while ((await store.pool.query<{ n: number }>(waiting, ['Lock', '%INSERT INTO tokens%'])).rows[0]!.n === 0) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await deleting.query('COMMIT');
        expect(await login).toMatch(/tokens: no user/);
        expect((await store.pool.query('SELECT count(*)::int AS n FROM tokens')).rows).toEqual([{ n: 0 }]);
      } finally {
        deleting.release();
        await store.close();
      }
    });
  });

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

    it('answers each hot-path lookup through primary keys, never a scan, with built-in and with external users', async () => {
      const builtIn = await fresh();
      const explain = async (statement: string, values: unknown[]) =>
        (await builtIn.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${statement}`, values)).rows.map((r) => r['QUERY PLAN']).join('\n');
      const NOW = '2026-11-22T10:00:00.000Z';
      // Built-in users: the credential's primary key, then the user's, in one statement.
      for (const [statement, values, index] of [
        [TOKEN_USER_BY_KEY, ['a'.repeat(40)], 'tokens_pkey'],
        [KNOX_BY_PRIMARY_KEY, ['0123456789abcde', 'f'.repeat(128)], 'knox_tokens_pkey'],
        [SESSION_WITH_USER, ['sid', NOW], 'sessions_pkey'],
      ] as const) {
        const plan = await explain(statement, [...values]);
        expect(plan, statement).toMatch(new RegExp(`Index Scan using ${index} on`));
        expect(plan, statement).toMatch(/Index (Only )?Scan using users_pkey on users u .*\n\s+Index Cond: \(id = \(\w\.user_id\)::bigint\)/);
        expect(plan, statement).not.toMatch(/Seq Scan/);
      }
      // External users: the credential's primary key alone.
      for (const [statement, values, index] of [
        [TOKEN_USER_ID_BY_KEY, ['a'.repeat(40)], 'tokens_pkey'],
        [KNOX_TOKEN_BY_PRIMARY_KEY, ['0123456789abcde', 'f'.repeat(128)], 'knox_tokens_pkey'],
        [SESSION_BY_SID, ['sid', NOW], 'sessions_pkey'],
      ] as const) {
        const plan = await explain(statement, [...values]);
        expect(plan, statement).toMatch(new RegExp(`^Index Scan using ${index} on`));
        expect(plan, statement).not.toMatch(/users|Seq Scan/);
      }
      await builtIn.close();
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
    it('indexes every user_id and foreign key column, so deleting a user never scans a table', async () => {
      const store = await fresh();
      const { rows: columns } = await store.pool.query<{ table: string; column: string; indexed: boolean }>(
        `SELECT c.relname AS table, a.attname AS column,
           EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indkey[0] = a.attnum) AS indexed
         FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
           AND (a.attname = 'user_id' OR EXISTS (SELECT 1 FROM pg_constraint f WHERE f.conrelid = c.oid AND f.contype = 'f' AND f.conkey = ARRAY[a.attnum]))
         ORDER BY 1, 2`,
      );
      expect(columns).toEqual(
        [
          ['jwt_logins', 'user_id'],
          ['jwt_outstanding', 'login_id'],
          ['jwt_outstanding', 'user_id'],
          ['knox_tokens', 'user_id'],
          ['sessions', 'user_id'],
          ['tokens', 'user_id'],
        ].map(([table, column]) => ({ table, column, indexed: true })),
      );
      // What users.delete and the jwt_logins cascade run, planned with scans off unless unavoidable.
      const client = await store.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SET LOCAL enable_seqscan = off');
        for (const { table, column } of columns) {
          const plan = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN DELETE FROM ${table} WHERE ${column} = $1`, ['1'])).rows;
          expect(plan.map((r) => r['QUERY PLAN']).join('\n'), `${table} (${column})`).not.toMatch(/Seq Scan/);
        }
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
      await store.close();
    });

    it('brings a version-2 database up to date with its data: the jwt_outstanding (user_id) index, ids as typed JSON', async () => {
      const schema = `${RUN}_v2`;
      schemas.push(schema);
      const NOW = '2026-11-22T10:00:00.000Z';
      const LATER = '2026-11-23T10:00:00.000Z';
      // A database as version 2 left it, with a credential of each kind.
      const old = new pg.Client({ connectionString: URL, options: `-c search_path=${schema}` });
      await old.connect();
      try {
        await old.query(`CREATE SCHEMA ${schema}`);
        await old.query('CREATE TABLE authbench_schema (version integer NOT NULL)');
        await old.query('INSERT INTO authbench_schema (version) VALUES (2)');
        for (const migration of MIGRATIONS.slice(0, 2)) await old.query(migration);
        await old.query(`INSERT INTO users (username, password, date_joined) VALUES ('alice', 'x', $1)`, [NOW]);
        await old.query(`INSERT INTO tokens (key, user_id, created) VALUES ($1, 1, $2)`, ['a'.repeat(40), NOW]);
        await old.query(`INSERT INTO knox_tokens (token_key, digest, user_id, created) VALUES ('0123456789abcde', 'd', 1, $1)`, [NOW]);
        await old.query(`INSERT INTO jwt_logins (id, user_id, created, expires_at) VALUES ('L1', 1, $1, $2)`, [NOW, LATER]);
        await old.query(`INSERT INTO jwt_outstanding (jti, login_id, user_id, created_at, expires_at) VALUES ('J1', 'L1', 1, $1, $2)`, [NOW, LATER]);
        await old.query(`INSERT INTO sessions (sid, user_id, data, expires, created, last_used) VALUES ('s1', 1, '{}', $2, $1, $1)`, [NOW, LATER]);
      } finally {
        await old.end();
      }
      const store = await openPostgresStore(URL, { schema });
      try {
        expect((await store.pool.query('SELECT version FROM authbench_schema')).rows).toEqual([{ version: MIGRATIONS.length }]);
        const { rows: indexes } = await store.pool.query('SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = $2', [
          schema,
          'jwt_outstanding_user',
        ]);
        expect(indexes).toEqual([{ indexdef: expect.stringMatching(/ON \S*jwt_outstanding USING btree \(user_id\)/) }]);
        const alice = (await store.users.findById(1))!;
        expect(alice.username).toBe('alice');
        expect(await store.tokens.findUserByKey('a'.repeat(40))).toEqual(alice);
        expect(await store.tokens.findByUser(1)).toEqual({ key: 'a'.repeat(40), userId: 1, created: NOW });
        expect((await store.knoxTokens.findByTokenKey('0123456789abcde', 'd')).map((c) => [c.token.userId, c.user])).toEqual([[1, alice]]);
        expect((await store.jwt.listLogins(1, NOW)).map((l) => [l.id, l.userId])).toEqual([['L1', 1]]);
        expect(await store.jwt.isRefreshUsable('J1')).toBe(true);
        expect(await store.sessions.get('s1', NOW)).toMatchObject({ userId: 1, user: alice });
        // Deleting the user still takes every credential along, as the cascade did.
        expect(await store.users.delete(1)).toBe(true);
        const { rows: left } = await store.pool.query(
          `SELECT (SELECT count(*) FROM tokens) + (SELECT count(*) FROM knox_tokens) + (SELECT count(*) FROM jwt_logins)
             + (SELECT count(*) FROM jwt_outstanding) + (SELECT count(*) FROM sessions) AS n`,
        );
        expect(left).toEqual([{ n: '0' }]);
      } finally {
        await store.close();
      }
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

    it('refuses a new user with NUL in the username or email with Django\'s ProhibitNullCharactersValidator message', async () => {
      const store = await fresh();
      await expect(store.users.create({ username: 'al\0ice', email: '', passwordHash: 'x' })).rejects.toSatisfy(
        (error) => error instanceof ValidationError && error.fields['username']?.[0] === 'Null characters are not allowed.' && !('email' in error.fields),
      );
      await expect(store.users.create({ username: 'alice', email: 'alice\0@example.com', passwordHash: 'x' })).rejects.toSatisfy(
        (error) => error instanceof ValidationError && error.fields['email']?.[0] === 'Null characters are not allowed.' && !('username' in error.fields),
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
      const lockInOrder = (first: UserId, second: UserId) => {
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
    const knoxRecord = (userId: UserId) => ({
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
