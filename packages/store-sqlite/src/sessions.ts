import type { Database } from 'better-sqlite3';
import type { SessionRecord, SessionStore, UserId, UserRepository } from '@authbench/core';
import { sqlUserId, type SqlUserId } from './user-id.js';
import { toUser, type UserRow } from './users.js';

interface SessionRow {
  sid: string;
  user_id: UserId | null;
  data: string;
  expires: string;
  created: string;
  client: string;
  last_used: string;
}

const toRecord = (row: SessionRow): SessionRecord => ({
  sid: row.sid,
  userId: row.user_id,
  data: row.data,
  expires: row.expires,
  created: row.created,
  client: row.client,
  lastUsed: row.last_used,
});

/** The hot path with the built-in users: the session and its user in one read, a probe of each primary key. */
export const SESSION_WITH_USER = `SELECT s.*, u.id AS u_id, u.username AS u_username, u.email AS u_email, u.is_active AS u_is_active,
    u.date_joined AS u_date_joined
  FROM sessions s LEFT JOIN users u ON u.id = s.user_id WHERE s.sid = ? AND s.expires > ?`;
/** The hot path with external users: the session alone, then its user from the repository. */
export const SESSION_BY_SID = 'SELECT * FROM sessions WHERE sid = ? AND expires > ?';

// Times are ISO-8601 UTC strings of one fixed width, so SQL compares them as text.
/** @param users the application's users; without them, the built-in `users` table. */
export function sqliteSessionStore(db: Database, users?: UserRepository): SessionStore {
  const upsert = db.prepare<[string, SqlUserId | null, string, string, string, string, string]>(
    `INSERT INTO sessions (sid, user_id, data, expires, created, client, last_used) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (sid) DO UPDATE SET user_id = excluded.user_id, data = excluded.data, expires = excluded.expires,
       client = excluded.client, last_used = excluded.last_used`,
  );
  const touch = db.prepare<[string, string, string]>('UPDATE sessions SET expires = ?, last_used = ? WHERE sid = ?');
  const destroy = db.prepare<[string]>('DELETE FROM sessions WHERE sid = ?');
  const byUser = db.prepare<[SqlUserId, string], SessionRow>(
    'SELECT * FROM sessions WHERE user_id = ? AND expires > ? ORDER BY created DESC, sid',
  );
  const destroyByUser = db.prepare<[SqlUserId]>('DELETE FROM sessions WHERE user_id = ?');
  const all = db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE expires > ? ORDER BY created');
  const count = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM sessions WHERE expires > ?');
  const clear = db.prepare('DELETE FROM sessions');
  const deleteExpired = db.prepare<[string, number]>(
    'DELETE FROM sessions WHERE sid IN (SELECT sid FROM sessions WHERE expires <= ? LIMIT ?)',
  );

  let get: SessionStore['get'];
  if (users === undefined) {
    const withUser = db.prepare<[string, string], SessionRow & { [K in keyof UserRow as `u_${K}`]: UserRow[K] | null }>(SESSION_WITH_USER);
    get = async (sid, now) => {
      const row = withUser.get(sid, now);
      if (!row) return null;
      const user =
        row.u_id === null
          ? null
          : toUser({ id: row.u_id, username: row.u_username!, email: row.u_email!, is_active: row.u_is_active!, date_joined: row.u_date_joined! });
      return { ...toRecord(row), user };
    };
  } else {
    const bySid = db.prepare<[string, string], SessionRow>(SESSION_BY_SID);
    get = async (sid, now) => {
      const row = bySid.get(sid, now);
      if (!row) return null;
      if (row.user_id === null) return { ...toRecord(row), user: null };
      // A user the repository no longer knows: the session is gone, as the built-in cascade makes it.
      const user = await users.findById(row.user_id);
      return user ? { ...toRecord(row), user } : null;
    };
  }

  return {
    get,
    async set(r) {
      upsert.run(r.sid, r.userId === null ? null : sqlUserId(r.userId), r.data, r.expires, r.created, r.client, r.lastUsed);
    },
    async touch(sid, expires, now) {
      touch.run(expires, now, sid);
    },
    async destroy(sid) {
      destroy.run(sid);
    },
    async listByUser(userId, now) {
      return byUser.all(sqlUserId(userId), now).map(toRecord);
    },
    async destroyByUser(userId) {
      return destroyByUser.run(sqlUserId(userId)).changes;
    },
    async all(now) {
      return all.all(now).map(toRecord);
    },
    async length(now) {
      return count.get(now)!.n;
    },
    async clear() {
      clear.run();
    },
    async deleteExpired(now, batch) {
      return deleteExpired.run(now, batch).changes;
    },
  };
}
