import {
  authenticationFailed,
  charField,
  OLD_PASSWORD_INCORRECT,
  OptionError,
  UsernameTakenError,
  ValidationError,
  type FieldErrors,
  type Fields,
  type User,
  type UserAccounts,
  type UserId,
  type UserStore,
} from '@authbench/core';
import { validatePassword } from './password-validation.js';
import { hashPassword, OWASP_ARGON2ID, verifyAgainstDummy, verifyPassword, type Argon2Parameters } from './password-hashing.js';
import { throttled } from './throttle.js';
import { validateEmail, validateUsername } from './user-validation.js';

export interface AccountsOptions {
  readonly users: UserStore;
  /** Run after each new user is stored (a scheme's `onUserCreated`). */
  readonly onUserCreated?: ((user: User) => Promise<void>) | undefined;
  readonly hashing?: Argon2Parameters | undefined;
  /**
   * Registrations hashing a password at once; more wait their turn, and past
   * `registrationQueue` waiting, a registration is refused with a 429. Argon2
   * runs on libuv's small thread pool (4 threads), which logins share: a
   * flood of registrations must leave threads to the logins. Default 1.
   */
  readonly registrationHashing?: number | undefined;
  /** Registrations that may wait for a hashing turn. Default 16. */
  readonly registrationQueue?: number | undefined;
}

const USERNAME_TAKEN = 'A user with that username already exists.';

/**
 * authbench's own users: a `UserRepository` over a `UserStore` (one of the
 * storage packages' users table) with Django's rules, for the HTTP routes
 * and the CLI: registration with Django's validators, Argon2id passwords,
 * password change.
 */
export class Accounts implements UserAccounts {
  readonly users: UserStore;
  readonly #onUserCreated: ((user: User) => Promise<void>) | undefined;
  readonly #hashing: Argon2Parameters;

  readonly #registrationTurns: Turns;

  constructor(options: AccountsOptions) {
    this.users = options.users;
    this.#registrationTurns = new Turns(options.registrationHashing ?? 1, options.registrationQueue ?? 16, 'registrationHashing');
    this.#onUserCreated = options.onUserCreated;
    this.#hashing = options.hashing ?? OWASP_ARGON2ID;
  }

  /**
   * Validates `{username, password, email?}` with Django's rules and messages
   * and creates the user.
   * @throws ValidationError with every field's messages at once, as DRF does.
   */
  async register(data: Fields): Promise<User> {
    const errors: FieldErrors = {};

    let username = charField(data, 'username', errors);
    if (username !== undefined) {
      username = username.normalize('NFKC'); // Django's User.normalize_username
      const problems = validateUsername(username);
      if (problems.length === 0 && (await this.users.findByUsername(username))) problems.push(USERNAME_TAKEN);
      if (problems.length > 0) errors['username'] = problems;
    }

    let email = charField(data, 'email', errors, { required: false, allowBlank: true });
    if (email !== undefined && email !== '') {
      email = normalizeEmail(email);
      const problems = validateEmail(email);
      if (problems.length > 0) errors['email'] = problems;
    }

    const password = charField(data, 'password', errors, { trim: false });
    if (password !== undefined) {
      const problems = validatePassword(password, { username, email });
      if (problems.length > 0) errors['password'] = problems;
    }

    if (username === undefined || password === undefined || Object.keys(errors).length > 0) {
      throw new ValidationError(errors);
    }

    const passwordHash = await this.#registrationTurns.run(() => hashPassword(password, this.#hashing));
    let user: User;
    try {
      user = await this.users.create({ username, email: email ?? '', passwordHash });
    } catch (error) {
      // Lost a race with a concurrent registration of the same name.
      if (error instanceof UsernameTakenError) throw new ValidationError({ username: [USERNAME_TAKEN] });
      throw error;
    }
    await this.#onUserCreated?.(user);
    return user;
  }

  findById(id: UserId): Promise<User | null> {
    return this.users.findById(id);
  }

  findByUsername(username: string): Promise<User | null> {
    return this.users.findByUsername(username);
  }

  /**
   * Django's ModelBackend check: whether the password matches the stored
   * hash. An unknown user (null) costs a hash too, so timing does not reveal
   * which usernames exist.
   */
  async checkPassword(user: User | null, password: string): Promise<boolean> {
    const login = user === null ? null : await this.users.findLogin(user.username);
    if (!login || login.user.id !== user!.id) {
      await verifyAgainstDummy(password);
      return false;
    }
    return verifyPassword(password, login.passwordHash);
  }

  /** `last_login` = now, as Django's `update_last_login`. */
  async recordLogin(user: User): Promise<void> {
    await this.users.setLastLogin(user.id, new Date().toISOString());
  }

  /** The stored hash: it changes with every password change (a new salt). */
  async passwordStamp(user: User): Promise<string | null> {
    const login = await this.users.findLogin(user.username);
    return login !== null && login.user.id === user.id ? login.passwordHash : null;
  }

  /**
   * Django's PasswordChangeForm over `{old_password, new_password}`: both
   * required, never trimmed; the old one checked against the stored hash; the
   * new one by the validators of register, compared with the user's username
   * and email. Stores the new hash; revoking the user's other credentials is
   * the caller's next step (`revokeCredentials`).
   * @throws ValidationError with every field's messages at once.
   */
  async changePassword(caller: User, data: Fields): Promise<void> {
    const errors: FieldErrors = {};
    const oldPassword = charField(data, 'old_password', errors, { trim: false });
    const newPassword = charField(data, 'new_password', errors, { trim: false });
    // Read afresh: a stateless jwt caller's user is the token's claims, without the email.
    const user = await this.users.findById(caller.id);
    const login = user && user.isActive ? await this.users.findLogin(user.username) : null;
    if (!user || !login) throw authenticationFailed('User inactive or deleted.');
    if (oldPassword !== undefined && !(await verifyPassword(oldPassword, login.passwordHash))) {
      errors['old_password'] = [OLD_PASSWORD_INCORRECT];
    }
    if (newPassword !== undefined) {
      const problems = validatePassword(newPassword, user);
      if (problems.length > 0) errors['new_password'] = problems;
    }
    if (newPassword === undefined || Object.keys(errors).length > 0) throw new ValidationError(errors);
    await this.setPassword(user, newPassword, 'new_password');
  }

  /**
   * Validates a new password with register's validators (the CLI's
   * `changepassword`, which asks for no old one) and stores its hash.
   * @throws ValidationError with the messages under `field`.
   */
  async setPassword(user: User, password: string, field = 'password'): Promise<void> {
    const problems = validatePassword(password, user);
    if (problems.length > 0) throw new ValidationError({ [field]: problems });
    if (!(await this.users.setPassword(user.id, await hashPassword(password, this.#hashing)))) {
      throw authenticationFailed('User inactive or deleted.');
    }
  }
}

/** Django's `BaseUserManager.normalize_email`: the domain part lower-cased. */
function normalizeEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at < 0 ? email : email.slice(0, at) + '@' + email.slice(at + 1).toLowerCase();
}

/**
 * At most `width` tasks at once, at most `queue` more waiting; past that a
 * task is refused at once with a 429, so a flood costs a queue slot, not a
 * hash, and nobody waits in an unbounded line.
 */
class Turns {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(
    readonly width: number,
    readonly queue: number,
    option: string,
  ) {
    if (!Number.isSafeInteger(width) || width < 1) throw new OptionError('Accounts', option, 'a whole number of at least 1', width);
    if (!Number.isSafeInteger(queue) || queue < 0) throw new OptionError('Accounts', 'registrationQueue', 'a whole number, 0 or more', queue);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.width) {
      if (this.#waiting.length >= this.queue) throw throttled(1);
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else this.#running++;
    try {
      return await task();
    } finally {
      // The turn passes straight to the next in line, or is given back.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
