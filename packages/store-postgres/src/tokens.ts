import type { Pool } from 'pg';
import type { TokenRecord, TokenStore, UserId, UserRepository } from '@authbench/core';
import { count, isoOf, rows, transaction } from './db.js';
import { isBuiltInId, jsonUserId, storableUserId } from './user-id.js';
import { USER_COLUMNS, noSuchUser, toUser, type UserRow } from './users.js';

interface TokenRow {
  key: string;
  user_id: UserId;
  created: Date;
}

const toToken = (row: TokenRow): TokenRecord => ({ key: row.key, userId: row.user_id, created: isoOf(row.created) });
const BY_USER = 'SELECT key, user_id, created FROM tokens WHERE user_id = $1::jsonb';

/** The hot path with the built-in users: one probe of the token's primary key, one of the user's. */
export const TOKEN_USER_BY_KEY = `SELECT ${USER_COLUMNS} FROM tokens t JOIN users u ON u.id = (t.user_id)::bigint WHERE t.key = $1`;
/** The hot path with external users: one probe of the token's primary key, then the repository. */
export const TOKEN_USER_ID_BY_KEY = 'SELECT user_id FROM tokens WHERE key = $1';

// One statement: ON CONFLICT DO UPDATE returns the row whether it inserted it or found it,
// even against a concurrent deleteByUser (DO NOTHING and a second SELECT could find none).
// The no-op SET locks the existing row; its key tells which happened.
const ON_CONFLICT_RETURN = 'ON CONFLICT (user_id) DO UPDATE SET user_id = t.user_id RETURNING t.key, t.user_id, t.created';
const GET_OR_CREATE = `INSERT INTO tokens AS t (key, user_id, created) VALUES ($1, $2::jsonb, $3) ${ON_CONFLICT_RETURN}`;
// With the built-in users, only for a user that exists (see noSuchUser).
const GET_OR_CREATE_OWNED = `INSERT INTO tokens AS t (key, user_id, created)
  SELECT $1, $2::jsonb, $3::timestamptz FROM users WHERE id = $4 FOR KEY SHARE ${ON_CONFLICT_RETURN}`;

/** @param users the application's users; without them, the built-in `users` table. */
export function postgresTokenStore(pool: Pool, users?: UserRepository): TokenStore {
  const builtIn = users === undefined;
  const findUserByKey: TokenStore['findUserByKey'] =
    users === undefined
      ? async (key) => {
          const [row] = await rows<UserRow>(pool, 'tokens_user_by_key', TOKEN_USER_BY_KEY, [key]);
          return row ? toUser(row) : null;
        }
      : async (key) => {
          const [row] = await rows<{ user_id: UserId }>(pool, 'tokens_user_id_by_key', TOKEN_USER_ID_BY_KEY, [key]);
          return row ? users.findById(row.user_id) : null;
        };

  return {
    findUserByKey,
    async findByUser(userId) {
      const [row] = await rows<TokenRow>(pool, 'tokens_by_user', BY_USER, [jsonUserId(userId)]);
      return row ? toToken(row) : null;
    },
    async getOrCreate(candidate) {
      const { key, userId, created } = candidate;
      const json = storableUserId(userId);
      if (builtIn && !isBuiltInId(userId)) throw noSuchUser('tokens', userId);
      const [row] = builtIn
        ? await rows<TokenRow>(pool, 'tokens_get_or_create_owned', GET_OR_CREATE_OWNED, [key, json, created, userId])
        : await rows<TokenRow>(pool, 'tokens_get_or_create', GET_OR_CREATE, [key, json, created]);
      if (!row) throw noSuchUser('tokens', userId);
      return row.key === key ? { token: candidate, created: true } : { token: toToken(row), created: false };
    },
    async replace(token) {
      const json = storableUserId(token.userId);
      if (builtIn && !isBuiltInId(token.userId)) throw noSuchUser('tokens', token.userId);
      await transaction(pool, async (client) => {
        await client.query('DELETE FROM tokens WHERE user_id = $1::jsonb', [json]);
        const inserted = builtIn
          ? await client.query('INSERT INTO tokens (key, user_id, created) SELECT $1, $2::jsonb, $3::timestamptz FROM users WHERE id = $4 FOR KEY SHARE', [
              token.key,
              json,
              token.created,
              token.userId,
            ])
          : await client.query('INSERT INTO tokens (key, user_id, created) VALUES ($1, $2::jsonb, $3)', [token.key, json, token.created]);
        if (inserted.rowCount === 0) throw noSuchUser('tokens', token.userId);
      });
      return token;
    },
    async deleteByUser(userId) {
      return (await count(pool, 'tokens_delete_by_user', 'DELETE FROM tokens WHERE user_id = $1::jsonb', [jsonUserId(userId)])) > 0;
    },
  };
}
