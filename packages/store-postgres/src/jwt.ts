import type { Pool, PoolClient } from 'pg';
import type { JwtLoginRecord, JwtOutstandingRecord, JwtSpendResult, JwtStore, UserId } from '@authbench/core';
import { bindsNul, count, iso, isoOf, rows, transaction, type Queryable } from './db.js';
import { isBuiltInId, jsonUserId, storableUserId } from './user-id.js';
import { noSuchUser } from './users.js';

interface LoginRow {
  id: string;
  user_id: UserId;
  created: Date;
  client: string;
  expires_at: Date;
  last_refreshed: Date | null;
  revoked_at: Date | null;
}

interface TokenState {
  login_id: string;
  blacklisted_at: Date | null;
  rotated: boolean;
  successor: string | null;
  revoked_at: Date | null;
}

interface OutstandingRow {
  jti: string;
  login_id: string;
  user_id: UserId;
  created_at: Date;
  expires_at: Date;
}

const toLogin = (row: LoginRow): JwtLoginRecord => ({
  id: row.id,
  userId: row.user_id,
  created: isoOf(row.created),
  client: row.client,
  expiresAt: isoOf(row.expires_at),
  lastRefreshed: iso(row.last_refreshed),
  revokedAt: iso(row.revoked_at),
});

const TOKEN_STATE = `SELECT o.login_id, o.blacklisted_at, o.rotated, o.successor, l.revoked_at
  FROM jwt_outstanding o JOIN jwt_logins l ON l.id = o.login_id WHERE o.jti = $1`;
const INSERT_OUTSTANDING = 'INSERT INTO jwt_outstanding (jti, login_id, user_id, created_at, expires_at) VALUES ($1, $2, $3::jsonb, $4, $5)';

// Through `rows`, so a server that does not answer is a 503 here too (verify, the revocation check).
async function tokenState(db: Queryable, jti: string, lock = false): Promise<TokenState | undefined> {
  const [state] = lock
    ? await rows<TokenState>(db, 'jwt_token_state_lock', `${TOKEN_STATE} FOR UPDATE OF o`, [jti])
    : await rows<TokenState>(db, 'jwt_token_state', TOKEN_STATE, [jti]);
  return state;
}
const insertOutstanding = (client: PoolClient, t: JwtOutstandingRecord) =>
  client.query(INSERT_OUTSTANDING, [t.jti, t.loginId, storableUserId(t.userId), t.createdAt, t.expiresAt]);

const LOGIN_COLUMNS = 'INSERT INTO jwt_logins (id, user_id, created, client, expires_at)';

/**
 * @param builtInUsers whether the users are the built-in table's, whose row a
 *   new login locks, as the foreign key did (see noSuchUser).
 */
export function postgresJwtStore(pool: Pool, builtInUsers = true): JwtStore {
  const loginRevokedAt = async (loginId: string) => {
    return (await rows<{ revoked_at: Date | null }>(pool, 'jwt_login_revoked_at', 'SELECT revoked_at FROM jwt_logins WHERE id = $1', [loginId]))[0];
  };

  return {
    async createLogin(login, first) {
      const userId = storableUserId(login.userId);
      if (builtInUsers && !isBuiltInId(login.userId)) throw noSuchUser('jwt', login.userId);
      await transaction(pool, async (client) => {
        const values = [login.id, userId, login.created, login.client, login.expiresAt];
        const inserted = builtInUsers
          ? await client.query(`${LOGIN_COLUMNS} SELECT $1, $2::jsonb, $3::timestamptz, $4, $5::timestamptz FROM users WHERE id = $6 FOR KEY SHARE`, [...values, login.userId])
          : await client.query(`${LOGIN_COLUMNS} VALUES ($1, $2::jsonb, $3, $4, $5)`, values);
        if (inserted.rowCount === 0) throw noSuchUser('jwt', login.userId);
        await insertOutstanding(client, first);
      });
    },
    // The token's row is locked: of two concurrent refreshes with one token, the second sees it spent.
    async rotate(jti, successor, now, graceSince) {
      if (bindsNul([jti])) return 'revoked'; // no stored token can match: not worth a transaction
      return transaction(pool, async (client): Promise<JwtSpendResult> => {
        const state = await tokenState(client, jti, true);
        if (!state || state.revoked_at !== null) return 'revoked';
        if (state.blacklisted_at !== null) {
          if (!state.rotated) return 'revoked';
          // Rotated within the window (blacklisted_at is when), its successor untouched since: the same refresh
          // again. The successor's row is share-locked, so a rotation of it either committed before this reads
          // it (then it is reuse) or waits for this transaction.
          if (graceSince != null && state.successor !== null && state.blacklisted_at.getTime() > Date.parse(graceSince)) {
            const { rows: [next] } = await client.query<OutstandingRow>(
              `SELECT jti, login_id, user_id, created_at, expires_at FROM jwt_outstanding
               WHERE jti = $1 AND login_id = $2 AND blacklisted_at IS NULL AND expires_at > $3 FOR SHARE`,
              [state.successor, state.login_id, now],
            );
            if (next) {
              const record = { jti: next.jti, loginId: next.login_id, userId: next.user_id, createdAt: isoOf(next.created_at), expiresAt: isoOf(next.expires_at) };
              return { kind: 'repeat', successor: record };
            }
          }
          // Reuse of a rotated token: the family is compromised.
          await client.query('UPDATE jwt_logins SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now, state.login_id]);
          return 'reused';
        }
        await client.query('UPDATE jwt_outstanding SET blacklisted_at = $1, rotated = true, successor = $2 WHERE jti = $3', [now, successor.jti, jti]);
        await insertOutstanding(client, successor);
        await client.query('UPDATE jwt_logins SET expires_at = $1, last_refreshed = $2 WHERE id = $3', [successor.expiresAt, now, state.login_id]);
        return 'spent';
      });
    },
    async blacklist(jti, now) {
      return (await count(pool, 'jwt_blacklist', 'UPDATE jwt_outstanding SET blacklisted_at = coalesce(blacklisted_at, $1) WHERE jti = $2', [now, jti])) > 0;
    },
    async isRefreshUsable(jti) {
      const state = await tokenState(pool, jti);
      return state !== undefined && state.blacklisted_at === null && state.revoked_at === null;
    },
    async isRevoked(jti, loginId) {
      if (jti !== null) {
        const state = await tokenState(pool, jti);
        if (state && (state.blacklisted_at !== null || state.revoked_at !== null)) return true;
      }
      return loginId !== null && ((await loginRevokedAt(loginId))?.revoked_at ?? null) !== null;
    },
    async isLoginLive(loginId) {
      const row = await loginRevokedAt(loginId);
      return row !== undefined && row.revoked_at === null;
    },
    async revokeLogin(userId, loginId, now) {
      return (
        (await count(pool, 'jwt_revoke_login', 'UPDATE jwt_logins SET revoked_at = $1 WHERE id = $2 AND user_id = $3::jsonb AND revoked_at IS NULL', [
          now,
          loginId,
          jsonUserId(userId),
        ])) > 0
      );
    },
    revokeAllLogins: (userId, now) =>
      count(pool, 'jwt_revoke_all', 'UPDATE jwt_logins SET revoked_at = $1 WHERE user_id = $2::jsonb AND revoked_at IS NULL', [
        now,
        jsonUserId(userId),
      ]),
    async listLogins(userId, now) {
      const live = await rows<LoginRow>(
        pool,
        'jwt_list_logins',
        'SELECT * FROM jwt_logins WHERE user_id = $1::jsonb AND revoked_at IS NULL AND expires_at > $2 ORDER BY created DESC, id',
        [jsonUserId(userId), now],
      );
      return live.map(toLogin);
    },
    // A login outlives every token of its family, so deleting it takes them along.
    async deleteExpired(now, batch) {
      const logins = await count(
        pool,
        'jwt_delete_expired_logins',
        'DELETE FROM jwt_logins WHERE id IN (SELECT id FROM jwt_logins WHERE expires_at <= $1 LIMIT $2)',
        [now, batch],
      );
      const tokens = await count(
        pool,
        'jwt_delete_expired_tokens',
        'DELETE FROM jwt_outstanding WHERE jti IN (SELECT jti FROM jwt_outstanding WHERE expires_at <= $1 LIMIT $2)',
        [now, Math.max(batch - logins, 0)],
      );
      return logins + tokens;
    },
  };
}
