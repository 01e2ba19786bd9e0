import type { Database } from 'better-sqlite3';
import type { ThrottleCounter, ThrottleStore } from '@authbench/core';

interface CounterRow {
  failures: number;
  last_failure: number;
}

const toCounter = (row: CounterRow): ThrottleCounter => ({ failures: row.failures, lastFailure: row.last_failure });

export function sqliteThrottleStore(db: Database): ThrottleStore {
  // One UPSERT: the increment is a single statement, so concurrent failures
  // (even from other processes on the file) are all counted. In SET, column
  // names are the row before the update.
  const record = db.prepare<[string, number, number], CounterRow>(
    `INSERT INTO login_throttle (key, failures, last_failure, expires_at) VALUES (?, 1, ?, ?)
     ON CONFLICT (key) DO UPDATE SET
       failures     = CASE WHEN expires_at <= excluded.last_failure THEN 1 ELSE failures + 1 END,
       last_failure = max(last_failure, excluded.last_failure),
       expires_at   = max(expires_at, excluded.expires_at)
     RETURNING failures, last_failure`,
  );
  // Any number of keys in one prepared statement.
  const get = db.prepare<[string, number], CounterRow & { key: string }>(
    `SELECT key, failures, last_failure FROM login_throttle
     WHERE key IN (SELECT value FROM json_each(?)) AND expires_at > ?`,
  );
  const reset = db.prepare<[string]>('DELETE FROM login_throttle WHERE key = ?');
  const removeExpired = db.prepare<[number, number]>(
    'DELETE FROM login_throttle WHERE key IN (SELECT key FROM login_throttle WHERE expires_at <= ? LIMIT ?)',
  );

  return {
    async recordFailure(key, now, ttlSeconds) {
      return toCounter(record.get(key, now, now + ttlSeconds * 1000)!);
    },
    async get(keys, now) {
      const found = new Map(get.all(JSON.stringify(keys), now).map((row) => [row.key, toCounter(row)]));
      return keys.map((key) => found.get(key) ?? null);
    },
    async reset(key) {
      reset.run(key);
    },
    async deleteExpired(now, batch) {
      return removeExpired.run(now, batch).changes;
    },
  };
}
