import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Accounts, hashPassword, type Argon2Parameters } from '@authbench/accounts';
import {
  MemoryUsers,
  describeExternalUsersConformance,
  describeJwtStoreConformance,
  describeSessionStoreConformance,
  describeStoreConformance,
  describeThrottleStoreConformance,
  describeUserRepositoryConformance,
} from '@authbench/store-conformance';
import { MIGRATIONS, migrate, openSqliteStore } from '../src/index.js';
import { KNOX_BY_PRIMARY_KEY, KNOX_TOKEN_BY_PRIMARY_KEY } from '../src/knox-tokens.js';
import { SESSION_BY_SID, SESSION_WITH_USER } from '../src/sessions.js';
import { TOKEN_USER_BY_KEY, TOKEN_USER_ID_BY_KEY } from '../src/tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'authbench-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `db-${++n}.sqlite3`);

describeStoreConformance('SQLite', async () => openSqliteStore(freshPath()));
describeJwtStoreConformance('SQLite', async () => openSqliteStore(freshPath()));
describeSessionStoreConformance('SQLite', async () => openSqliteStore(freshPath()));
describeThrottleStoreConformance('SQLite', async () => openSqliteStore(freshPath()));

for (const ids of ['number', 'string'] as const) {
  describeExternalUsersConformance('SQLite', async (users) => openSqliteStore(freshPath(), { users }), { ids, suites: ['tokens', 'jwt', 'sessions'] });
}

// Cheap on purpose: these tests are about the repository, not the hash's cost.
const FAST_HASHING: Argon2Parameters = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
describeUserRepositoryConformance(
  'SQLite built-in users through Accounts',
  async () => {
    const store = openSqliteStore(freshPath());
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

const plan = (db: Database.Database, statement: string, ...values: unknown[]) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${statement}`).all(...values) as { detail: string }[]).map((p) => p.detail);
const count = (db: Database.Database, table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
const CREDENTIAL_TABLES = ['tokens', 'knox_tokens', 'jwt_logins', 'jwt_outstanding', 'sessions'];

/** A file as version 5 left it: user 1 with a credential of each kind (user_id INTEGER then). */
function version5File(options: { orphan?: boolean } = {}): string {
  const path = freshPath();
  const raw = new Database(path);
  raw.exec(MIGRATIONS.slice(0, 5).join('\n'));
  raw.pragma('user_version = 5');
  raw.exec(`
    INSERT INTO users (username, password, date_joined) VALUES ('alice', 'x', '2026-11-22T10:00:00.000Z');
    INSERT INTO tokens (key, user_id, created) VALUES ('${'a'.repeat(40)}', 1, 'c');
    INSERT INTO knox_tokens (token_key, digest, user_id, created) VALUES ('0123456789abcde', 'd', 1, 'c');
    INSERT INTO jwt_logins (id, user_id, created, expires_at) VALUES ('L1', 1, 'c', '2026-11-23T10:00:00.000Z');
    INSERT INTO jwt_outstanding (jti, login_id, user_id, created_at, expires_at) VALUES ('J1', 'L1', 1, 'c', '2026-11-23T10:00:00.000Z');
    INSERT INTO sessions (sid, user_id, data, expires, created, last_used) VALUES ('s1', 1, '{}', '2026-11-23T10:00:00.000Z', 'c', 'c');
  `);
  // With foreign keys off, a token of a user that does not exist gets in.
  if (options.orphan) raw.pragma('foreign_keys = OFF');
  if (options.orphan) raw.exec(`INSERT INTO tokens (key, user_id, created) VALUES ('${'b'.repeat(40)}', 99, 'c')`);
  raw.close();
  return path;
}

describe('openSqliteStore', () => {
  it('creates the file and its folder, in WAL mode with foreign keys on', () => {
    const path = join(dir, 'nested', 'deeper', 'app.sqlite3');
    const store = openSqliteStore(path);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    store.close();
  });

  it('keeps data across reopen and migrates nothing twice', async () => {
    const path = freshPath();
    const first = openSqliteStore(path);
    await first.users.create({ username: 'alice', email: '', passwordHash: 'x' });
    first.close();
    const second = openSqliteStore(path);
    expect((await second.users.list()).map((u) => u.username)).toEqual(['alice']);
    second.close();
  });

  it('brings an older file up to date on open', () => {
    const path = freshPath();
    const raw = new Database(path);
    raw.pragma('user_version = 0');
    raw.close();
    const store = openSqliteStore(path);
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    store.close();
  });

  it('refuses a file from a newer version instead of guessing', () => {
    const path = freshPath();
    const raw = new Database(path);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    expect(() => openSqliteStore(path)).toThrow(/newer than this code knows/);
  });

  it('stores only 40-character lowercase hex keys', async () => {
    const store = openSqliteStore(freshPath());
    const user = await store.users.create({ username: 'alice', email: '', passwordHash: 'x' });
    await expect(store.tokens.getOrCreate({ key: 'A'.repeat(40), userId: user.id, created: 'now' })).rejects.toThrow(/CHECK/);
    await expect(store.tokens.getOrCreate({ key: 'a'.repeat(39), userId: user.id, created: 'now' })).rejects.toThrow(/CHECK/);
    store.close();
  });

  it('answers each hot-path lookup through primary keys, with built-in and with external users', () => {
    const builtIn = openSqliteStore(freshPath());
    expect(plan(builtIn.db, TOKEN_USER_BY_KEY, 'x')).toEqual(['SEARCH t USING PRIMARY KEY (key=?)', 'SEARCH u USING INTEGER PRIMARY KEY (rowid=?)']);
    expect(plan(builtIn.db, KNOX_BY_PRIMARY_KEY, 'k', 'd')).toEqual([
      'SEARCH k USING PRIMARY KEY (token_key=? AND digest=?)',
      'SEARCH u USING INTEGER PRIMARY KEY (rowid=?)',
    ]);
    expect(plan(builtIn.db, SESSION_WITH_USER, 's', 'now')).toEqual([
      'SEARCH s USING PRIMARY KEY (sid=?)',
      'SEARCH u USING INTEGER PRIMARY KEY (rowid=?) LEFT-JOIN',
    ]);
    builtIn.close();
    const external = openSqliteStore(freshPath(), { users: new MemoryUsers('string') });
    expect(plan(external.db, TOKEN_USER_ID_BY_KEY, 'x')).toEqual(['SEARCH tokens USING PRIMARY KEY (key=?)']);
    expect(plan(external.db, KNOX_TOKEN_BY_PRIMARY_KEY, 'k', 'd')).toEqual(['SEARCH k USING PRIMARY KEY (token_key=? AND digest=?)']);
    expect(plan(external.db, SESSION_BY_SID, 's', 'now')).toEqual(['SEARCH sessions USING PRIMARY KEY (sid=?)']);
    external.close();
  });

  it('refuses options.users that is no user repository, naming the missing method', () => {
    expect(() => openSqliteStore(freshPath(), { users: { findById: async () => null } as never })).toThrow(
      /options\.users: the user repository has no findByUsername\(\) method/,
    );
  });
});

describe('external users', () => {
  it('turns foreign keys off for the connection, refuses the built-in users, and stores ids with their type', async () => {
    const users = new MemoryUsers('string');
    const store = openSqliteStore(freshPath(), { users });
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(0);
    // The built-in users table is not in use: its store says so rather than hold users no credential names.
    await expect(store.users.create({ username: 'x', email: '', passwordHash: 'x' })).rejects.toThrow(
      /openSqliteStore was given options\.users: the built-in users table is not in use/,
    );
    await expect(store.users.findById(42)).rejects.toThrow(/not in use/);
    await users.seed({ username: 'n', password: 'x', isActive: true, id: 42 });
    await users.seed({ username: 's', password: 'x', isActive: true, id: '42' });
    await users.seed({ username: 'f', password: 'x', isActive: true, id: 4.5 });
    await store.tokens.getOrCreate({ key: 'a'.repeat(40), userId: 42, created: 'c' });
    await store.tokens.getOrCreate({ key: 'b'.repeat(40), userId: '42', created: 'c' });
    await store.tokens.getOrCreate({ key: 'c'.repeat(40), userId: 4.5, created: 'c' });
    // A whole number is bound as an INTEGER, as the rows from before migration 6 are.
    expect(store.db.prepare('SELECT user_id, typeof(user_id) AS type FROM tokens ORDER BY key').all()).toEqual([
      { user_id: 42, type: 'integer' },
      { user_id: '42', type: 'text' },
      { user_id: 4.5, type: 'real' },
    ]);
    expect((await store.tokens.findByUser(4.5))?.key).toBe('c'.repeat(40));
    expect(count(store.db, 'users')).toBe(0);
    store.close();
  });

  it('flushes an expired jwt login with its refresh tokens though no cascade runs', async () => {
    const users = new MemoryUsers('number');
    const store = openSqliteStore(freshPath(), { users });
    const T0 = '2026-11-22T10:00:00.000Z';
    const T1 = '2026-11-22T11:00:00.000Z';
    const login = (id: string, expiresAt: string) => ({ id, userId: 1, created: T0, client: '', expiresAt, lastRefreshed: null, revokedAt: null });
    const token = (jti: string, loginId: string, expiresAt: string) => ({ jti, loginId, userId: 1, createdAt: T0, expiresAt });
    await store.jwt.createLogin(login('old', T1), token('old-1', 'old', T1));
    await store.jwt.createLogin(login('live', '2026-11-24T10:00:00.000Z'), token('live-1', 'live', '2026-11-24T10:00:00.000Z'));
    expect(await store.jwt.deleteExpired('2026-11-23T10:00:00.000Z', 10)).toBe(1);
    expect(store.db.prepare('SELECT jti FROM jwt_outstanding').pluck().all()).toEqual(['live-1']);
    store.close();
  });
});

describe('migration 6: user ids of any type', () => {
  it('rebuilds the credential tables of a version-5 file with their rows, keys and cascades, and foreign keys back on', async () => {
    const store = openSqliteStore(version5File());
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    for (const table of CREDENTIAL_TABLES) {
      expect(store.db.prepare(`SELECT user_id, typeof(user_id) AS type FROM ${table}`).all(), table).toEqual([{ user_id: 1, type: 'integer' }]);
    }
    const alice = (await store.users.findById(1))!;
    expect(await store.tokens.findUserByKey('a'.repeat(40))).toEqual(alice);
    expect(await store.knoxTokens.findByTokenKey('0123456789abcde', 'd')).toHaveLength(1);
    expect(await store.jwt.isRefreshUsable('J1')).toBe(true);
    expect((await store.sessions.get('s1', '2026-11-22T10:00:00.000Z'))?.user).toEqual(alice);
    // The same indexes, by name, as the tables had before.
    const indexes = store.db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").pluck().all();
    expect(indexes).toEqual([
      'jwt_logins_expires_at', 'jwt_logins_user', 'jwt_outstanding_expires_at', 'jwt_outstanding_login', 'jwt_outstanding_user',
      'knox_tokens_expiry', 'login_throttle_expires_at', 'sessions_expires', 'sessions_user',
    ]);
    // The foreign keys still cascade: deleting the user deletes every credential.
    expect(await store.users.delete(1)).toBe(true);
    for (const table of CREDENTIAL_TABLES) expect(count(store.db, table), table).toBe(0);
    store.close();
  });

  it('rolls back when the rebuilt tables break a foreign key, and leaves foreign keys on', () => {
    const path = version5File({ orphan: true });
    expect(() => openSqliteStore(path)).toThrow(/migration left 1 foreign key violation\(s\), first in tokens; nothing was changed/);
    const raw = new Database(path);
    expect(raw.pragma('user_version', { simple: true })).toBe(5);
    expect(count(raw, 'tokens')).toBe(2);
    raw.close();
    // With external users nothing references the users table: the same file migrates.
    const external = openSqliteStore(path, { users: new MemoryUsers('number') });
    expect(external.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(external.db.pragma('foreign_keys', { simple: true })).toBe(0);
    external.close();
  });

  it('refuses to run inside a transaction, where foreign keys could not be switched off', () => {
    const raw = new Database(version5File());
    raw.exec('BEGIN');
    expect(() => migrate(raw)).toThrow(/outside a transaction/);
    raw.exec('ROLLBACK');
    expect(count(raw, 'tokens')).toBe(1);
    raw.close();
  });
});
