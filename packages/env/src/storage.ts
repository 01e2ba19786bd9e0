import { resolve } from 'node:path';
import {
  ConfigError,
  readBoolean,
  readInteger,
  readString,
  ServiceUnavailableError,
  type Env,
  type JwtStore,
  type KnoxTokenStore,
  type SessionStore,
  type ThrottleStore,
  type TokenStore,
  type UserRepository,
  type UserStore,
} from '@authbench/core';
import { openPostgresStore, type DeploymentFacts } from '@authbench/store-postgres';
import { connectRedis, redisJwtStore, redisSessionStore, redisThrottleStore, withRedisCache, type RedisClient } from '@authbench/store-redis';
import { openSqliteStore } from '@authbench/store-sqlite';

/** Where credentials (and authbench's own users) are kept, as the environment says. */
export interface StorageSettings {
  /** The SQLite file, used when `databaseUrl` is null. */
  readonly databasePath: string;
  /** PostgreSQL (`postgres://…`) instead of the SQLite file; null for SQLite, the default. */
  readonly databaseUrl: string | null;
  /** Redis (`redis://…`) for jwt logins, sessions and throttle counters; null for none, the default. */
  readonly redisUrl: string | null;
  /** Put before every Redis key, so that several apps can share one server. */
  readonly redisPrefix: string;
  /** Seconds a Redis cache entry for a token or knox lookup lives; null when the cache is off. */
  readonly redisCacheTtlSeconds: number | null;
}

/** Every repository, from whichever engines are configured. */
export interface Stores {
  /** authbench's own users table (empty and unused when the application brings its users). */
  readonly users: UserStore;
  readonly tokens: TokenStore;
  readonly knoxTokens: KnoxTokenStore;
  readonly jwt: JwtStore;
  readonly sessions: SessionStore;
  readonly throttle: ThrottleStore;
  /** PostgreSQL's facts shared by every process on the database; none on SQLite. */
  readonly deployment?: DeploymentFacts | undefined;
  close(): Promise<void>;
}

/** The fact a server with REDIS_CACHE records, so that a process without the cache knows its revocations would not reach it. */
export const REDIS_CACHE_FACT = 'redis_cache';

/** Validates the storage settings without connecting to anything. */
export function readStorageSettings(env: Env, defaultDatabasePath: string): StorageSettings {
  const databaseUrl = readString(env, 'DATABASE_URL', '');
  if (databaseUrl !== '' && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    // The value may hold a password: the message never repeats it.
    throw new ConfigError('DATABASE_URL', 'expected a postgres:// or postgresql:// URL; unset it to use the SQLite file (DATABASE_PATH)');
  }
  const redisUrl = readString(env, 'REDIS_URL', '');
  if (redisUrl !== '' && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError('REDIS_URL', 'expected a redis:// or rediss:// URL; unset it to keep everything in the database');
  }
  const redisCache = readBoolean(env, 'REDIS_CACHE', false);
  if (redisCache && (redisUrl === '' || databaseUrl === '')) {
    throw new ConfigError('REDIS_CACHE', 'the cache sits in Redis in front of PostgreSQL: it needs both REDIS_URL and DATABASE_URL');
  }
  const redisCacheTtl = readInteger(env, 'REDIS_CACHE_TTL', 60, 1, 86_400);
  const redisPrefix = readString(env, 'REDIS_PREFIX', 'authbench:');
  if (!/^[\w.:-]{1,64}$/.test(redisPrefix)) throw new ConfigError('REDIS_PREFIX', 'expected 1 to 64 letters, digits or _ . : -');
  return {
    databasePath: resolve(readString(env, 'DATABASE_PATH', defaultDatabasePath)),
    databaseUrl: databaseUrl === '' ? null : databaseUrl,
    redisUrl: redisUrl === '' ? null : redisUrl,
    redisPrefix,
    redisCacheTtlSeconds: redisCache ? redisCacheTtl : null,
  };
}

/** One line for a start-up banner: where things are kept, never a password. */
export function describeStorage(settings: StorageSettings): string {
  const database = settings.databaseUrl === null ? `SQLite at ${settings.databasePath}` : 'PostgreSQL (DATABASE_URL)';
  if (settings.redisUrl === null) return database;
  const cache = settings.redisCacheTtlSeconds === null ? '' : `, cache ${settings.redisCacheTtlSeconds} s`;
  return `${database}, Redis (REDIS_URL${cache})`;
}

/**
 * The database (PostgreSQL or SQLite) for everything; with REDIS_URL, Redis
 * takes the jwt logins, the sessions and the throttle counters (short-lived,
 * expiring by TTL), and with REDIS_CACHE it also caches token and knox
 * lookups in front of PostgreSQL. A server that does not answer stops
 * start-up with one line naming the setting.
 * @param ownUsers the application's users, when it brings its own.
 */
export async function openStores(settings: StorageSettings, ownUsers: UserRepository | null): Promise<Stores> {
  if (ownUsers !== null && settings.redisCacheTtlSeconds !== null) {
    // The cache drops an entry when authbench changes a user; it cannot see the application's own changes.
    throw new ConfigError('REDIS_CACHE', 'caches users from authbench\'s own table only; turn it off when the application brings its own users');
  }
  const database = await openDatabase(settings, ownUsers);
  if (settings.redisUrl === null) return database;
  let redis: RedisClient;
  try {
    redis = await connectRedis(settings.redisUrl);
  } catch (error) {
    await database.close();
    // node-redis's messages name the host and the cause, never the password.
    const { message, code } = error as Error & { code?: string };
    throw new ConfigError('REDIS_URL', `cannot use the Redis server: ${message || code || 'no answer'}`);
  }
  const cached =
    settings.redisCacheTtlSeconds === null
      ? database
      : withRedisCache(database, redis, { ttlSeconds: settings.redisCacheTtlSeconds, prefix: `${settings.redisPrefix}cache:` });
  if (settings.redisCacheTtlSeconds !== null) {
    await database.deployment?.set(REDIS_CACHE_FACT, JSON.stringify({ prefix: settings.redisPrefix, ttlSeconds: settings.redisCacheTtlSeconds }));
  }
  const jwt = redisJwtStore(redis, { prefix: settings.redisPrefix });
  const sessions = redisSessionStore(redis, ownUsers ?? cached.users, { prefix: settings.redisPrefix });
  // The database cascades a user's deletion to what it holds; what Redis holds is deleted first, here.
  const users: UserStore = {
    ...cached.users, // every store is a plain object of functions
    delete: async (id) => {
      await jwt.deleteUser(id);
      await sessions.destroyByUser(id);
      return cached.users.delete(id);
    },
  };
  return {
    users,
    tokens: cached.tokens,
    knoxTokens: cached.knoxTokens,
    jwt,
    sessions,
    throttle: redisThrottleStore(redis, { prefix: settings.redisPrefix }),
    deployment: database.deployment,
    close: async () => {
      redis.destroy();
      await database.close();
    },
  };
}

/** PostgreSQL when DATABASE_URL is set, else the SQLite file. */
async function openDatabase(settings: StorageSettings, ownUsers: UserRepository | null): Promise<Stores> {
  const storeOptions = ownUsers === null ? {} : { users: ownUsers };
  if (settings.databaseUrl !== null) {
    try {
      return await openPostgresStore(settings.databaseUrl, storeOptions);
    } catch (error) {
      // pg's messages name the host and the cause, never the password; a
      // refused "localhost" (IPv6 and IPv4) is an AggregateError with no message.
      const cause = error instanceof ServiceUnavailableError ? error.cause : error;
      const { message, code } = cause as Error & { code?: string };
      throw new ConfigError('DATABASE_URL', `cannot use the PostgreSQL database: ${message || code || 'no answer'}`);
    }
  }
  try {
    const store = openSqliteStore(settings.databasePath, storeOptions);
    return { ...store, close: async () => store.close() };
  } catch (error) {
    throw new ConfigError('DATABASE_PATH', `cannot open "${settings.databasePath}": ${(error as Error).message}`);
  }
}
