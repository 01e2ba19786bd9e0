import type { Pool } from 'pg';
import { UsernameTakenError, ValidationError, type NewUser, type User, type UserStore } from '@authbench/core';
import { bindsNul, count, isoOf, rows, transaction } from './db.js';
import { isBuiltInId, jsonUserId } from './user-id.js';

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
/** Every table holding a user's credentials; jwt_logins last, its cascade takes any refresh token written meanwhile. */
const CREDENTIAL_TABLES = ['tokens', 'knox_tokens', 'sessions', 'jwt_outstanding', 'jwt_logins'] as const;

/**
 * With the built-in users, a credential is written by `INSERT … SELECT … FROM
 * users WHERE id = $n FOR KEY SHARE`: the lock a foreign key check took on the
 * owner's row, so the insert waits for a deletion of that row and then writes
 * nothing. This is the error it then gets, as a foreign key violation was.
 */
export function noSuchUser(store: string, userId: unknown): Error {
  return new Error(`${store}: no user ${JSON.stringify(userId)} in the users table`);
}

// Django's ProhibitNullCharactersValidator, which every CharField runs.
const NUL_REFUSED = 'Null characters are not allowed.';

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
          ...(bindsNul([username]) && { username: [NUL_REFUSED] }),
          ...(bindsNul([email]) && { email: [NUL_REFUSED] }),
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
    // Only a whole number names a row here: PostgreSQL would read the string '42' as 42.
    findById: async (id) => (isBuiltInId(id) ? one('users_by_id', `SELECT ${USER_COLUMNS} FROM users u WHERE u.id = $1`, [id]) : null),
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
      if (!isBuiltInId(id)) return false;
      return (await count(pool, 'users_set_active', 'UPDATE users SET is_active = $1 WHERE id = $2', [isActive, id])) > 0;
    },
    async setPassword(id, passwordHash) {
      if (!isBuiltInId(id)) return false;
      return (await count(pool, 'users_set_password', 'UPDATE users SET password = $1 WHERE id = $2', [passwordHash, id])) > 0;
    },
    async setLastLogin(id, at) {
      if (!isBuiltInId(id)) return false;
      return (await count(pool, 'users_set_last_login', 'UPDATE users SET last_login = $1 WHERE id = $2', [at, id])) > 0;
    },
    // The user, then every credential of theirs, in one transaction: the cascade the foreign keys
    // ran before migration 4. The user's row goes first: its lock makes a credential being
    // written for them (which locks the row as a foreign key check does) finish before the
    // deletes below look, or find the row gone and write nothing.
    async delete(id) {
      if (!isBuiltInId(id)) return false;
      return transaction(pool, async (client) => {
        if (((await client.query('DELETE FROM users WHERE id = $1', [id])).rowCount ?? 0) === 0) return false;
        const userId = jsonUserId(id);
        for (const table of CREDENTIAL_TABLES) await client.query(`DELETE FROM ${table} WHERE user_id = $1::jsonb`, [userId]);
        return true;
      });
    },
  };
}
