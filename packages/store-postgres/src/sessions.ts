import type { Pool } from 'pg';
import type { SessionRecord, SessionStore, UserId, UserRepository } from '@authbench/core';
import { count, isoOf, rows } from './db.js';
import { isBuiltInId, jsonUserId, storableUserId } from './user-id.js';
import { noSuchUser, toUser } from './users.js';

interface SessionRow {
  sid: string;
  user_id: UserId | null;
  data: string;
  expires: Date;
  created: Date;
  client: string;
  last_used: Date;
}

const toRecord = (row: SessionRow): SessionRecord => ({
  sid: row.sid,
  userId: row.user_id,
  data: row.data,
  expires: isoOf(row.expires),
  created: isoOf(row.created),
  client: row.client,
  lastUsed: isoOf(row.last_used),
});

/** The hot path with the built-in users: the session and its user in one read, a probe of each primary key. */
export const SESSION_WITH_USER = `SELECT s.*, u.id AS u_id, u.username AS u_username, u.email AS u_email, u.is_active AS u_is_active,
    u.date_joined AS u_date_joined
  FROM sessions s LEFT JOIN users u ON u.id = (s.user_id)::bigint WHERE s.sid = $1 AND s.expires > $2`;
/** The hot path with external users: the session alone, then its user from the repository. */
export const SESSION_BY_SID = 'SELECT * FROM sessions WHERE sid = $1 AND expires > $2';

const UPSERT = 'INSERT INTO sessions (sid, user_id, data, expires, created, client, last_used)';
const ON_CONFLICT = `ON CONFLICT (sid) DO UPDATE SET user_id = excluded.user_id, data = excluded.data, expires = excluded.expires,
  client = excluded.client, last_used = excluded.last_used`;

/** @param users the application's users; without them, the built-in `users` table. */
export function postgresSessionStore(pool: Pool, users?: UserRepository): SessionStore {
  const get: SessionStore['get'] =
    users === undefined
      ? async (sid, now) => {
          type Joined = SessionRow & { u_id: string | null; u_username: string; u_email: string; u_is_active: boolean; u_date_joined: Date };
          const [row] = await rows<Joined>(pool, 'sessions_get', SESSION_WITH_USER, [sid, now]);
          if (!row) return null;
          const user =
            row.u_id === null
              ? null
              : toUser({ id: row.u_id, username: row.u_username, email: row.u_email, is_active: row.u_is_active, date_joined: row.u_date_joined });
          return { ...toRecord(row), user };
        }
      : async (sid, now) => {
          const [row] = await rows<SessionRow>(pool, 'sessions_by_sid', SESSION_BY_SID, [sid, now]);
          if (!row) return null;
          if (row.user_id === null) return { ...toRecord(row), user: null };
          // A user the repository no longer knows: the session is gone, as the built-in cascade makes it.
          const user = await users.findById(row.user_id);
          return user ? { ...toRecord(row), user } : null;
        };

  return {
    get,
    async set(r) {
      const userId = r.userId === null ? null : storableUserId(r.userId);
      const values = [r.sid, userId, r.data, r.expires, r.created, r.client, r.lastUsed];
      if (users !== undefined || r.userId === null) {
        await count(pool, 'sessions_upsert', `${UPSERT} VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7) ${ON_CONFLICT}`, values);
        return;
      }
      // A user's session with the built-in users: only while the user exists (see noSuchUser).
      const written = isBuiltInId(r.userId)
        ? await count(
            pool,
            'sessions_upsert_owned',
            `${UPSERT} SELECT $1, $2::jsonb, $3, $4::timestamptz, $5::timestamptz, $6, $7::timestamptz FROM users WHERE id = $8 FOR KEY SHARE ${ON_CONFLICT}`,
            [...values, r.userId],
          )
        : 0;
      if (written === 0) throw noSuchUser('sessions', r.userId);
    },
    async touch(sid, expires, now) {
      await count(pool, 'sessions_touch', 'UPDATE sessions SET expires = $1, last_used = $2 WHERE sid = $3', [expires, now, sid]);
    },
    async destroy(sid) {
      await count(pool, 'sessions_destroy', 'DELETE FROM sessions WHERE sid = $1', [sid]);
    },
    async listByUser(userId, now) {
      const found = await rows<SessionRow>(
        pool,
        'sessions_by_user',
        'SELECT * FROM sessions WHERE user_id = $1::jsonb AND expires > $2 ORDER BY created DESC, sid',
        [jsonUserId(userId), now],
      );
      return found.map(toRecord);
    },
    destroyByUser: (userId) => count(pool, 'sessions_destroy_by_user', 'DELETE FROM sessions WHERE user_id = $1::jsonb', [jsonUserId(userId)]),
    async all(now) {
      return (await rows<SessionRow>(pool, 'sessions_all', 'SELECT * FROM sessions WHERE expires > $1 ORDER BY created', [now])).map(toRecord);
    },
    async length(now) {
      const [row] = await rows<{ n: string }>(pool, 'sessions_count', 'SELECT count(*) AS n FROM sessions WHERE expires > $1', [now]);
      return Number(row!.n);
    },
    async clear() {
      await count(pool, 'sessions_clear', 'DELETE FROM sessions', []);
    },
    deleteExpired: (now, batch) =>
      count(pool, 'sessions_delete_expired', 'DELETE FROM sessions WHERE sid IN (SELECT sid FROM sessions WHERE expires <= $1 LIMIT $2)', [
        now,
        batch,
      ]),
  };
}
