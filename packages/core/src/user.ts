import type { Fields } from './fields.js';

/**
 * A user's id as the host application keys its users: a number (Django's
 * default AutoField, the built-in stores) or a string (a UUID, say). It is
 * stored and compared as given, so `42` and `"42"` are different users.
 */
export type UserId = string | number;

/** A user as the schemes and routes see it; the password hash never travels with it. */
export interface User {
  readonly id: UserId;
  readonly username: string;
  /** `""` when none was given, as Django's `User.email`. */
  readonly email: string;
  /** Django's `is_active`: an inactive user's credentials authenticate no request. */
  readonly isActive: boolean;
  /** ISO-8601. */
  readonly dateJoined: string;
}

/** The body of `/api/me` and of register: `{"id","username","email"}`. */
export interface PublicUser {
  readonly id: UserId;
  readonly username: string;
  readonly email: string;
}

export function publicUser(user: User): PublicUser {
  return { id: user.id, username: user.username, email: user.email };
}

/**
 * Where the users come from: the one thing the schemes and the routes ask of
 * an application's users, whether they live in authbench's own table
 * (`@authbench/accounts`) or in the application's. Django's `get_user_model()`
 * with `ModelBackend`, reduced to what authentication needs.
 */
export interface UserRepository {
  /** Per request, after a credential named this id (jwt, and credential stores over your own table). */
  findById(id: UserId): Promise<User | null>;
  /** At login. An exact match, as Django's `get_by_natural_key`. */
  findByUsername(username: string): Promise<User | null>;
  /**
   * Whether `password` is the user's. Called with `null` for a username that
   * does not exist: spend the time a real check costs all the same (hash a
   * dummy), or timing tells which usernames exist.
   */
  checkPassword(user: User | null, password: string): Promise<boolean>;
  /**
   * A value that changes whenever the user's password does (the stored hash
   * itself, or a hash of it, as Django's session auth hash). The login route
   * reads it at the password check and again once the credential is issued,
   * and withdraws the credential when it moved: a password change that landed
   * in between must not be outlived by a login that raced it. Without it, only
   * the user's existence and `isActive` are looked at again.
   */
  passwordStamp?(user: User): Promise<string | null>;
  /**
   * Django's `update_last_login`, run after a login of a scheme whose Django
   * package sends `user_logged_in` (knox, session; jwt with
   * `updateLastLogin`). Optional: without it nothing is recorded.
   */
  recordLogin?(user: User): Promise<void>;
}

/**
 * What the register and password routes need beyond a `UserRepository`.
 * Optional: a repository without it serves login, logout and the rest, and
 * those two routes answer 404 (the application registers its users itself).
 */
export interface UserAccounts extends UserRepository {
  /**
   * Validates `{username, password, email?}` and creates the user.
   * @throws ValidationError with every field's messages, as DRF does.
   */
  register(data: Fields): Promise<User>;
  /**
   * Checks `{old_password, new_password}` and stores the new password.
   * Revoking the user's other credentials is the route's next step.
   * @throws ValidationError; `old_password`'s message is `OLD_PASSWORD_INCORRECT` for a wrong one.
   */
  changePassword(user: User, data: Fields): Promise<void>;
}

/** Django's PasswordChangeForm message for a wrong old password; the route counts it as a failed login. */
export const OLD_PASSWORD_INCORRECT = 'Your old password was entered incorrectly. Please enter it again.';

/** Whether a repository also serves registration and password changes. */
export function hasAccounts(users: UserRepository): users is UserAccounts {
  const candidate = users as Partial<UserAccounts>;
  return typeof candidate.register === 'function' && typeof candidate.changePassword === 'function';
}

const REQUIRED = ['findById', 'findByUsername', 'checkPassword'] as const;

/**
 * Checks an application's repository once, at start-up, so a missing method
 * is one clear line then rather than a 500 at the first login.
 * @throws TypeError naming the missing method.
 */
export function assertUserRepository(users: unknown, where: string): asserts users is UserRepository {
  if (typeof users !== 'object' || users === null) throw new TypeError(`${where}: expected a user repository object, got ${users === null ? 'null' : typeof users}`);
  for (const method of REQUIRED) {
    if (typeof (users as Record<string, unknown>)[method] !== 'function') {
      throw new TypeError(`${where}: the user repository has no ${method}() method (it needs ${REQUIRED.join(', ')})`);
    }
  }
}
