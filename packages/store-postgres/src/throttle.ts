import type { Pool } from 'pg';
import type { ThrottleCounter, ThrottleStore } from '@authbench/core';
import { count, rows } from './db.js';

interface CounterRow {
  key: string;
  failures: number;
  /** bigint arrives as a string. */
  last_failure: string;
}

const toCounter = (row: CounterRow): ThrottleCounter => ({ failures: row.failures, lastFailure: Number(row.last_failure) });

export function postgresThrottleStore(pool: Pool): ThrottleStore {
  return {
    // One INSERT … ON CONFLICT DO UPDATE: the row lock makes concurrent increments queue, none lost.
    async recordFailure(key, now, ttlSeconds) {
      const [row] = await rows<CounterRow>(
        pool,
        'throttle_record_failure',
        `INSERT INTO login_throttle AS t (key, failures, last_failure, expires_at) VALUES ($1, 1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET
           failures     = CASE WHEN t.expires_at <= EXCLUDED.last_failure THEN 1 ELSE t.failures + 1 END,
           last_failure = GREATEST(t.last_failure, EXCLUDED.last_failure),
           expires_at   = GREATEST(t.expires_at, EXCLUDED.expires_at)
         RETURNING key, failures, last_failure`,
        [key, now, now + ttlSeconds * 1000],
      );
      return toCounter(row!);
    },
    async get(keys, now) {
      const found = await rows<CounterRow>(
        pool,
        'throttle_get',
        'SELECT key, failures, last_failure FROM login_throttle WHERE key = ANY($1::text[]) AND expires_at > $2',
        [keys, now],
      );
      const byKey = new Map(found.map((row) => [row.key, toCounter(row)]));
      return keys.map((key) => byKey.get(key) ?? null);
    },
    async reset(key) {
      await count(pool, 'throttle_reset', 'DELETE FROM login_throttle WHERE key = $1', [key]);
    },
    deleteExpired: (now, batch) =>
      count(
        pool,
        'throttle_delete_expired',
        'DELETE FROM login_throttle WHERE key IN (SELECT key FROM login_throttle WHERE expires_at <= $1 LIMIT $2)',
        [now, batch],
      ),
  };
}
