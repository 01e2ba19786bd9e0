import type { Database } from 'better-sqlite3';
import type { KnoxCandidate, KnoxTokenRecord, KnoxTokenStore, User, UserId, UserRepository } from '@authbench/core';
import { sqlUserId, type SqlUserId } from './user-id.js';
import { USER_COLUMNS, toUser, type UserRow } from './users.js';

interface KnoxRow {
  token_key: string;
  digest: string;
  user_id: UserId;
  created: string;
  expiry: string | null;
  client: string;
  last_used: string | null;
}

const KNOX_COLUMNS = 'k.token_key, k.digest, k.user_id, k.created, k.expiry, k.client, k.last_used';
/**
 * The hot path's columns: not the key it was asked by, which SQL matched
 * exactly, so the record takes token_key and digest from the arguments rather
 * than copying the 128-character digest back out.
 */
const KNOX_VALUE_COLUMNS = 'k.user_id, k.created, k.expiry, k.client, k.last_used';

/**
 * A hot-path row as an array (better-sqlite3's raw mode): building an object
 * with a property per column costs more than the probe of the users table.
 */
type KnoxValueTuple = [user_id: UserId, created: string, expiry: string | null, client: string, last_used: string | null];
type KnoxUserTuple = [...KnoxValueTuple, id: number, username: string, email: string, is_active: number, date_joined: string];

const toRecord = (row: KnoxRow): KnoxTokenRecord => ({
  tokenKey: row.token_key,
  digest: row.digest,
  userId: row.user_id,
  created: row.created,
  expiry: row.expiry,
  client: row.client,
  lastUsed: row.last_used,
});

/** A row found by its primary key, whose key columns are the ones asked for. */
const withKey = (row: KnoxValueTuple | KnoxUserTuple, tokenKey: string, digest: string): KnoxTokenRecord => ({
  tokenKey,
  digest,
  userId: row[0],
  created: row[1],
  expiry: row[2],
  client: row[3],
  lastUsed: row[4],
});
const userOf = (row: KnoxUserTuple): User =>
  toUser({ id: row[5], username: row[6], email: row[7], is_active: row[8], date_joined: row[9] });

/** The hot path with the built-in users: one probe of the (token_key, digest) primary key, one of the user's. */
// The user's columns spelled out: a raw row is read by position (KnoxUserTuple).
export const KNOX_BY_PRIMARY_KEY = `SELECT ${KNOX_VALUE_COLUMNS}, u.id, u.username, u.email, u.is_active, u.date_joined FROM knox_tokens k JOIN users u ON u.id = k.user_id
  WHERE k.token_key = ? AND k.digest = ?`;
const KNOX_BY_TOKEN_KEY = `SELECT ${KNOX_COLUMNS}, ${USER_COLUMNS} FROM knox_tokens k JOIN users u ON u.id = k.user_id WHERE k.token_key = ?`;
/** The hot path with external users: the token alone, then its user from the repository. */
export const KNOX_TOKEN_BY_PRIMARY_KEY = `SELECT ${KNOX_VALUE_COLUMNS} FROM knox_tokens k WHERE k.token_key = ? AND k.digest = ?`;
const KNOX_TOKENS_BY_TOKEN_KEY = `SELECT ${KNOX_COLUMNS} FROM knox_tokens k WHERE k.token_key = ?`;

// Times are stored as ISO-8601 UTC strings of one fixed width, so SQL compares them as text.
/** @param users the application's users; without them, the built-in `users` table. */
export function sqliteKnoxTokenStore(db: Database, users?: UserRepository): KnoxTokenStore {
  const countLive = db.prepare<[SqlUserId, string], { n: number }>(
    'SELECT count(*) AS n FROM knox_tokens WHERE user_id = ? AND (expiry IS NULL OR expiry > ?)',
  );
  const insert = db.prepare<[string, string, SqlUserId, string, string | null, string, string | null]>(
    `INSERT INTO knox_tokens (token_key, digest, user_id, created, expiry, client, last_used) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (user_id, token_key) DO NOTHING`,
  );
  const listLive = db.prepare<[SqlUserId, string], KnoxRow>(
    `SELECT ${KNOX_COLUMNS} FROM knox_tokens k WHERE k.user_id = ? AND (k.expiry IS NULL OR k.expiry > ?)
     ORDER BY k.created DESC, k.token_key`,
  );
  const touch = db.prepare<[string, string | null, SqlUserId, string]>(
    'UPDATE knox_tokens SET last_used = ?, expiry = ? WHERE user_id = ? AND token_key = ?',
  );
  const remove = db.prepare<[SqlUserId, string]>('DELETE FROM knox_tokens WHERE user_id = ? AND token_key = ?');
  const removeAll = db.prepare<[SqlUserId]>('DELETE FROM knox_tokens WHERE user_id = ?');
  const removeExpired = db.prepare<[string, number]>(
    `DELETE FROM knox_tokens WHERE (token_key, digest) IN
       (SELECT token_key, digest FROM knox_tokens WHERE expiry IS NOT NULL AND expiry <= ? LIMIT ?)`,
  );

  let findByTokenKey: KnoxTokenStore['findByTokenKey'];
  if (users === undefined) {
    const byTokenKey = db.prepare<[string], KnoxRow & UserRow>(KNOX_BY_TOKEN_KEY);
    const byPrimaryKey = db.prepare<[string, string], KnoxUserTuple>(KNOX_BY_PRIMARY_KEY).raw(true);
    findByTokenKey = async (tokenKey, digest) => {
      if (digest === undefined) return byTokenKey.all(tokenKey).map((row): KnoxCandidate => ({ token: toRecord(row), user: toUser(row) }));
      // The primary key: one row at most.
      const row = byPrimaryKey.get(tokenKey, digest);
      return row === undefined ? [] : [{ token: withKey(row, tokenKey, digest), user: userOf(row) }];
    };
  } else {
    const byTokenKey = db.prepare<[string], KnoxRow>(KNOX_TOKENS_BY_TOKEN_KEY);
    const byPrimaryKey = db.prepare<[string, string], KnoxValueTuple>(KNOX_TOKEN_BY_PRIMARY_KEY).raw(true);
    findByTokenKey = async (tokenKey, digest) => {
      if (digest === undefined) return withUsers(byTokenKey.all(tokenKey).map(toRecord), users);
      const row = byPrimaryKey.get(tokenKey, digest);
      return row === undefined ? [] : withUsers([withKey(row, tokenKey, digest)], users);
    };
  }

  const create = db.transaction((token: KnoxTokenRecord, max: number | null, now: string) => {
    const userId = sqlUserId(token.userId);
    if (max !== null && countLive.get(userId, now)!.n >= max) return 'limit-reached' as const;
    const { changes } = insert.run(token.tokenKey, token.digest, userId, token.created, token.expiry, token.client, token.lastUsed);
    return changes > 0 ? ('created' as const) : ('key-taken' as const);
  });

  return {
    findByTokenKey,
    async create(token, { max, now }) {
      return create.immediate(token, max, now);
    },
    async listLive(userId, now) {
      return listLive.all(sqlUserId(userId), now).map(toRecord);
    },
    async touch(userId, tokenKey, lastUsed, expiry) {
      touch.run(lastUsed, expiry, sqlUserId(userId), tokenKey);
    },
    async delete(userId, tokenKey) {
      return remove.run(sqlUserId(userId), tokenKey).changes > 0;
    },
    async deleteAll(userId) {
      return removeAll.run(sqlUserId(userId)).changes;
    },
    async deleteExpired(now, batch) {
      return removeExpired.run(now, batch).changes;
    },
  };
}

/**
 * Each token with its user from the repository, in the tokens' order; a token
 * whose user the repository no longer knows is no candidate. Several tokens
 * of one user (no digest given) ask for that user once.
 */
export async function withUsers(tokens: readonly KnoxTokenRecord[], users: Pick<UserRepository, 'findById'>): Promise<KnoxCandidate[]> {
  if (tokens.length === 1) {
    const token = tokens[0]!;
    const user = await users.findById(token.userId);
    return user ? [{ token, user }] : [];
  }
  const ids = [...new Set(tokens.map((token) => token.userId))];
  const found = await Promise.all(ids.map((id) => users.findById(id)));
  const owners = new Map<UserId, User | null>(ids.map((id, i) => [id, found[i] ?? null]));
  return tokens.flatMap((token) => {
    const user = owners.get(token.userId);
    return user ? [{ token, user }] : [];
  });
}
