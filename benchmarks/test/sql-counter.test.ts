import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { countSqlStatements, sqlCounts } from '../src/sql-counter.js';

describe('countSqlStatements', () => {
  countSqlStatements();
  countSqlStatements(); // installing twice must not count twice
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const insertReturning = db.prepare('INSERT INTO t (v) VALUES (?) RETURNING id');
  const select = db.prepare('SELECT v FROM t WHERE id = ?');

  const delta = (fn: () => void) => {
    const before = sqlCounts();
    fn();
    const after = sqlCounts();
    return { reads: after.reads - before.reads, writes: after.writes - before.writes };
  };

  it('counts a SELECT as one read, whether by get, all or iterate', () => {
    expect(delta(() => select.get(1))).toEqual({ reads: 1, writes: 0 });
    expect(delta(() => select.all(1))).toEqual({ reads: 1, writes: 0 });
    expect(delta(() => [...select.iterate(1)])).toEqual({ reads: 1, writes: 0 });
  });

  it('counts an INSERT as a write, even one that returns rows', () => {
    expect(delta(() => insert.run('a'))).toEqual({ reads: 0, writes: 1 });
    expect(delta(() => insertReturning.get('b'))).toEqual({ reads: 0, writes: 1 });
  });

  it('does not count the BEGIN and COMMIT of a transaction', () => {
    const twoInserts = db.transaction(() => {
      insert.run('c');
      insert.run('d');
    });
    expect(delta(() => twoInserts())).toEqual({ reads: 0, writes: 2 });
  });

  it('leaves results untouched', () => {
    const { lastInsertRowid } = insert.run('e');
    expect(select.get(lastInsertRowid)).toEqual({ v: 'e' });
  });
});
