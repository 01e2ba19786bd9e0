import type { Database } from 'better-sqlite3';
import { UsernameTakenError, type NewUser, type User, type UserStore } from '@authbench/core';
import { isBuiltInId } from './user-id.js';

/** The columns every user-returning statement selects, in the shape `toUser` reads. */
export const USER_COLUMNS = 'u.id, u.username, u.email, u.is_active, u.date_joined';

export interface UserRow {
  id: number;
  username: string;
  email: string;
  is_active: number;
  date_joined: string;
}

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    isActive: row.is_active === 1,
    dateJoined: row.date_joined,
  };
}

export function sqliteUserStore(db: Database): UserStore {
  const insert = db.prepare<[string, string, string, string], UserRow>(
    `INSERT INTO users (username, email, password, date_joined) VALUES (?, ?, ?, ?)
     RETURNING id, username, email, is_active, date_joined`,
  );
  const byId = db.prepare<[number], UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.id = ?`);
  const byUsername = db.prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.username = ?`);
  const loginByUsername = db.prepare<[string], UserRow & { password: string }>(
    `SELECT ${USER_COLUMNS}, u.password FROM users u WHERE u.username = ?`,
  );
  const all = db.prepare<[], UserRow>(`SELECT ${USER_COLUMNS} FROM users u ORDER BY u.id`);
  const setActive = db.prepare<[number, number]>('UPDATE users SET is_active = ? WHERE id = ?');
  const setPassword = db.prepare<[string, number]>('UPDATE users SET password = ? WHERE id = ?');
  const setLastLogin = db.prepare<[string, number]>('UPDATE users SET last_login = ? WHERE id = ?');
  const remove = db.prepare<[number]>('DELETE FROM users WHERE id = ?');

  return {
    async create({ username, email, passwordHash }: NewUser) {
      try {
        return toUser(insert.get(username, email, passwordHash, new Date().toISOString())!);
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new UsernameTakenError(username);
        throw error;
      }
    },
    async findById(id) {
      if (!isBuiltInId(id)) return null;
      const row = byId.get(id);
      return row ? toUser(row) : null;
    },
    async findByUsername(username) {
      const row = byUsername.get(username);
      return row ? toUser(row) : null;
    },
    async findLogin(username) {
      const row = loginByUsername.get(username);
      return row ? { user: toUser(row), passwordHash: row.password } : null;
    },
    async list() {
      return all.all().map(toUser);
    },
    async setActive(id, isActive) {
      if (!isBuiltInId(id)) return false;
      return setActive.run(isActive ? 1 : 0, id).changes > 0;
    },
    async setPassword(id, passwordHash) {
      if (!isBuiltInId(id)) return false;
      return setPassword.run(passwordHash, id).changes > 0;
    },
    async setLastLogin(id, at) {
      if (!isBuiltInId(id)) return false;
      return setLastLogin.run(at, id).changes > 0;
    },
    async delete(id) {
      if (!isBuiltInId(id)) return false;
      return remove.run(id).changes > 0;
    },
  };
}
