import type { Pool } from 'pg';
import type { TokenRecord, TokenStore } from '@authbench/core';
import { count, isoOf, rows, transaction } from './db.js';
import { USER_COLUMNS, toUser, type UserRow } from './users.js';

interface TokenRow {
  key: string;
  user_id: string;
  created: Date;
}

const toToken = (row: TokenRow): TokenRecord => ({ key: row.key, userId: Number(row.user_id), created: isoOf(row.created) });
const BY_USER = 'SELECT key, user_id, created FROM tokens WHERE user_id = $1';

export function postgresTokenStore(pool: Pool): TokenStore {
  return {
    // The hot path: one probe of the token's primary key, one of the user's.
    async findUserByKey(key) {
      const [row] = await rows<UserRow>(pool, 'tokens_user_by_key', `SELECT ${USER_COLUMNS} FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.key = $1`, [key]);
      return row ? toUser(row) : null;
    },
    async findByUser(userId) {
      const [row] = await rows<TokenRow>(pool, 'tokens_by_user', BY_USER, [userId]);
      return row ? toToken(row) : null;
    },
    // One statement: ON CONFLICT DO UPDATE returns the row whether it inserted it or found it,
    // even against a concurrent deleteByUser (DO NOTHING and a second SELECT could find none).
    // The no-op SET locks the existing row; its key tells which happened.
    async getOrCreate(candidate) {
      const [row] = await rows<TokenRow>(
        pool,
        'tokens_get_or_create',
        `INSERT INTO tokens AS t (key, user_id, created) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO UPDATE SET user_id = t.user_id RETURNING t.key, t.user_id, t.created`,
        [candidate.key, candidate.userId, candidate.created],
      );
      return row!.key === candidate.key ? { token: candidate, created: true } : { token: toToken(row!), created: false };
    },
    async replace(token) {
      await transaction(pool, async (client) => {
        await client.query('DELETE FROM tokens WHERE user_id = $1', [token.userId]);
        await client.query('INSERT INTO tokens (key, user_id, created) VALUES ($1, $2, $3)', [token.key, token.userId, token.created]);
      });
      return token;
    },
    async deleteByUser(userId) {
      return (await count(pool, 'tokens_delete_by_user', 'DELETE FROM tokens WHERE user_id = $1', [userId])) > 0;
    },
  };
}
