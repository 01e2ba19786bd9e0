import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import {
  describeJwtStoreConformance,
  describeSessionStoreConformance,
  describeStoreConformance,
  describeThrottleStoreConformance,
} from '@authbench/store-conformance';
import { MIGRATIONS, openSqliteStore } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'authbench-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `db-${++n}.sqlite3`);

describeStoreConformance('SQLite', async () => openSqliteStore(freshPath()));
describeJwtStoreConformance('SQLite', async () => openSqliteStore(freshPath()));
describeSessionStoreConformance('SQLite', async () => openSqliteStore(freshPath()));
describeThrottleStoreConformance('SQLite', async () => openSqliteStore(freshPath()));

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

  it('looks a key up through the primary key, not a scan', () => {
    const store = openSqliteStore(freshPath());
    const plan = store.db
      .prepare('EXPLAIN QUERY PLAN SELECT u.id FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.key = ?')
      .all('x') as { detail: string }[];
    expect(plan.map((p) => p.detail)).toEqual([
      'SEARCH t USING PRIMARY KEY (key=?)',
      'SEARCH u USING INTEGER PRIMARY KEY (rowid=?)',
    ]);
    store.close();
  });
});
