import {
  Accounts,
  ConfigError,
  LoginThrottle,
  ServiceUnavailableError,
  type Argon2Parameters,
  type AuthScheme,
  type JwtStore,
  type KnoxTokenStore,
  type SessionStore,
  type ThrottleStore,
  type TokenStore,
  type UserStore,
} from '@authbench/core';
import { jwtScheme } from '@authbench/scheme-jwt';
import { knoxScheme } from '@authbench/scheme-knox';
import { sessionScheme } from '@authbench/scheme-session';
import { tokenScheme } from '@authbench/scheme-token';
import { openPostgresStore } from '@authbench/store-postgres';
import { connectRedis, redisJwtStore, redisSessionStore, redisThrottleStore, withRedisCache, type RedisClient } from '@authbench/store-redis';
import { openSqliteStore } from '@authbench/store-sqlite';
import type { AppConfig } from './config.js';

/** Every repository the schemes use, from whichever engine is configured. */
export interface Stores {
  readonly users: UserStore;
  readonly tokens: TokenStore;
  readonly knoxTokens: KnoxTokenStore;
  readonly jwt: JwtStore;
  readonly sessions: SessionStore;
  readonly throttle: ThrottleStore;
  close(): void | Promise<void>;
}

/** The store, the configured schemes in order, and the account service wired to both. */
export interface AuthStack {
  readonly store: Stores;
  readonly schemes: readonly AuthScheme[];
  readonly accounts: Accounts;
  /** Login throttling for createAuthApp; null when LOGIN_THROTTLE=false. */
  readonly throttle: LoginThrottle | null;
  /** Deletes every configured scheme's expired credentials: how many, by scheme. */
  flushExpired(): Promise<Record<string, number>>;
  /**
   * Revokes every credential of the user in every credential store, whatever
   * AUTH_SCHEME says: the CLI may run with another one than the server did.
   */
  revokeUser(userId: number): Promise<void>;
  close(): Promise<void>;
}

type SchemeFactory = (config: AppConfig, store: Stores) => AuthScheme;

/** The only place that knows which package implements which scheme. */
const FACTORIES: Record<string, SchemeFactory> = {
  token: (config, store) =>
    withSettings({ keyword: 'TOKEN_KEYWORD' }, () =>
      tokenScheme({
        tokens: store.tokens,
        keyword: config.token.keyword,
        createOnUserCreated: config.token.createOnUserCreated,
      }),
    ),
  knox: (config, store) =>
    withSettings(
      {
        keyword: 'KNOX_AUTH_HEADER_PREFIX',
        tokenPrefix: 'KNOX_TOKEN_PREFIX',
        hashAlgorithm: 'KNOX_SECURE_HASH_ALGORITHM',
        autoRefreshMaxTtlSeconds: 'KNOX_AUTO_REFRESH_MAX_TTL',
      },
      () => knoxScheme({ knoxTokens: store.knoxTokens, ...config.knox }),
    ),
  jwt: (config, store) =>
    withSettings(
      {
        algorithm: 'JWT_ALGORITHM',
        signingKey: config.jwt.algorithm.startsWith('HS') ? 'JWT_SIGNING_KEY' : 'JWT_PRIVATE_KEY_FILE',
        authHeaderTypes: 'JWT_AUTH_HEADER_TYPES',
      },
      () => jwtScheme({ jwt: store.jwt, users: store.users, ...config.jwt }),
    ),
  session: (config, store) =>
    withSettings({ secrets: 'SESSION_SECRET', cookieAgeSeconds: 'SESSION_COOKIE_AGE' }, () =>
      sessionScheme({ sessions: store.sessions, ...config.session }),
    ),
};

/**
 * A factory refuses a bad option with a TypeError naming it
 * (`options.keyword`); report it under the environment setting it came from.
 */
function withSettings<T>(settingOf: Record<string, string>, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const option = /options\.(\w+)/.exec(error.message)?.[1] ?? '';
    throw new ConfigError(settingOf[option] ?? 'AUTH_SCHEME', error.message);
  }
}

/**
 * The database (PostgreSQL or SQLite) for everything; with REDIS_URL, Redis
 * takes the jwt logins and the sessions (short-lived, expiring by TTL), and
 * with REDIS_CACHE it also caches token and knox lookups in front of
 * PostgreSQL. A server that does not answer stops start-up with one line.
 */
async function openStores(config: AppConfig): Promise<Stores> {
  const database = await openDatabase(config);
  if (config.redisUrl === null) return database;
  let redis: RedisClient;
  try {
    redis = await connectRedis(config.redisUrl);
  } catch (error) {
    await database.close();
    // node-redis's messages name the host and the cause, never the password.
    const { message, code } = error as Error & { code?: string };
    throw new ConfigError('REDIS_URL', `cannot use the Redis server: ${message || code || 'no answer'}`);
  }
  const cached =
    config.redisCacheTtlSeconds === null
      ? database
      : withRedisCache(database, redis, { ttlSeconds: config.redisCacheTtlSeconds, prefix: `${config.redisPrefix}cache:` });
  const jwt = redisJwtStore(redis, { prefix: config.redisPrefix });
  const sessions = redisSessionStore(redis, cached.users, { prefix: config.redisPrefix });
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
    throttle: redisThrottleStore(redis, { prefix: config.redisPrefix }),
    close: async () => {
      redis.destroy();
      await database.close();
    },
  };
}

/** PostgreSQL when DATABASE_URL is set, else the SQLite file. */
async function openDatabase(config: AppConfig): Promise<Stores> {
  if (config.databaseUrl !== null) {
    try {
      return await openPostgresStore(config.databaseUrl);
    } catch (error) {
      // pg's messages name the host and the cause, never the password; a
      // refused "localhost" (IPv6 and IPv4) is an AggregateError with no message.
      const cause = error instanceof ServiceUnavailableError ? error.cause : error;
      const { message, code } = cause as Error & { code?: string };
      throw new ConfigError('DATABASE_URL', `cannot use the PostgreSQL database: ${message || code || 'no answer'}`);
    }
  }
  try {
    return openSqliteStore(config.databasePath);
  } catch (error) {
    throw new ConfigError('DATABASE_PATH', `cannot open "${config.databasePath}": ${(error as Error).message}`);
  }
}

export async function buildAuthStack(config: AppConfig, options: { hashing?: Argon2Parameters } = {}): Promise<AuthStack> {
  const store = await openStores(config);
  try {
    const schemes = config.schemes.map((name) => {
      const factory = FACTORIES[name];
      if (!factory) throw new ConfigError('AUTH_SCHEME', `no factory for scheme "${name}"`);
      return factory(config, store);
    });
    const accounts = new Accounts({
      users: store.users,
      hashing: options.hashing,
      onUserCreated: async (user) => {
        for (const scheme of schemes) await scheme.onUserCreated?.(user);
      },
    });
    const throttle =
      config.loginThrottle &&
      withSettings(
        {
          userFailures: 'LOGIN_THROTTLE_USER_FAILURES',
          addressFailures: 'LOGIN_THROTTLE_ADDRESS_FAILURES',
          windowSeconds: 'LOGIN_THROTTLE_WINDOW',
          maxDelaySeconds: 'LOGIN_THROTTLE_MAX_DELAY',
        },
        () => new LoginThrottle({ store: store.throttle, ...config.loginThrottle }),
      );
    const flushExpired = async () => {
      const deleted: Record<string, number> = {};
      for (const scheme of schemes) if (scheme.flushExpired) deleted[scheme.name] = await scheme.flushExpired();
      await throttle?.flushExpired(); // counters, not credentials: swept alongside, not reported
      return deleted;
    };
    // What each scheme's revokeUser does without a credential to keep, for all four stores.
    const revokeUser = async (userId: number) => {
      await store.tokens.deleteByUser(userId);
      await store.knoxTokens.deleteAll(userId);
      await store.jwt.revokeAllLogins(userId, new Date().toISOString());
      await store.sessions.destroyByUser(userId);
    };
    return { store, schemes, accounts, throttle, flushExpired, revokeUser, close: async () => await store.close() };
  } catch (error) {
    await store.close();
    throw error;
  }
}
