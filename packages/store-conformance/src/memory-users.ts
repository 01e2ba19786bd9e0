import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { UsernameTakenError, type NewUser, type User, type UserId, type UserRepository, type UserStore } from '@authbench/core';

/** How an application keys its users: Django's AutoField numbers, or strings (UUIDs). */
export type UserIdKind = 'number' | 'string';

/** A user as a test asks an application to have one; `id` only where the test chooses it. */
export interface SeedUser {
  readonly username: string;
  readonly password: string;
  readonly isActive: boolean;
  readonly email?: string | undefined;
  readonly id?: UserId | undefined;
}

type Listener = (id: UserId) => Promise<unknown>;

interface Row {
  user: User;
  passwordHash: string;
}

const DIGEST_PREFIX = 'sha256$';
// A fixture, not a password store: a plain digest keeps the suites fast.
const digest = (password: string) => DIGEST_PREFIX + createHash('sha256').update(password).digest('hex');

/**
 * An application's own user table, in memory: what the credential stores'
 * external-users mode is tested against. A test fixture standing for the
 * application's database, not for a store under test, so a Map is all it
 * needs. Ids are kept as given (a Map tells 42 from "42"), new ones are
 * numbers from 1 or UUIDs by `ids`.
 *
 * Beside the `UserRepository` it is a `UserStore`, so the credential suites
 * written against the built-in users run over it unchanged; its `delete` and
 * its changes call the listeners an application would have (revoking the
 * user's credentials, invalidating a cache), since no foreign key does it.
 */
export class MemoryUsers implements UserRepository, UserStore {
  readonly #rows = new Map<UserId, Row>();
  readonly #onDelete: Listener[] = [];
  readonly #onChange: Listener[] = [];
  #nextId = 1;
  /** Every id `findById` was asked for, in order: what a test counts to tell one lookup from two. */
  readonly lookups: UserId[] = [];
  /** `last_login` by id, as setLastLogin wrote it. */
  readonly lastLogins = new Map<UserId, string>();

  constructor(readonly ids: UserIdKind) {}

  /** Runs after a user is deleted: what the application does then (revokeCredentials). */
  whenDeleted(listener: Listener): void {
    this.#onDelete.push(listener);
  }

  /** Runs after a user's isActive or password changes: what the application tells a cache in front of the stores. */
  whenChanged(listener: Listener): void {
    this.#onChange.push(listener);
  }

  /** Adds a user with a password, as the application's sign-up would. */
  async seed({ username, password, isActive, email = '', id }: SeedUser): Promise<User> {
    const user = this.#insert(username, email, digest(password), id);
    return isActive ? user : this.#update(user.id, { isActive: false })!.user;
  }

  /** Removes a user without telling anyone: a row deleted behind the application's back. */
  forget(id: UserId): boolean {
    return this.#rows.delete(id);
  }

  async create({ username, email, passwordHash }: NewUser): Promise<User> {
    return this.#insert(username, email, passwordHash, undefined);
  }

  async findById(id: UserId): Promise<User | null> {
    this.lookups.push(id);
    return this.#rows.get(id)?.user ?? null;
  }

  async findByUsername(username: string): Promise<User | null> {
    return this.#byUsername(username)?.user ?? null;
  }

  async findLogin(username: string): Promise<{ readonly user: User; readonly passwordHash: string } | null> {
    const row = this.#byUsername(username);
    return row ? { user: row.user, passwordHash: row.passwordHash } : null;
  }

  async list(): Promise<User[]> {
    return [...this.#rows.values()].map((row) => row.user);
  }

  async setActive(id: UserId, isActive: boolean): Promise<boolean> {
    if (!this.#update(id, { isActive })) return false;
    await this.#tell(this.#onChange, id);
    return true;
  }

  async setPassword(id: UserId, passwordHash: string): Promise<boolean> {
    if (!this.#update(id, {}, passwordHash)) return false;
    await this.#tell(this.#onChange, id);
    return true;
  }

  async setLastLogin(id: UserId, at: string): Promise<boolean> {
    const row = this.#rows.get(id);
    if (!row) return false;
    this.lastLogins.set(id, at);
    return true;
  }

  /** Stores a new password, as the application's password change would. */
  async changePassword(id: UserId, password: string): Promise<boolean> {
    return this.setPassword(id, digest(password));
  }

  async delete(id: UserId): Promise<boolean> {
    if (!this.#rows.delete(id)) return false;
    await this.#tell(this.#onDelete, id);
    return true;
  }

  async checkPassword(user: User | null, password: string): Promise<boolean> {
    const row = user ? this.#rows.get(user.id) : undefined;
    const given = Buffer.from(digest(password));
    // An unknown user costs the same digest and comparison.
    const stored = Buffer.from(row?.passwordHash ?? digest(''));
    const same = stored.length === given.length && timingSafeEqual(stored, given);
    return row !== undefined && same;
  }

  async passwordStamp(user: User): Promise<string | null> {
    return this.#rows.get(user.id)?.passwordHash ?? null;
  }

  #byUsername(username: string): Row | undefined {
    for (const row of this.#rows.values()) if (row.user.username === username) return row;
    return undefined;
  }

  #insert(username: string, email: string, passwordHash: string, given: UserId | undefined): User {
    if (this.#byUsername(username)) throw new UsernameTakenError(username);
    const id = given ?? (this.ids === 'number' ? this.#nextId++ : randomUUID());
    if (this.#rows.has(id)) throw new Error(`MemoryUsers: id ${JSON.stringify(id)} is taken`);
    const user: User = { id, username, email, isActive: true, dateJoined: new Date().toISOString() };
    this.#rows.set(id, { user, passwordHash });
    return user;
  }

  #update(id: UserId, change: { isActive?: boolean }, passwordHash?: string): Row | null {
    const row = this.#rows.get(id);
    if (!row) return null;
    const updated: Row = { user: { ...row.user, ...change }, passwordHash: passwordHash ?? row.passwordHash };
    this.#rows.set(id, updated);
    return updated;
  }

  async #tell(listeners: readonly Listener[], id: UserId): Promise<void> {
    for (const listener of listeners) await listener(id);
  }
}
