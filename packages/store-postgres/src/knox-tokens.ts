import type { Pool } from 'pg';
import type { KnoxCandidate, KnoxTokenRecord, KnoxTokenStore, User, UserId, UserRepository } from '@authbench/core';
import { count, iso, isoOf, rows, transaction } from './db.js';
import { isBuiltInId, jsonUserId, storableUserId } from './user-id.js';
import { USER_COLUMNS, noSuchUser, toUser, type UserRow } from './users.js';

interface KnoxRow {
  token_key: string;
  digest: string;
  user_id: UserId;
  created: Date;
  expiry: Date | null;
  client: string;
  last_used: Date | null;
}

const KNOX_COLUMNS = 'k.token_key, k.digest, k.user_id, k.created, k.expiry, k.client, k.last_used';

const toRecord = (row: KnoxRow): KnoxTokenRecord => ({
  tokenKey: row.token_key,
  digest: row.digest,
  userId: row.user_id,
  created: isoOf(row.created),
  expiry: iso(row.expiry),
  client: row.client,
  lastUsed: iso(row.last_used),
});

const JOIN_USERS = 'JOIN users u ON u.id = (k.user_id)::bigint';
/** The hot path with the built-in users: one probe of the (token_key, digest) primary key, one of the user's. */
export const KNOX_BY_PRIMARY_KEY = `SELECT ${KNOX_COLUMNS}, ${USER_COLUMNS} FROM knox_tokens k ${JOIN_USERS} WHERE k.token_key = $1 AND k.digest = $2`;
const KNOX_BY_TOKEN_KEY = `SELECT ${KNOX_COLUMNS}, ${USER_COLUMNS} FROM knox_tokens k ${JOIN_USERS} WHERE k.token_key = $1`;
/** The hot path with external users: the token alone, then its user from the repository. */
export const KNOX_TOKEN_BY_PRIMARY_KEY = `SELECT ${KNOX_COLUMNS} FROM knox_tokens k WHERE k.token_key = $1 AND k.digest = $2`;
const KNOX_TOKENS_BY_TOKEN_KEY = `SELECT ${KNOX_COLUMNS} FROM knox_tokens k WHERE k.token_key = $1`;

/** A namespace for the per-user advisory locks of external users (two int4 keys: apart from the migration's bigint one). */
const KNOX_LOCK_SPACE = 0x6b6e6f78; // "knox"

/** @param users the application's users; without them, the built-in `users` table. */
export function postgresKnoxTokenStore(pool: Pool, users?: UserRepository): KnoxTokenStore {
  const findByTokenKey: KnoxTokenStore['findByTokenKey'] =
    users === undefined
      ? async (tokenKey, digest) => {
          const found =
            digest === undefined
              ? await rows<KnoxRow & UserRow>(pool, 'knox_by_token_key', KNOX_BY_TOKEN_KEY, [tokenKey])
              : await rows<KnoxRow & UserRow>(pool, 'knox_by_primary_key', KNOX_BY_PRIMARY_KEY, [tokenKey, digest]);
          return found.map((row): KnoxCandidate => ({ token: toRecord(row), user: toUser(row) }));
        }
      : async (tokenKey, digest) => {
          const found =
            digest === undefined
              ? await rows<KnoxRow>(pool, 'knox_tokens_by_token_key', KNOX_TOKENS_BY_TOKEN_KEY, [tokenKey])
              : await rows<KnoxRow>(pool, 'knox_token_by_primary_key', KNOX_TOKEN_BY_PRIMARY_KEY, [tokenKey, digest]);
          return withUsers(found.map(toRecord), users);
        };

  return {
    findByTokenKey,
    // Two logins of one user must not both pass the limit, so the user is locked: their row in
    // the built-in table, or, with external users, an advisory lock on their id (a hash
    // collision only makes two users' logins wait for each other).
    async create(token, { max, now }) {
      const userId = storableUserId(token.userId);
      if (users === undefined && !isBuiltInId(token.userId)) throw noSuchUser('knox', token.userId);
      return transaction(pool, async (client) => {
        if (users === undefined) {
          const owner = await client.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [token.userId]);
          if (owner.rowCount === 0) throw noSuchUser('knox', token.userId);
        } else {
          await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [KNOX_LOCK_SPACE, userId]);
        }
        if (max !== null) {
          const { rows: live } = await client.query<{ n: string }>(
            'SELECT count(*) AS n FROM knox_tokens WHERE user_id = $1::jsonb AND (expiry IS NULL OR expiry > $2)',
            [userId, now],
          );
          if (Number(live[0]!.n) >= max) return 'limit-reached' as const;
        }
        const inserted = await client.query(
          `INSERT INTO knox_tokens (token_key, digest, user_id, created, expiry, client, last_used) VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7)
           ON CONFLICT DO NOTHING`,
          [token.tokenKey, token.digest, userId, token.created, token.expiry, token.client, token.lastUsed],
        );
        return inserted.rowCount ? ('created' as const) : ('key-taken' as const);
      });
    },
    async listLive(userId, now) {
      const live = await rows<KnoxRow>(
        pool,
        'knox_list_live',
        `SELECT ${KNOX_COLUMNS} FROM knox_tokens k WHERE k.user_id = $1::jsonb AND (k.expiry IS NULL OR k.expiry > $2)
         ORDER BY k.created DESC, k.token_key`,
        [jsonUserId(userId), now],
      );
      return live.map(toRecord);
    },
    async touch(userId, tokenKey, lastUsed, expiry) {
      await count(pool, 'knox_touch', 'UPDATE knox_tokens SET last_used = $1, expiry = $2 WHERE user_id = $3::jsonb AND token_key = $4', [
        lastUsed,
        expiry,
        jsonUserId(userId),
        tokenKey,
      ]);
    },
    async delete(userId, tokenKey) {
      return (await count(pool, 'knox_delete', 'DELETE FROM knox_tokens WHERE user_id = $1::jsonb AND token_key = $2', [jsonUserId(userId), tokenKey])) > 0;
    },
    deleteAll: (userId) => count(pool, 'knox_delete_all', 'DELETE FROM knox_tokens WHERE user_id = $1::jsonb', [jsonUserId(userId)]),
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

/**
 * Each token with its user from the repository, in the tokens' order; a token
 * whose user the repository no longer knows is no candidate. Several tokens
 * of one user (no digest given) ask for that user once.
 */
async function withUsers(tokens: readonly KnoxTokenRecord[], users: Pick<UserRepository, 'findById'>): Promise<KnoxCandidate[]> {
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
