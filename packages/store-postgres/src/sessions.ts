import type { Pool } from 'pg';
import type { SessionRecord, SessionStore } from '@authbench/core';
import { count, isoOf, rows } from './db.js';
import { toUser } from './users.js';

interface SessionRow {
  sid: string;
  user_id: string | null;
  data: string;
  expires: Date;
  created: Date;
  client: string;
  last_used: Date;
}

const toRecord = (row: SessionRow): SessionRecord => ({
  sid: row.sid,
  userId: row.user_id === null ? null : Number(row.user_id),
  data: row.data,
  expires: isoOf(row.expires),
  created: isoOf(row.created),
  client: row.client,
  lastUsed: isoOf(row.last_used),
});

export function postgresSessionStore(pool: Pool): SessionStore {
  return {
    // The hot path: the session and its user in one read, a probe of each primary key.
    async get(sid, now) {
      const [row] = await rows<SessionRow & { u_id: string | null; u_username: string; u_email: string; u_is_active: boolean; u_date_joined: Date }>(
        pool,
        'sessions_get',
        `SELECT s.*, u.id AS u_id, u.username AS u_username, u.email AS u_email, u.is_active AS u_is_active,
           u.date_joined AS u_date_joined
         FROM sessions s LEFT JOIN users u ON u.id = s.user_id WHERE s.sid = $1 AND s.expires > $2`,
        [sid, now],
      );
      if (!row) return null;
      const user =
        row.u_id === null
          ? null
          : toUser({ id: row.u_id, username: row.u_username, email: row.u_email, is_active: row.u_is_active, date_joined: row.u_date_joined });
      return { ...toRecord(row), user };
    },
    async set(r) {
      await count(
        pool,
        'sessions_upsert',
        `INSERT INTO sessions (sid, user_id, data, expires, created, client, last_used) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (sid) DO UPDATE SET user_id = excluded.user_id, data = excluded.data, expires = excluded.expires,
           client = excluded.client, last_used = excluded.last_used`,
        [r.sid, r.userId, r.data, r.expires, r.created, r.client, r.lastUsed],
      );
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
        'SELECT * FROM sessions WHERE user_id = $1 AND expires > $2 ORDER BY created DESC, sid',
        [userId, now],
      );
      return found.map(toRecord);
    },
    destroyByUser: (userId) => count(pool, 'sessions_destroy_by_user', 'DELETE FROM sessions WHERE user_id = $1', [userId]),
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
