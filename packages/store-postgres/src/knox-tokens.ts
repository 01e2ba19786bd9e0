import type { Pool } from 'pg';
import type { KnoxCandidate, KnoxTokenRecord, KnoxTokenStore } from '@authbench/core';
import { count, iso, isoOf, rows, transaction } from './db.js';
import { USER_COLUMNS, toUser, type UserRow } from './users.js';

interface KnoxRow {
  token_key: string;
  digest: string;
  user_id: string;
  created: Date;
  expiry: Date | null;
  client: string;
  last_used: Date | null;
}

const KNOX_COLUMNS = 'k.token_key, k.digest, k.user_id, k.created, k.expiry, k.client, k.last_used';

const toRecord = (row: KnoxRow): KnoxTokenRecord => ({
  tokenKey: row.token_key,
  digest: row.digest,
  userId: Number(row.user_id),
  created: isoOf(row.created),
  expiry: iso(row.expiry),
  client: row.client,
  lastUsed: iso(row.last_used),
});

export function postgresKnoxTokenStore(pool: Pool): KnoxTokenStore {
  return {
    // The hot path: one probe of the (token_key, digest) primary key, one of the user's.
    async findByTokenKey(tokenKey, digest) {
      const found =
        digest === undefined
          ? await rows<KnoxRow & UserRow>(
              pool,
              'knox_by_token_key',
              `SELECT ${KNOX_COLUMNS}, ${USER_COLUMNS} FROM knox_tokens k JOIN users u ON u.id = k.user_id WHERE k.token_key = $1`,
              [tokenKey],
            )
          : await rows<KnoxRow & UserRow>(
              pool,
              'knox_by_primary_key',
              `SELECT ${KNOX_COLUMNS}, ${USER_COLUMNS} FROM knox_tokens k JOIN users u ON u.id = k.user_id
               WHERE k.token_key = $1 AND k.digest = $2`,
              [tokenKey, digest],
            );
      return found.map((row): KnoxCandidate => ({ token: toRecord(row), user: toUser(row) }));
    },
    // The user's row is locked, so two logins of one user cannot both pass the limit.
    async create(token, { max, now }) {
      return transaction(pool, async (client) => {
        const owner = await client.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [token.userId]);
        if (owner.rowCount === 0) throw new Error(`knox: no user ${token.userId}`);
        if (max !== null) {
          const { rows: live } = await client.query<{ n: string }>(
            'SELECT count(*) AS n FROM knox_tokens WHERE user_id = $1 AND (expiry IS NULL OR expiry > $2)',
            [token.userId, now],
          );
          if (Number(live[0]!.n) >= max) return 'limit-reached' as const;
        }
        const inserted = await client.query(
          `INSERT INTO knox_tokens (token_key, digest, user_id, created, expiry, client, last_used) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT DO NOTHING`,
          [token.tokenKey, token.digest, token.userId, token.created, token.expiry, token.client, token.lastUsed],
        );
        return inserted.rowCount ? ('created' as const) : ('key-taken' as const);
      });
    },
    async listLive(userId, now) {
      const live = await rows<KnoxRow>(
        pool,
        'knox_list_live',
        `SELECT ${KNOX_COLUMNS} FROM knox_tokens k WHERE k.user_id = $1 AND (k.expiry IS NULL OR k.expiry > $2)
         ORDER BY k.created DESC, k.token_key`,
        [userId, now],
      );
      return live.map(toRecord);
    },
    async touch(userId, tokenKey, lastUsed, expiry) {
      await count(pool, 'knox_touch', 'UPDATE knox_tokens SET last_used = $1, expiry = $2 WHERE user_id = $3 AND token_key = $4', [
        lastUsed,
        expiry,
        userId,
        tokenKey,
      ]);
    },
    async delete(userId, tokenKey) {
      return (await count(pool, 'knox_delete', 'DELETE FROM knox_tokens WHERE user_id = $1 AND token_key = $2', [userId, tokenKey])) > 0;
    },
    deleteAll: (userId) => count(pool, 'knox_delete_all', 'DELETE FROM knox_tokens WHERE user_id = $1', [userId]),
    deleteExpired: (now, batch) =>
      count(
        pool,
        'knox_delete_expired',
        `DELETE FROM knox_tokens WHERE (token_key, digest) IN
           (SELECT token_key, digest FROM knox_tokens WHERE expiry IS NOT NULL AND expiry <= $1 LIMIT $2)`,
        [now, batch],
      ),
  };
}
