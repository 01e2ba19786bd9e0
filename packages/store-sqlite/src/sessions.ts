import type { Database } from 'better-sqlite3';
import type { SessionRecord, SessionStore, User, UserId, UserRepository } from '@authbench/core';
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

// The hot path's columns (SessionTuple), read by position (better-sqlite3's raw mode: building an object
// with a property per column costs more than the probe of the users table), and not the sid it was asked by.
const SESSION_VALUE_COLUMNS = 'user_id, data, expires, created, client, last_used';
type SessionTuple = [user_id: UserId | null, data: string, expires: string, created: string, client: string, last_used: string];
type SessionUserTuple = [...SessionTuple, id: number | null, username: string | null, email: string | null, is_active: number | null, date_joined: string | null];

/** The hot path with the built-in users: the session and its user in one read, a probe of each primary key. */
export const SESSION_WITH_USER = `SELECT s.user_id, s.data, s.expires, s.created, s.client, s.last_used, u.id, u.username, u.email, u.is_active, u.date_joined
  FROM sessions s LEFT JOIN users u ON u.id = s.user_id WHERE s.sid = ? AND s.expires > ?`;
/** The hot path with external users: the session alone, then its user from the repository. */
export const SESSION_BY_SID = `SELECT ${SESSION_VALUE_COLUMNS} FROM sessions WHERE sid = ? AND expires > ?`;

/** A row found by its sid, with its user. */
const found = (sid: string, row: SessionTuple | SessionUserTuple, user: User | null): SessionRecord & { readonly user: User | null } => ({
  sid,
  userId: row[0],
  data: row[1],
  expires: row[2],
  created: row[3],
  client: row[4],
  lastUsed: row[5],
  user,
});

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
    const withUser = db.prepare<[string, string], SessionUserTuple>(SESSION_WITH_USER).raw(true);
    get = async (sid, now) => {
      const row = withUser.get(sid, now);
      if (!row) return null;
      const [, , , , , , id, username, email, isActive, dateJoined] = row;
      const user = id === null ? null : toUser({ id, username: username!, email: email!, is_active: isActive!, date_joined: dateJoined! });
      return found(sid, row, user);
    };
  } else {
    const bySid = db.prepare<[string, string], SessionTuple>(SESSION_BY_SID).raw(true);
    get = async (sid, now) => {
      const row = bySid.get(sid, now);
      if (!row) return null;
      const userId = row[0];
      if (userId === null) return found(sid, row, null);
      // A user the repository no longer knows: the session is gone, as the built-in cascade makes it.
      const user = await users.findById(userId);
      return user ? found(sid, row, user) : null;
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
