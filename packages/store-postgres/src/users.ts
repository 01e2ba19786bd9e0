import type { Pool } from 'pg';
import { UsernameTakenError, ValidationError, validateEmail, validateUsername, type NewUser, type User, type UserStore } from '@authbench/core';
import { bindsNul, count, isoOf, rows } from './db.js';

/** The columns every user-returning statement selects, in the shape `toUser` reads. */
export const USER_COLUMNS = 'u.id, u.username, u.email, u.is_active, u.date_joined';

export interface UserRow {
  id: string; // bigint arrives as a string
  username: string;
  email: string;
  is_active: boolean;
  date_joined: Date;
}

export function toUser(row: UserRow): User {
  return { id: Number(row.id), username: row.username, email: row.email, isActive: row.is_active, dateJoined: isoOf(row.date_joined) };
}

const UNIQUE_VIOLATION = '23505';

export function postgresUserStore(pool: Pool): UserStore {
  const one = async (name: string, text: string, values: unknown[]) => {
    const [row] = await rows<UserRow>(pool, name, text, values);
    return row ? toUser(row) : null;
  };
  return {
    async create({ username, email, passwordHash }: NewUser) {
      // PostgreSQL cannot store a NUL (store-sqlite can). Registration's validators already refuse
      // one, so only a caller that skips them gets here: the same 400 they would have given.
      if (bindsNul([username, email])) {
        throw new ValidationError({
          ...(bindsNul([username]) && { username: validateUsername(username) }),
          ...(bindsNul([email]) && { email: validateEmail(email) }),
        });
      }
      try {
        return (await one(
          'users_create',
          `INSERT INTO users AS u (username, email, password, date_joined) VALUES ($1, $2, $3, now()) RETURNING ${USER_COLUMNS}`,
          [username, email, passwordHash],
        ))!;
      } catch (error) {
        if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw new UsernameTakenError(username);
        throw error;
      }
    },
    findById: (id) => one('users_by_id', `SELECT ${USER_COLUMNS} FROM users u WHERE u.id = $1`, [id]),
    async findByUsername(username) {
      return one('users_by_username', `SELECT ${USER_COLUMNS} FROM users u WHERE u.username = $1`, [username]);
    },
    async findLogin(username) {
      const [row] = await rows<UserRow & { password: string }>(
        pool,
        'users_login',
        `SELECT ${USER_COLUMNS}, u.password FROM users u WHERE u.username = $1`,
        [username],
      );
      return row ? { user: toUser(row), passwordHash: row.password } : null;
    },
    async list() {
      return (await rows<UserRow>(pool, 'users_list', `SELECT ${USER_COLUMNS} FROM users u ORDER BY u.id`, [])).map(toUser);
    },
    async setActive(id, isActive) {
      return (await count(pool, 'users_set_active', 'UPDATE users SET is_active = $1 WHERE id = $2', [isActive, id])) > 0;
    },
    async setPassword(id, passwordHash) {
      return (await count(pool, 'users_set_password', 'UPDATE users SET password = $1 WHERE id = $2', [passwordHash, id])) > 0;
    },
    async delete(id) {
      return (await count(pool, 'users_delete', 'DELETE FROM users WHERE id = $1', [id])) > 0;
    },
  };
}
