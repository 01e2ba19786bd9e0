import { authenticationFailed, ValidationError } from './errors.js';
import { charField, type FieldErrors, type Fields } from './fields.js';
import { validatePassword } from './password-validation.js';
import { hashPassword, OWASP_ARGON2ID, verifyAgainstDummy, verifyPassword, type Argon2Parameters } from './password-hashing.js';
import { UsernameTakenError, type UserStore } from './stores.js';
import type { User } from './user.js';
import { validateEmail, validateUsername } from './user-validation.js';

export interface AccountsOptions {
  readonly users: UserStore;
  /** Run after each new user is stored (a scheme's `onUserCreated`). */
  readonly onUserCreated?: ((user: User) => Promise<void>) | undefined;
  readonly hashing?: Argon2Parameters | undefined;
}

/** A password check that passed: the user, and the hash the password matched. */
export interface VerifiedLogin {
  readonly user: User;
  readonly passwordHash: string;
}

const USERNAME_TAKEN = 'A user with that username already exists.';
// Django's PasswordChangeForm.
export const OLD_PASSWORD_INCORRECT = 'Your old password was entered incorrectly. Please enter it again.';

/** Registration and password checks, shared by the HTTP routes and the CLI. */
export class Accounts {
  readonly users: UserStore;
  readonly #onUserCreated: ((user: User) => Promise<void>) | undefined;
  readonly #hashing: Argon2Parameters;

  constructor(options: AccountsOptions) {
    this.users = options.users;
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

    const passwordHash = await hashPassword(password, this.#hashing);
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

  /**
   * Django's ModelBackend: the user when the password matches and the account
   * is active, else null. Unknown usernames cost a hash too, so timing does
   * not reveal which usernames exist.
   */
  async checkCredentials(username: string, password: string): Promise<VerifiedLogin | null> {
    const login = await this.users.findLogin(username);
    if (!login) {
      await verifyAgainstDummy(password);
      return null;
    }
    const matches = await verifyPassword(password, login.passwordHash);
    return matches && login.user.isActive ? { user: login.user, passwordHash: login.passwordHash } : null;
  }

  /**
   * Whether a passed check still stands: the same password hash, the user
   * active and not deleted. Read after a credential is issued, it closes the
   * race with a password change (or deactivation) that revoked the user's
   * credentials while this login was between its check and its credential.
   */
  async stillValid(verified: VerifiedLogin): Promise<boolean> {
    const login = await this.users.findLogin(verified.user.username);
    return login !== null && login.user.id === verified.user.id && login.user.isActive && login.passwordHash === verified.passwordHash;
  }

  /**
   * Django's PasswordChangeForm over `{old_password, new_password}`: both
   * required, never trimmed; the old one checked against the stored hash; the
   * new one by the validators of register, compared with the user's username
   * and email. Stores the new hash; revoking the user's other credentials is
   * the caller's next step (`revokeCredentials`).
   * @throws ValidationError with every field's messages at once.
   */
  async changePassword(userId: number, data: Fields): Promise<void> {
    const errors: FieldErrors = {};
    const oldPassword = charField(data, 'old_password', errors, { trim: false });
    const newPassword = charField(data, 'new_password', errors, { trim: false });
    // Read afresh: a stateless jwt caller's user is the token's claims, without the email.
    const user = await this.users.findById(userId);
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
