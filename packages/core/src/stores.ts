import type { User, UserId } from './user.js';

/**
 * Storage is behind these interfaces so a scheme never sees a driver. Every
 * method returns a promise, so an engine with a network round trip
 * (PostgreSQL, Redis) fits the same shape as the embedded SQLite one.
 */

export interface NewUser {
  readonly username: string;
  readonly email: string;
  /** Already hashed (see password-hashing.ts). */
  readonly passwordHash: string;
}

export interface UserStore {
  /** @throws UsernameTakenError when the username exists (exact match, as Django). */
  create(user: NewUser): Promise<User>;
  findById(id: UserId): Promise<User | null>;
  findByUsername(username: string): Promise<User | null>;
  /** The user with the stored hash, for checking a password at login only. */
  findLogin(username: string): Promise<{ readonly user: User; readonly passwordHash: string } | null>;
  list(): Promise<User[]>;
  /** @returns false when no such user exists. */
  setActive(id: UserId, isActive: boolean): Promise<boolean>;
  /** Django's `update_last_login`: `last_login` set to `at` (ISO-8601); false when no such user exists. */
  setLastLogin(id: UserId, at: string): Promise<boolean>;
  /** Stores a new password hash (already hashed); false when no such user exists. */
  setPassword(id: UserId, passwordHash: string): Promise<boolean>;
  /** Deletes the user and every credential of theirs, in one transaction where the engine has them. */
  delete(id: UserId): Promise<boolean>;
}

export class UsernameTakenError extends Error {
  override readonly name = 'UsernameTakenError';
  constructor(readonly username: string) {
    super('A user with that username already exists.');
  }
}

/** DRF's `authtoken.Token`: one plaintext key per user. */
export interface TokenRecord {
  readonly key: string;
  readonly userId: UserId;
  /** ISO-8601. */
  readonly created: string;
}

export interface TokenStore {
  /** The hot path: the key's owner in one indexed read, or null. */
  findUserByKey(key: string): Promise<User | null>;
  findByUser(userId: UserId): Promise<TokenRecord | null>;
  /** Atomically returns the user's token, inserting `candidate` only when they have none. */
  getOrCreate(candidate: TokenRecord): Promise<{ readonly token: TokenRecord; readonly created: boolean }>;
  /** Replaces the user's token (DRF's `drf_create_token -r`). */
  replace(token: TokenRecord): Promise<TokenRecord>;
  /** @returns false when the user had no token. */
  deleteByUser(userId: UserId): Promise<boolean>;
}

/** A knox token as stored: never the token itself, only its digest. */
export interface KnoxTokenRecord {
  /** The token's first 15 characters: the non-secret index (knox's `token_key`), unique per user. */
  readonly tokenKey: string;
  /** Hex digest of the whole token (knox's `digest`). */
  readonly digest: string;
  readonly userId: UserId;
  /** ISO-8601. */
  readonly created: string;
  /** ISO-8601; null never expires. */
  readonly expiry: string | null;
  /** The User-Agent of the login, to tell devices apart. */
  readonly client: string;
  /** ISO-8601; recorded at most once per refresh interval, so reads stay reads. */
  readonly lastUsed: string | null;
}

export interface KnoxCandidate {
  readonly token: KnoxTokenRecord;
  readonly user: User;
}

export type KnoxCreateResult = 'created' | 'limit-reached' | 'key-taken';

export interface KnoxTokenStore {
  /**
   * Every token with this key, with its user, in one indexed read. With a
   * `digest` (the hot path), only the token with that digest: the store
   * matches it inside the (token_key, digest) index, so a right key with a
   * wrong secret costs what an unknown key costs, one probe that finds
   * nothing, and timing does not tell which token keys exist.
   */
  findByTokenKey(tokenKey: string, digest?: string): Promise<KnoxCandidate[]>;
  /**
   * Stores a token unless the user already has `limit` live tokens (checked
   * and inserted atomically) or one with the same token key.
   */
  create(token: KnoxTokenRecord, limit: { readonly max: number | null; readonly now: string }): Promise<KnoxCreateResult>;
  /** The user's tokens that have not expired at `now`, newest first. */
  listLive(userId: UserId, now: string): Promise<KnoxTokenRecord[]>;
  /** One write recording use and, when refreshed, the new expiry. */
  touch(userId: UserId, tokenKey: string, lastUsed: string, expiry: string | null): Promise<void>;
  /** @returns false when the user has no such token. */
  delete(userId: UserId, tokenKey: string): Promise<boolean>;
  /** @returns how many were deleted. */
  deleteAll(userId: UserId): Promise<number>;
  /** Deletes up to `batch` tokens expired at `now`; call again until it returns less than `batch`. */
  deleteExpired(now: string, batch: number): Promise<number>;
}

/** One jwt login: the family of refresh tokens that descend from it by rotation. */
export interface JwtLoginRecord {
  /** Random, non-secret; the `sid` claim of every token of the family. */
  readonly id: string;
  readonly userId: UserId;
  /** ISO-8601. */
  readonly created: string;
  readonly client: string;
  /** ISO-8601: when the newest refresh token of the family expires. */
  readonly expiresAt: string;
  /** ISO-8601 of the last refresh; null before the first. */
  readonly lastRefreshed: string | null;
  /** ISO-8601; null while the login is live. */
  readonly revokedAt: string | null;
}

/** A refresh token as simplejwt's `OutstandingToken`: never the token itself. */
export interface JwtOutstandingRecord {
  readonly jti: string;
  readonly loginId: string;
  readonly userId: UserId;
  /** ISO-8601. */
  readonly createdAt: string;
  /** ISO-8601. */
  readonly expiresAt: string;
}

export type JwtSpendResult =
  /** The token was live and is now blacklisted as rotated. */
  | 'spent'
  /** It had already been rotated: reuse, which revokes the family. */
  | 'reused'
  /** It, or its login, had been revoked (logout), or is unknown. */
  | 'revoked'
  /**
   * It had been rotated within the grace window and the successor that
   * rotation recorded is still live: a repeat of that refresh (two tabs, a
   * retry), answered with the same successor. Nothing was changed.
   */
  | { readonly kind: 'repeat'; readonly successor: JwtOutstandingRecord };

export interface JwtStore {
  /** Records a new login and its first refresh token. */
  createLogin(login: JwtLoginRecord, first: JwtOutstandingRecord): Promise<void>;
  /**
   * Rotation in one transaction: blacklists `jti` as rotated and records its
   * successor (remembering which token that is, and when `jti` was rotated),
   * or, when `jti` was already rotated, revokes the whole login.
   *
   * @param graceSince ISO-8601, for the grace window of concurrent refreshes:
   *   when `jti` was rotated after this instant (exclusive) and the successor
   *   it recorded is still live (not blacklisted nor rotated itself, not
   *   expired at `now`, its login live), the answer is `{ kind: 'repeat' }`
   *   with that successor and nothing changes. Omitted or null: no window, as
   *   is any rotation at or before it, or whose successor moved on: reuse.
   */
  rotate(jti: string, successor: JwtOutstandingRecord, now: string, graceSince?: string | null): Promise<JwtSpendResult>;
  /** Blacklists one refresh token without rotating (simplejwt's `blacklist()`); false when unknown. */
  blacklist(jti: string, now: string): Promise<boolean>;
  /** Whether this refresh token may still be used: known, not blacklisted, its login live. */
  isRefreshUsable(jti: string): Promise<boolean>;
  /** Whether the token is blacklisted or its login revoked (simplejwt's verify check). */
  isRevoked(jti: string | null, loginId: string | null): Promise<boolean>;
  /** The per-request check when revocation is enforced on access tokens: the login is live. */
  isLoginLive(loginId: string): Promise<boolean>;
  /** @returns false when the user has no such live login. */
  revokeLogin(userId: UserId, loginId: string, now: string): Promise<boolean>;
  /** @returns how many logins were revoked. */
  revokeAllLogins(userId: UserId, now: string): Promise<number>;
  /** Live logins (not revoked, not expired at `now`), newest first. */
  listLogins(userId: UserId, now: string): Promise<JwtLoginRecord[]>;
  /** simplejwt's `flushexpiredtokens`: deletes up to `batch` expired rows; call until less than `batch`. */
  deleteExpired(now: string, batch: number): Promise<number>;
}

/** A cookie session as stored. The id is the credential: it never leaves the store or the cookie. */
export interface SessionRecord {
  readonly sid: string;
  /** The logged-in user; null for an anonymous session. */
  readonly userId: UserId | null;
  /** express-session's serialised session. */
  readonly data: string;
  /** ISO-8601. */
  readonly expires: string;
  /** ISO-8601. */
  readonly created: string;
  readonly client: string;
  /** ISO-8601 of the last write (login or a rolling touch). */
  readonly lastUsed: string;
}

export interface SessionStore {
  /**
   * The hot path: the session with its user, in one indexed read (over the
   * application's own users: the session's read, then `findById`); null when
   * unknown or expired at `now`. `user` is null for an anonymous session or,
   * over authbench's users table, a deleted user; over the application's
   * users (and on Redis) a deleted user's session is null whole.
   */
  get(sid: string, now: string): Promise<(SessionRecord & { readonly user: User | null }) | null>;
  /** Inserts or replaces. */
  set(record: SessionRecord): Promise<void>;
  /** Moves the expiry (rolling sessions); the caller throttles it. */
  touch(sid: string, expires: string, now: string): Promise<void>;
  destroy(sid: string): Promise<void>;
  /** The user's live sessions, newest first. */
  listByUser(userId: UserId, now: string): Promise<SessionRecord[]>;
  /** @returns how many were destroyed. */
  destroyByUser(userId: UserId): Promise<number>;
  all(now: string): Promise<SessionRecord[]>;
  length(now: string): Promise<number>;
  clear(): Promise<void>;
  /** Deletes up to `batch` expired sessions; call until less than `batch`. */
  deleteExpired(now: string, batch: number): Promise<number>;
}

/** A failure counter of the login throttle. */
export interface ThrottleCounter {
  readonly failures: number;
  /** Epoch milliseconds of the latest failure. */
  readonly lastFailure: number;
}

/**
 * Failure counters for login throttling, by opaque key. Unlike the other
 * stores, times are epoch milliseconds: the policy does arithmetic on them,
 * and Redis keeps them as plain integers. A counter lives `ttlSeconds` after
 * its latest failure (Redis: INCR plus PEXPIRE, in one MULTI or Lua script).
 */
export interface ThrottleStore {
  /**
   * Counts one failure, atomically (concurrent calls never lose one), and
   * returns the counter after it. A counter expired at `now` restarts at 1.
   */
  recordFailure(key: string, now: number, ttlSeconds: number): Promise<ThrottleCounter>;
  /** The live counters of `keys`, in their order; null for an unknown or expired one. */
  get(keys: readonly string[], now: number): Promise<(ThrottleCounter | null)[]>;
  /** Forgets the key's failures (a successful login). */
  reset(key: string): Promise<void>;
  /** Deletes up to `batch` counters expired at `now`; call until less than `batch`. */
  deleteExpired(now: number, batch: number): Promise<number>;
}

/**
 * The built-in users store of a storage package opened over an application's
 * own users (`openSqliteStore(path, { users })`): every call fails, naming
 * the mistake, rather than reading or writing a table no credential refers to.
 */
export function refusingUserStore(opener: string): UserStore {
  const refuse = async (): Promise<never> => {
    throw new Error(`${opener} was given options.users: the built-in users table is not in use; use that repository`);
  };
  return {
    create: refuse,
    findById: refuse,
    findByUsername: refuse,
    findLogin: refuse,
    list: refuse,
    setActive: refuse,
    setPassword: refuse,
    setLastLogin: refuse,
    delete: refuse,
  };
}
