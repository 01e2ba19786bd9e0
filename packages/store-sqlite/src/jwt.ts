import type { Database } from 'better-sqlite3';
import type { JwtLoginRecord, JwtOutstandingRecord, JwtSpendResult, JwtStore, UserId } from '@authbench/core';
import { sqlUserId, type SqlUserId } from './user-id.js';

interface LoginRow {
  id: string;
  user_id: UserId;
  created: string;
  client: string;
  expires_at: string;
  last_refreshed: string | null;
  revoked_at: string | null;
}

interface OutstandingRow {
  jti: string;
  login_id: string;
  user_id: UserId;
  created_at: string;
  expires_at: string;
}

const toOutstanding = (row: OutstandingRow): JwtOutstandingRecord => ({
  jti: row.jti,
  loginId: row.login_id,
  userId: row.user_id,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
});

const toLogin = (row: LoginRow): JwtLoginRecord => ({
  id: row.id,
  userId: row.user_id,
  created: row.created,
  client: row.client,
  expiresAt: row.expires_at,
  lastRefreshed: row.last_refreshed,
  revokedAt: row.revoked_at,
});

/**
 * Times are ISO-8601 UTC strings of one fixed width, so SQL compares them as text.
 * @param cascades whether the connection enforces foreign keys, so deleting a
 *   login deletes its tokens (off with external users: then this store does it).
 */
export function sqliteJwtStore(db: Database, cascades = true): JwtStore {
  const insertLogin = db.prepare<[string, SqlUserId, string, string, string]>(
    'INSERT INTO jwt_logins (id, user_id, created, client, expires_at) VALUES (?, ?, ?, ?, ?)',
  );
  const insertOutstanding = db.prepare<[string, string, SqlUserId, string, string]>(
    'INSERT INTO jwt_outstanding (jti, login_id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
  );
  const tokenState = db.prepare<
    [string],
    { login_id: string; blacklisted_at: string | null; rotated: number; successor: string | null; revoked_at: string | null }
  >(
    `SELECT o.login_id, o.blacklisted_at, o.rotated, o.successor, l.revoked_at
     FROM jwt_outstanding o JOIN jwt_logins l ON l.id = o.login_id WHERE o.jti = ?`,
  );
  // The successor a rotation recorded, while it is itself live: in the same login, not blacklisted, not expired.
  const liveSuccessor = db.prepare<[string, string, string], OutstandingRow>(
    `SELECT jti, login_id, user_id, created_at, expires_at FROM jwt_outstanding
     WHERE jti = ? AND login_id = ? AND blacklisted_at IS NULL AND expires_at > ?`,
  );
  const loginRevokedAt = db.prepare<[string], { revoked_at: string | null }>('SELECT revoked_at FROM jwt_logins WHERE id = ?');
  const markRotated = db.prepare<[string, string, string]>(
    'UPDATE jwt_outstanding SET blacklisted_at = ?, rotated = 1, successor = ? WHERE jti = ?',
  );
  const markBlacklisted = db.prepare<[string, string]>(
    'UPDATE jwt_outstanding SET blacklisted_at = coalesce(blacklisted_at, ?) WHERE jti = ?',
  );
  const extendLogin = db.prepare<[string, string, string]>('UPDATE jwt_logins SET expires_at = ?, last_refreshed = ? WHERE id = ?');
  const revokeById = db.prepare<[string, string]>('UPDATE jwt_logins SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  const revokeOne = db.prepare<[string, string, SqlUserId]>(
    'UPDATE jwt_logins SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL',
  );
  const revokeAll = db.prepare<[string, SqlUserId]>('UPDATE jwt_logins SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL');
  const listLive = db.prepare<[SqlUserId, string], LoginRow>(
    `SELECT * FROM jwt_logins WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created DESC, id`,
  );
  // A login outlives every token of its family, so deleting it takes them along: by the
  // cascade, or, without one, by deleting the tokens of the same logins first (the same
  // ORDER BY and LIMIT in one transaction pick the same logins).
  const deleteExpiredLogins = db.prepare<[string, number]>(
    'DELETE FROM jwt_logins WHERE id IN (SELECT id FROM jwt_logins WHERE expires_at <= ? ORDER BY expires_at, id LIMIT ?)',
  );
  const deleteTokensOfExpiredLogins = db.prepare<[string, number]>(
    `DELETE FROM jwt_outstanding WHERE login_id IN
       (SELECT id FROM jwt_logins WHERE expires_at <= ? ORDER BY expires_at, id LIMIT ?)`,
  );
  const deleteExpiredTokens = db.prepare<[string, number]>(
    'DELETE FROM jwt_outstanding WHERE jti IN (SELECT jti FROM jwt_outstanding WHERE expires_at <= ? LIMIT ?)',
  );

  const createLogin = db.transaction((login: JwtLoginRecord, first: JwtOutstandingRecord) => {
    insertLogin.run(login.id, sqlUserId(login.userId), login.created, login.client, login.expiresAt);
    insertOutstanding.run(first.jti, first.loginId, sqlUserId(first.userId), first.createdAt, first.expiresAt);
  });

  const rotate = db.transaction((jti: string, successor: JwtOutstandingRecord, now: string, graceSince: string | null): JwtSpendResult => {
    const state = tokenState.get(jti);
    if (!state || state.revoked_at !== null) return 'revoked';
    if (state.blacklisted_at !== null) {
      if (state.rotated === 0) return 'revoked';
      // Rotated within the window (blacklisted_at is when), its successor untouched since: the same refresh again.
      if (graceSince !== null && state.successor !== null && state.blacklisted_at > graceSince) {
        const next = liveSuccessor.get(state.successor, state.login_id, now);
        if (next) return { kind: 'repeat', successor: toOutstanding(next) };
      }
      revokeById.run(now, state.login_id); // reuse of a rotated token: the family is compromised
      return 'reused';
    }
    markRotated.run(now, successor.jti, jti);
    insertOutstanding.run(successor.jti, successor.loginId, sqlUserId(successor.userId), successor.createdAt, successor.expiresAt);
    extendLogin.run(successor.expiresAt, now, state.login_id);
    return 'spent';
  });

  const deleteExpired = db.transaction((now: string, batch: number) => {
    if (!cascades) deleteTokensOfExpiredLogins.run(now, batch);
    const logins = deleteExpiredLogins.run(now, batch).changes;
    return logins + deleteExpiredTokens.run(now, Math.max(batch - logins, 0)).changes;
  });

  return {
    async createLogin(login, first) {
      createLogin.immediate(login, first);
    },
    async rotate(jti, successor, now, graceSince) {
      return rotate.immediate(jti, successor, now, graceSince ?? null);
    },
    async blacklist(jti, now) {
      return markBlacklisted.run(now, jti).changes > 0;
    },
    async isRefreshUsable(jti) {
      const state = tokenState.get(jti);
      return state !== undefined && state.blacklisted_at === null && state.revoked_at === null;
    },
    async isRevoked(jti, loginId) {
      if (jti !== null) {
        const state = tokenState.get(jti);
        if (state && (state.blacklisted_at !== null || state.revoked_at !== null)) return true;
      }
      return loginId !== null && (loginRevokedAt.get(loginId)?.revoked_at ?? null) !== null;
    },
    async isLoginLive(loginId) {
      const row = loginRevokedAt.get(loginId);
      return row !== undefined && row.revoked_at === null;
    },
    async revokeLogin(userId, loginId, now) {
      return revokeOne.run(now, loginId, sqlUserId(userId)).changes > 0;
    },
    async revokeAllLogins(userId, now) {
      return revokeAll.run(now, sqlUserId(userId)).changes;
    },
    async listLogins(userId, now) {
      return listLive.all(sqlUserId(userId), now).map(toLogin);
    },
    async deleteExpired(now, batch) {
      return deleteExpired.immediate(now, batch);
    },
  };
}
