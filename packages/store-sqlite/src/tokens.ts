import type { Database } from 'better-sqlite3';
import type { TokenRecord, TokenStore, UserId, UserRepository } from '@authbench/core';
import { sqlUserId, type SqlUserId } from './user-id.js';
import { USER_COLUMNS, toUser, type UserRow } from './users.js';

interface TokenRow {
  key: string;
  user_id: UserId;
  created: string;
}

const toToken = (row: TokenRow): TokenRecord => ({ key: row.key, userId: row.user_id, created: row.created });

/** The hot path with the built-in users: one probe of the token table, one of the users table. */
export const TOKEN_USER_BY_KEY = `SELECT ${USER_COLUMNS} FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.key = ?`;
/** The hot path with external users: one probe of the token table, then the repository. */
export const TOKEN_USER_ID_BY_KEY = 'SELECT user_id FROM tokens WHERE key = ?';

/** @param users the application's users; without them, the built-in `users` table. */
export function sqliteTokenStore(db: Database, users?: UserRepository): TokenStore {
  const byUser = db.prepare<[SqlUserId], TokenRow>('SELECT key, user_id, created FROM tokens WHERE user_id = ?');
  const insertIfNone = db.prepare<[string, SqlUserId, string]>(
    'INSERT INTO tokens (key, user_id, created) VALUES (?, ?, ?) ON CONFLICT (user_id) DO NOTHING',
  );
  const removeByUser = db.prepare<[SqlUserId]>('DELETE FROM tokens WHERE user_id = ?');
  const insert = db.prepare<[string, SqlUserId, string]>('INSERT INTO tokens (key, user_id, created) VALUES (?, ?, ?)');
  const replace = db.transaction((token: TokenRecord) => {
    const userId = sqlUserId(token.userId);
    removeByUser.run(userId);
    insert.run(token.key, userId, token.created);
  });

  let findUserByKey: TokenStore['findUserByKey'];
  if (users === undefined) {
    const userByKey = db.prepare<[string], UserRow>(TOKEN_USER_BY_KEY);
    findUserByKey = async (key) => {
      const row = userByKey.get(key);
      return row ? toUser(row) : null;
    };
  } else {
    const userIdByKey = db.prepare<[string], UserId>(TOKEN_USER_ID_BY_KEY).pluck();
    findUserByKey = async (key) => {
      const userId = userIdByKey.get(key);
      return userId === undefined ? null : users.findById(userId);
    };
  }

  return {
    findUserByKey,
    async findByUser(userId) {
      const row = byUser.get(sqlUserId(userId));
      return row ? toToken(row) : null;
    },
    async getOrCreate(candidate) {
      const userId = sqlUserId(candidate.userId);
      const created = insertIfNone.run(candidate.key, userId, candidate.created).changes > 0;
      return { token: created ? candidate : toToken(byUser.get(userId)!), created };
    },
    async replace(token) {
      replace.immediate(token);
      return token;
    },
    async deleteByUser(userId) {
      return removeByUser.run(sqlUserId(userId)).changes > 0;
    },
  };
}
