import { hash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  ServiceUnavailableError,
  type KnoxCandidate,
  type KnoxTokenStore,
  type TokenStore,
  type User,
  type UserId,
  type UserStore,
} from '@authbench/core';
import { redisCall, type RedisClient } from './client.js';
import { FILL_SCRIPT, MARK_SCRIPT, UNMARK_SCRIPT } from './cache-scripts.js';
import { runScript, userIdJson, type LuaScript } from './scripts.js';

export interface RedisCacheOptions {
  /** How long a found token stays cached, in seconds. Default 60. */
  readonly ttlSeconds?: number | undefined;
  /** Put before every key, so several apps (or tests) share one Redis. Default `'authbench:cache:'`. */
  readonly prefix?: string | undefined;
  /** How long an unknown key stays cached as unknown, in seconds; 0 caches no misses. Default min(10, ttlSeconds). */
  readonly negativeTtlSeconds?: number | undefined;
  /**
   * The longest a database read may take and still fill the cache, in ms
   * (measured on Redis's clock). A revoked entry stays uncacheable this long
   * plus one second after the revocation returns, and nothing is cached this
   * long plus one second after Redis lost its data (or on first use). Default 2000.
   */
  readonly fillWindowMs?: number | undefined;
  /** How long to wait for Redis before counting it as down, in ms. Default 500. */
  readonly timeoutMs?: number | undefined;
}

/** The cached token and knox stores, over the built-in users or an application's own. */
export interface CachedCredentialStores {
  readonly tokens: TokenStore;
  readonly knoxTokens: KnoxTokenStore;
  /**
   * Drops every cached entry holding the user, and refuses for the settle
   * time (fillWindowMs + 1 s) the fills of reads that began before: what an application
   * whose users live in its own table calls once a change to a user has
   * committed (deactivated, deleted, password changed), since no write goes
   * through a wrapper here. Entries otherwise show a user as read up to
   * `ttlSeconds` ago.
   * @throws ServiceUnavailableError when Redis cannot be told: the entries may still be there.
   */
  invalidateUser(userId: UserId): Promise<void>;
}

/** With the built-in users, also the user store, whose writes invalidate. */
export interface CachedStores extends CachedCredentialStores {
  readonly users: UserStore;
}

/*
 * Key layout, under the prefix P:
 *   P token:<sha256 of the key>  string  the owner as JSON, 'null' for an unknown key, or a mark
 *   P knox:<token key>           string  the candidates as JSON ('[]' when none), or a mark
 *   P entries:<id>               zset    the entry keys that hold this user, scored by their expiry (ms, Redis's clock)
 *   P hold:<id>                  string  a mark while the user's data changes (see cache-scripts.ts)
 *   (<id> is the user id's JSON, see userIdJson: 42 and "42" are two users.)
 *   P epoch                      string  when this Redis began to hold the cache (ms), no TTL (see FILL)
 * A DRF key is the credential itself, so only its SHA-256 is ever in Redis;
 * knox keys are non-secret indexes and knox records hold only digests.
 */

/** Redis away or unable to serve (loading, a read-only replica, out of memory…): redisCall made it a 503. */
const unavailable = (error: unknown): boolean => error instanceof ServiceUnavailableError;

/** An entry's lifetime never reaches a knox token's expiry: at most this close to it. */
const EXPIRY_MARGIN_MS = 1000;
/** The fill window is enforced by Redis's clock; this covers clock steps between the two checks. */
const SETTLE_MARGIN_MS = 1000;

interface Fill {
  readonly value: string;
  readonly ttlMs: number;
  readonly users: readonly UserId[];
}

/** Where a write's invalidation lands: users whose every entry goes, and single entries. */
interface Target {
  readonly users: readonly UserId[];
  readonly entries: readonly string[];
}

function whole(value: number | undefined, fallback: number, min: number, name: string): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < min) {
    throw new TypeError(`withRedisCache: options.${name} must be a whole number, ${min} or more, got ${JSON.stringify(chosen)}`);
  }
  return chosen;
}

/**
 * Wraps the token, knox and user stores with a read-through Redis cache for
 * the two hot-path lookups, shared by every app instance. Every write through
 * the wrappers invalidates before it returns, and a fill can never bring back
 * data a revocation removed (see cache-scripts.ts). Redis down on a read: the
 * inner store answers. Redis down when a write must invalidate: 503, with the
 * database untouched.
 *
 * Without `users` (an application's own users, which the stores were opened
 * over), nothing here sees a user change: the application calls
 * `invalidateUser` after each one.
 */
export function withRedisCache(
  stores: { readonly users: UserStore; readonly tokens: TokenStore; readonly knoxTokens: KnoxTokenStore },
  client: RedisClient,
  options?: RedisCacheOptions,
): CachedStores;
export function withRedisCache(
  stores: { readonly users?: undefined; readonly tokens: TokenStore; readonly knoxTokens: KnoxTokenStore },
  client: RedisClient,
  options?: RedisCacheOptions,
): CachedCredentialStores;
export function withRedisCache(
  stores: { readonly users?: UserStore | undefined; readonly tokens: TokenStore; readonly knoxTokens: KnoxTokenStore },
  client: RedisClient,
  options: RedisCacheOptions = {},
): CachedCredentialStores & { readonly users?: UserStore } {
  const ttlMs = whole(options.ttlSeconds, 60, 1, 'ttlSeconds') * 1000;
  const negativeTtlMs = whole(options.negativeTtlSeconds, Math.min(10, ttlMs / 1000), 0, 'negativeTtlSeconds') * 1000;
  const windowMs = whole(options.fillWindowMs, 2000, 1, 'fillWindowMs');
  const timeoutMs = whole(options.timeoutMs, 500, 1, 'timeoutMs');
  const prefix = options.prefix ?? 'authbench:cache:';
  if (typeof prefix !== 'string') throw new TypeError('withRedisCache: options.prefix must be a string');
  // An empty mark, and a new epoch, outlive every fill that could carry data from before them.
  const settleMs = windowMs + SETTLE_MARGIN_MS;
  // A writer's own mark: long enough for any sane database write, and still bounded if the writer dies.
  const holdMs = Math.max(60_000, 10 * settleMs);
  const { users, tokens, knoxTokens } = stores;

  const tokenEntry = (key: string) => `${prefix}token:${hash('sha256', key, 'hex')}`;
  const knoxEntry = (tokenKey: string) => `${prefix}knox:${tokenKey}`;
  const epochKey = `${prefix}epoch`;
  // What a fill checks and writes for a user; what a revocation marks and drops.
  const userKeys = (id: UserId) => {
    const json = userIdJson(id);
    return [`${prefix}hold:${json}`, `${prefix}entries:${json}`];
  };

  // A request waits at most timeoutMs for Redis, then goes on without the cache (or fails closed).
  const within = <T>(operation: () => Promise<T>) => redisCall(operation, timeoutMs);
  const run = (script: LuaScript, keys: string[], args: (string | number)[]) => runScript(client, script, args, keys, timeoutMs);

  /**
   * One GET; on a hit, the cached value. On a miss the inner store answers and
   * the value is filled, unless it arrives too late or a write is in flight.
   * A mark, an unreadable entry or a Redis that does not answer: the inner
   * store answers and nothing is written.
   */
  async function readThrough<T>(entry: string, load: () => Promise<T>, plan: (value: T) => Fill | null): Promise<T> {
    let start: number;
    try {
      const raw = await within(() => client.get(entry));
      if (raw !== null) {
        if (raw.startsWith('!')) return await load();
        try {
          return JSON.parse(raw) as T;
        } catch {
          return await load();
        }
      }
      // The read's start on Redis's clock, taken before the database is asked.
      const [seconds, micros] = await within(() => client.time());
      start = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    } catch (error) {
      if (unavailable(error)) return load();
      throw error;
    }
    const began = performance.now();
    const value = await load();
    // Redis checks the window too; this only saves a round trip for a read that is already too old.
    if (performance.now() - began > windowMs) return value;
    const fill = plan(value);
    if (fill === null) return value;
    const keys = [entry, epochKey, ...fill.users.flatMap(userKeys)];
    try {
      await run(FILL_SCRIPT, keys, [fill.value, fill.ttlMs, start, windowMs, settleMs]);
    } catch (error) {
      if (!unavailable(error)) throw error;
    }
    return value;
  }

  const failClosed = (error: unknown): never => {
    if (unavailable(error)) throw new ServiceUnavailableError('Redis');
    throw error;
  };

  /**
   * Marks the target, changes the database, unmarks. Redis down before the
   * change: `whenDown` answers if it can do so safely, else 503 and nothing
   * changed. Redis down after it: the mark set before still holds for
   * `holdMs`, which covers the change when it finished in time; past that the
   * change is done but its invalidation is not certain, so 503 (a retry
   * invalidates again).
   */
  async function write<T>(target: Target, change: () => Promise<T>, whenDown?: () => Promise<T>): Promise<T> {
    const keys = [...target.users.flatMap(userKeys), ...target.entries];
    const id = randomBytes(8).toString('hex');
    const args = (ms: number): (string | number)[] => [target.users.length, id, ms];
    const began = performance.now();
    try {
      await run(MARK_SCRIPT, keys, args(holdMs));
    } catch (error) {
      if (whenDown && unavailable(error)) return whenDown();
      return failClosed(error);
    }
    const settle = async () => {
      try {
        await run(UNMARK_SCRIPT, keys, args(settleMs));
      } catch (error) {
        if (!unavailable(error) || performance.now() - began > holdMs - settleMs) failClosed(error);
      }
    };
    let result: T;
    try {
      result = await change();
    } catch (error) {
      // It may have committed before failing (a dropped connection after COMMIT): settle anyway.
      await settle().catch(() => {});
      throw error;
    }
    await settle();
    return result;
  }

  const ofUser = (id: UserId): Target => ({ users: [id], entries: [] });

  // The user's entries go, and an empty mark keeps out for the settle time the fills of reads
  // that began before the change: an unmark by a writer that marked nothing.
  const invalidateUser = async (userId: UserId): Promise<void> => {
    try {
      await run(UNMARK_SCRIPT, userKeys(userId), [1, randomBytes(8).toString('hex'), settleMs]);
    } catch (error) {
      failClosed(error);
    }
  };

  const cachedUsers = users && {
    create: (user) => users.create(user),
    findById: (id) => users.findById(id),
    findByUsername: (username) => users.findByUsername(username),
    findLogin: (username) => users.findLogin(username),
    list: () => users.list(),
    // Every cached entry carries the user (isActive included); deletion also cascades to their tokens.
    setActive: (id, isActive) => write(ofUser(id), () => users.setActive(id, isActive)),
    // The cached User has no password in it, but a password change is an account change: drop
    // the user's entries so nothing cached outlives it (cheap, and rare).
    setPassword: (id, passwordHash) => write(ofUser(id), () => users.setPassword(id, passwordHash)),
    // No cached field changes with it: straight to the database.
    setLastLogin: (id, at) => users.setLastLogin(id, at),
    delete: (id) => write(ofUser(id), () => users.delete(id)),
  } satisfies UserStore;

  const cachedTokens = {
    findUserByKey: (key) =>
      readThrough<User | null>(
        tokenEntry(key),
        () => tokens.findUserByKey(key),
        (user) =>
          user !== null
            ? { value: JSON.stringify(user), ttlMs, users: [user.id] }
            : negativeTtlMs > 0
              ? { value: 'null', ttlMs: negativeTtlMs, users: [] }
              : null,
      ),
    findByUser: (userId) => tokens.findByUser(userId),
    // The candidate's key may be cached as unknown: mark it. With Redis down, handing out the
    // user's existing token changes nothing and stays possible; creating one does not.
    getOrCreate: (candidate) =>
      write({ users: [], entries: [tokenEntry(candidate.key)] }, () => tokens.getOrCreate(candidate), async () => {
        const existing = await tokens.findByUser(candidate.userId);
        if (existing === null) throw new ServiceUnavailableError('Redis');
        return { token: existing, created: false };
      }),
    // The old key is unknown here, but its entry is in the user's index; the new one may be cached as unknown.
    replace: (token) => write({ users: [token.userId], entries: [tokenEntry(token.key)] }, () => tokens.replace(token)),
    deleteByUser: (userId) => write(ofUser(userId), () => tokens.deleteByUser(userId)),
  } satisfies TokenStore;

  // An entry holds every token of its key, so that one entry serves them all; a digest asked for is matched here.
  const withDigest = (candidates: KnoxCandidate[], digest: string | undefined) =>
    digest === undefined ? candidates : candidates.filter((c) => c.token.digest === digest);
  const readKnox = (tokenKey: string) =>
    readThrough<KnoxCandidate[]>(knoxEntry(tokenKey), () => knoxTokens.findByTokenKey(tokenKey), (candidates) => {
      if (candidates.length === 0) return negativeTtlMs > 0 ? { value: '[]', ttlMs: negativeTtlMs, users: [] } : null;
      // An entry never outlives a token in it, so deleteExpired needs no invalidation,
      // and an expired token (the scheme deletes it) is never cached at all.
      let life = ttlMs;
      const now = Date.now();
      for (const { token } of candidates) {
        if (token.expiry !== null) life = Math.min(life, Date.parse(token.expiry) - now - EXPIRY_MARGIN_MS);
      }
      if (!(life > 0)) return null;
      return { value: JSON.stringify(candidates), ttlMs: life, users: [...new Set(candidates.map((c) => c.user.id))] };
    });
  const cachedKnox = {
    findByTokenKey: async (tokenKey, digest) => withDigest(await readKnox(tokenKey), digest),
    // A new token joins its key's candidates, which may be cached (also as none).
    create: (token, limit) => write({ users: [], entries: [knoxEntry(token.tokenKey)] }, () => knoxTokens.create(token, limit)),
    listLive: (userId, now) => knoxTokens.listLive(userId, now),
    // The scheme touches on the hot path. With Redis down a touch that only records use or moves
    // the expiry later still goes ahead: a stale entry then shows an earlier expiry (and the entry
    // ends before it) and an older last use (which makes the scheme touch again), never more access.
    // One that shortens the expiry is a partial revocation and fails closed.
    touch: (userId, tokenKey, lastUsed, expiry) =>
      write({ users: [], entries: [knoxEntry(tokenKey)] }, () => knoxTokens.touch(userId, tokenKey, lastUsed, expiry), async () => {
        const current = (await knoxTokens.findByTokenKey(tokenKey)).find((c) => c.user.id === userId)?.token;
        const extends_ =
          current === undefined ||
          expiry === null ||
          (current.expiry !== null && Date.parse(expiry) >= Date.parse(current.expiry));
        if (!extends_) throw new ServiceUnavailableError('Redis');
        await knoxTokens.touch(userId, tokenKey, lastUsed, expiry);
      }),
    delete: (userId, tokenKey) => write({ users: [], entries: [knoxEntry(tokenKey)] }, () => knoxTokens.delete(userId, tokenKey)),
    deleteAll: (userId) => write(ofUser(userId), () => knoxTokens.deleteAll(userId)),
    deleteExpired: (now, batch) => knoxTokens.deleteExpired(now, batch),
  } satisfies KnoxTokenStore;

  return { ...(cachedUsers && { users: cachedUsers }), tokens: cachedTokens, knoxTokens: cachedKnox, invalidateUser };
}
