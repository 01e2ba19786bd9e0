// authbench's UserRepository over this service's own `accounts` table: the
// one file that connects the two. authbench asks for users by id (a UUID
// string here) and by login name, and asks whether a password is right; the
// table, the hashing and the account rules stay the service's own.
import { createHash } from 'node:crypto';
import { DUMMY_HASH, verifyPassword } from './passwords.js';

/** @typedef {import('@authbench/core').User} User */
/** @typedef {import('@authbench/core').UserId} UserId */
/** @typedef {import('@authbench/core').UserRepository} UserRepository */
/** @typedef {import('./db.js').AccountRow} AccountRow */

/**
 * An account as authbench sees it: `login` is its username, `disabled` the
 * opposite of Django's `is_active`. The password hash never leaves this file.
 * @param {AccountRow} row
 * @returns {User}
 */
function toUser(row) {
  return {
    id: row.id,
    username: row.login,
    email: row.email,
    isActive: row.disabled === 0,
    dateJoined: row.created_at,
  };
}

/**
 * @param {import('better-sqlite3').Database} db the service's own database
 * @returns {UserRepository}
 */
export function accountRepository(db) {
  const byId = db.prepare('SELECT * FROM accounts WHERE id = ?');
  const byLogin = db.prepare('SELECT * FROM accounts WHERE login = ?');
  const hashOf = db.prepare('SELECT pw_hash FROM accounts WHERE id = ?');

  /** @param {unknown} id */
  const rowById = (id) => (typeof id === 'string' ? /** @type {AccountRow | undefined} */ (byId.get(id)) : undefined);

  return {
    async findById(id) {
      // Ids here are UUID strings; a number can name no account.
      const row = rowById(id);
      return row ? toUser(row) : null;
    },

    async findByUsername(username) {
      const row = /** @type {AccountRow | undefined} */ (byLogin.get(username));
      return row ? toUser(row) : null;
    },

    async checkPassword(user, password) {
      const row = user ? /** @type {{ pw_hash: string } | undefined} */ (hashOf.get(user.id)) : undefined;
      // No such account: hash against a dummy all the same, so that the
      // answer takes as long as for a real one and tells nothing.
      const matches = await verifyPassword(password, row?.pw_hash ?? DUMMY_HASH);
      return row !== undefined && matches;
    },

    // Changes whenever the password does: a login that raced a password
    // change is withdrawn rather than outliving it. A digest of the hash, so
    // that the hash itself is never handed out.
    async passwordStamp(user) {
      const row = /** @type {{ pw_hash: string } | undefined} */ (hashOf.get(user.id));
      return row ? createHash('sha256').update(row.pw_hash).digest('base64url') : null;
    },
  };
}
