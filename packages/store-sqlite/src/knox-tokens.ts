import type { Database } from 'better-sqlite3';
import type { KnoxCandidate, KnoxTokenRecord, KnoxTokenStore } from '@authbench/core';
import { USER_COLUMNS, toUser, type UserRow } from './users.js';

interface KnoxRow {
  token_key: string;
  digest: string;
  user_id: number;
  created: string;
  expiry: string | null;
  client: string;
  last_used: string | null;
}

const KNOX_COLUMNS = 'k.token_key, k.digest, k.user_id, k.created, k.expiry, k.client, k.last_used';

const toRecord = (row: KnoxRow): KnoxTokenRecord => ({
  tokenKey: row.token_key,
  digest: row.digest,
  userId: row.user_id,
  created: row.created,
  expiry: row.expiry,
  client: row.client,
  lastUsed: row.last_used,
});

// Times are stored as ISO-8601 UTC strings of one fixed width, so SQL compares them as text.
export function sqliteKnoxTokenStore(db: Database): KnoxTokenStore {
  const byTokenKey = db.prepare<[string], KnoxRow & UserRow & { id: number }>(
    `SELECT ${KNOX_COLUMNS}, ${USER_COLUMNS} FROM knox_tokens k JOIN users u ON u.id = k.user_id WHERE k.token_key = ?`,
  );
  const byPrimaryKey = db.prepare<[string, string], KnoxRow & UserRow & { id: number }>(
    `SELECT ${KNOX_COLUMNS}, ${USER_COLUMNS} FROM knox_tokens k JOIN users u ON u.id = k.user_id WHERE k.token_key = ? AND k.digest = ?`,
  );
  const countLive = db.prepare<[number, string], { n: number }>(
    'SELECT count(*) AS n FROM knox_tokens WHERE user_id = ? AND (expiry IS NULL OR expiry > ?)',
  );
  const insert = db.prepare<[string, string, number, string, string | null, string, string | null]>(
    `INSERT INTO knox_tokens (token_key, digest, user_id, created, expiry, client, last_used) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (user_id, token_key) DO NOTHING`,
  );
  const listLive = db.prepare<[number, string], KnoxRow>(
    `SELECT ${KNOX_COLUMNS} FROM knox_tokens k WHERE k.user_id = ? AND (k.expiry IS NULL OR k.expiry > ?)
     ORDER BY k.created DESC, k.token_key`,
  );
  const touch = db.prepare<[string, string | null, number, string]>(
    'UPDATE knox_tokens SET last_used = ?, expiry = ? WHERE user_id = ? AND token_key = ?',
  );
  const remove = db.prepare<[number, string]>('DELETE FROM knox_tokens WHERE user_id = ? AND token_key = ?');
  const removeAll = db.prepare<[number]>('DELETE FROM knox_tokens WHERE user_id = ?');
  const removeExpired = db.prepare<[string, number]>(
    `DELETE FROM knox_tokens WHERE (token_key, digest) IN
       (SELECT token_key, digest FROM knox_tokens WHERE expiry IS NOT NULL AND expiry <= ? LIMIT ?)`,
  );

  const create = db.transaction((token: KnoxTokenRecord, max: number | null, now: string) => {
    if (max !== null && countLive.get(token.userId, now)!.n >= max) return 'limit-reached' as const;
    const { changes } = insert.run(token.tokenKey, token.digest, token.userId, token.created, token.expiry, token.client, token.lastUsed);
    return changes > 0 ? ('created' as const) : ('key-taken' as const);
  });

  return {
    async findByTokenKey(tokenKey, digest) {
      const found = digest === undefined ? byTokenKey.all(tokenKey) : byPrimaryKey.all(tokenKey, digest);
      return found.map((row): KnoxCandidate => ({ token: toRecord(row), user: toUser(row) }));
    },
    async create(token, { max, now }) {
      return create.immediate(token, max, now);
    },
    async listLive(userId, now) {
      return listLive.all(userId, now).map(toRecord);
    },
    async touch(userId, tokenKey, lastUsed, expiry) {
      touch.run(lastUsed, expiry, userId, tokenKey);
    },
    async delete(userId, tokenKey) {
      return remove.run(userId, tokenKey).changes > 0;
    },
    async deleteAll(userId) {
      return removeAll.run(userId).changes;
    },
    async deleteExpired(now, batch) {
      return removeExpired.run(now, batch).changes;
    },
  };
}
