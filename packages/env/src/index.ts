import { Accounts, LoginThrottle, type Argon2Parameters } from '@authbench/accounts';
import {
  assertUserRepository,
  deleteInBatches,
  ConfigError,
  isProduction,
  readBoolean,
  readInteger,
  readString,
  readSchemeList,
  readTrustedProxies,
  withSettings,
  type AuthScheme,
  type Env,
  type UserId,
  type UserRepository,
} from '@authbench/core';
import { SCHEME_WIRINGS } from './schemes.js';
import { describeStorage, openStores, readStorageSettings, REDIS_CACHE_FACT, type StorageSettings, type Stores } from './storage.js';

/** The recorded cache, for the refusal: its key prefix and entry lifetime, never a URL. */
function describeCache(fact: string): string {
  try {
    const { prefix, ttlSeconds } = JSON.parse(fact) as { prefix?: unknown; ttlSeconds?: unknown };
    return `prefix ${String(prefix)}, entries live ${String(ttlSeconds)} s`;
  } catch {
    return 'recorded';
  }
}

export { SCHEME_WIRINGS } from './schemes.js';
export { describeStorage, readStorageSettings, type StorageSettings, type Stores } from './storage.js';

export interface AuthFromEnvOptions {
  /**
   * The application's own users. Default: authbench's users table, through
   * `Accounts` (Django's validators, Argon2id), which also serves register
   * and password change.
   */
  readonly users?: UserRepository | undefined;
  /** The SQLite file when DATABASE_PATH is unset. Default `authbench.sqlite3` in the working directory. */
  readonly defaultDatabasePath?: string | undefined;
  /** Argon2id cost for authbench's own users (tests lower it). Default OWASP's. */
  readonly hashing?: Argon2Parameters | undefined;
}

/** Everything the environment configured: hand it to `createAuth` of `@authbench/express`. */
export interface EnvAuth {
  /** In `AUTH_SCHEME` order: the first issues credentials at login and names the challenge. */
  readonly schemes: readonly AuthScheme[];
  /** The users the routes and schemes use: yours, or `accounts`. */
  readonly users: UserRepository;
  /** authbench's own users (register, password change, the CLI); null when the application brings its own. */
  readonly accounts: Accounts | null;
  /** Login throttling; undefined when LOGIN_THROTTLE=false. */
  readonly throttle: LoginThrottle | undefined;
  /** LOGIN_DEVICE_SECRET: signs the device cookies of login throttling; undefined for one random per process. */
  readonly deviceSecret: string | undefined;
  /** TRUST_PROXY: the proxies whose X-Forwarded-For gives the client address; empty for none. */
  readonly trustProxy: readonly string[];
  /** CORS_ALLOWED_ORIGINS, as `createAuth`'s `cors` option takes it; undefined when unset (no CORS headers). */
  readonly cors: { readonly origins: readonly string[] } | undefined;
  readonly storage: StorageSettings;
  readonly stores: Stores;
  /** Lines to print at start-up (a secret generated for this run, say). */
  readonly notices: readonly string[];
  /** One line saying where things are kept, never a password. */
  readonly description: string;
  /** Deletes expired knox tokens, jwt records and sessions (whatever AUTH_SCHEME says), and stale throttle counters: how many credentials, by scheme. */
  flushExpired(): Promise<Record<string, number>>;
  /**
   * Revokes every credential of the user in every credential store, whatever
   * AUTH_SCHEME says: a command-line tool may run with another one than the
   * server. Call it when the application deactivates or deletes a user, or
   * changes a password outside the password route.
   * @throws ConfigError when the servers cache credential lookups in Redis
   *   and this process has no cache to clear (see `assertRevocationReaches`).
   */
  revokeUser(userId: UserId): Promise<void>;
  /**
   * Throws the one-line ConfigError when this process changes users or
   * credentials without reaching a copy the servers keep: the database says
   * its servers cache lookups in Redis (REDIS_CACHE), and this process was
   * started without that cache. REDIS_CACHE=false, said outright, accepts it.
   */
  assertRevocationReaches(): void;
  close(): Promise<void>;
}

/** The settings `authFromEnv` reads itself; each scheme's come from its wiring (`SCHEME_WIRINGS[i].settings`). */
export const SETTINGS = [
  'AUTH_SCHEME',
  'DATABASE_PATH',
  'DATABASE_URL',
  'REDIS_URL',
  'REDIS_CACHE',
  'REDIS_CACHE_TTL',
  'REDIS_PREFIX',
  'LOGIN_THROTTLE',
  'LOGIN_THROTTLE_USER_FAILURES',
  'LOGIN_THROTTLE_ADDRESS_FAILURES',
  'LOGIN_THROTTLE_REGISTRATIONS',
  'LOGIN_DEVICE_SECRET',
  'LOGIN_THROTTLE_WINDOW',
  'LOGIN_THROTTLE_MAX_DELAY',
  'TRUST_PROXY',
  'CORS_ALLOWED_ORIGINS',
] as const;

/** An origin as a browser sends it: scheme, host, maybe a port; no path, no wildcard, no trailing slash. */
const ORIGIN = /^https?:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(:[0-9]{1,5})?$/;

/** CORS_ALLOWED_ORIGINS: a comma list of `scheme://host[:port]`; null when unset or empty. */
export function readCorsOrigins(env: Env): string[] | null {
  const origins = readString(env, 'CORS_ALLOWED_ORIGINS', '').split(',').map((o) => o.trim()).filter(Boolean);
  const bad = origins.find((o) => !ORIGIN.test(o));
  if (bad !== undefined) throw new ConfigError('CORS_ALLOWED_ORIGINS', `expected a comma list of scheme://host[:port] (http or https, no path, no wildcard), got "${bad}"`);
  return origins.length === 0 ? null : origins;
}

/**
 * A listed CORS origin that CSRF will still refuse: under session or jwt's
 * cookie transport, a cross-origin page's unsafe requests pass Django's
 * Origin check only when CSRF_TRUSTED_ORIGINS names it (exactly, or by a
 * `*.` entry of the same scheme). Not added on its own: trusting an origin to
 * read responses and trusting it to make a browser's state-changing requests
 * are two decisions, as with django-cors-headers.
 */
function untrustedCorsOrigins(env: Env, names: readonly string[], origins: readonly string[]): string[] {
  const cookieAuth = names.includes('session') || (names.includes('jwt') && readBoolean(env, 'JWT_COOKIE', false));
  if (!cookieAuth) return [];
  const trusted = readString(env, 'CSRF_TRUSTED_ORIGINS', '').split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
  return origins.filter((origin) => {
    const o = origin.toLowerCase();
    return !trusted.some((t) => {
      if (!t.includes('*')) return t === o;
      const [scheme, host] = t.split('://*', 2) as [string, string | undefined];
      return host !== undefined && o.startsWith(`${scheme}://`) && (o.endsWith(host) || o === `${scheme}://${host.slice(1)}`);
    });
  });
}

const THROTTLE_SETTING_OF = {
  userFailures: 'LOGIN_THROTTLE_USER_FAILURES',
  addressFailures: 'LOGIN_THROTTLE_ADDRESS_FAILURES',
  registrationsPerAddress: 'LOGIN_THROTTLE_REGISTRATIONS',
  windowSeconds: 'LOGIN_THROTTLE_WINDOW',
  maxDelaySeconds: 'LOGIN_THROTTLE_MAX_DELAY',
} as const;

/** The login throttle's settings; null when LOGIN_THROTTLE=false. On by default: DRF has none, but a public login route needs one. */
export function readThrottleSettings(env: Env) {
  if (!readBoolean(env, 'LOGIN_THROTTLE', true)) return null;
  return {
    userFailures: readInteger(env, THROTTLE_SETTING_OF.userFailures, 5, 1, 1_000_000),
    addressFailures: readInteger(env, THROTTLE_SETTING_OF.addressFailures, 20, 1, 1_000_000),
    registrationsPerAddress: readInteger(env, THROTTLE_SETTING_OF.registrationsPerAddress, 10, 1, 1_000_000),
    windowSeconds: readInteger(env, THROTTLE_SETTING_OF.windowSeconds, 900, 1, 7 * 86_400),
    maxDelaySeconds: readInteger(env, THROTTLE_SETTING_OF.maxDelaySeconds, 900, 1, 7 * 86_400),
  };
}

/** `AUTH_SCHEME` as a list of names, checked against the schemes this package wires. */
export function readSchemeNames(env: Env): string[] {
  return readSchemeList(env, 'AUTH_SCHEME', SCHEME_WIRINGS.map((w) => w.name), 'token');
}

/**
 * Turns an environment (`process.env`) into the configured schemes, stores,
 * users and throttle. Every setting is validated before anything connects;
 * a bad one throws a ConfigError whose message is one line naming it.
 *
 * @example
 *   const auth = createAuth(await authFromEnv(process.env));
 */
export async function authFromEnv(env: Env, options: AuthFromEnvOptions = {}): Promise<EnvAuth> {
  if (options.users !== undefined) assertUserRepository(options.users, 'authFromEnv: options.users');
  const names = readSchemeNames(env);
  const storage = readStorageSettings(env, options.defaultDatabasePath ?? 'authbench.sqlite3');
  const throttleSettings = readThrottleSettings(env);
  const trustProxy = readTrustedProxies(env);
  const deviceSecret = readString(env, 'LOGIN_DEVICE_SECRET', '') || undefined;
  const corsOrigins = readCorsOrigins(env);
  if (deviceSecret !== undefined && deviceSecret.length < 32) throw new ConfigError('LOGIN_DEVICE_SECRET', 'too weak: at least 32 characters are needed');

  const stores = await openStores(storage, options.users ?? null);
  try {
    const accounts =
      options.users === undefined
        ? new Accounts({
            users: stores.users,
            hashing: options.hashing,
            onUserCreated: async (user) => {
              for (const scheme of schemes) await scheme.onUserCreated?.(user);
            },
          })
        : null;
    const users = options.users ?? accounts!;
    const notices: string[] = [];
    if (throttleSettings !== null && deviceSecret === undefined && isProduction(env)) {
      notices.push('LOGIN_DEVICE_SECRET is not set: devices that logged in are recognised by this process only, until it restarts; give every instance the same secret.');
    }
    const untrusted = corsOrigins === null ? [] : untrustedCorsOrigins(env, names, corsOrigins);
    if (untrusted.length > 0) {
      notices.push(`CORS_ALLOWED_ORIGINS: ${untrusted.join(', ')} may read responses but not log in or change anything with the browser's cookies until CSRF_TRUSTED_ORIGINS lists it too.`);
    }
    const schemes = names.map((name) => SCHEME_WIRINGS.find((w) => w.name === name)!.fromEnv(env, { stores, users, notices }));
    const throttle =
      throttleSettings === null
        ? undefined
        : withSettings(THROTTLE_SETTING_OF, 'LOGIN_THROTTLE', () => new LoginThrottle({ store: stores.throttle, ...throttleSettings }));

    const cacheFact = storage.redisCacheTtlSeconds === null ? await stores.deployment?.get(REDIS_CACHE_FACT) : null;
    const cacheGap =
      cacheFact && readString(env, 'REDIS_CACHE', '') === ''
        ? new ConfigError(
            'REDIS_CACHE',
            `this database's servers cache credential lookups in Redis (${describeCache(cacheFact)}): run with their REDIS_URL and REDIS_CACHE=true, or with REDIS_CACHE=false to change the database alone, which the servers' cache may contradict until its entries expire`,
          )
        : null;
    const assertRevocationReaches = () => {
      if (cacheGap) throw cacheGap;
    };

    return {
      schemes,
      users,
      accounts,
      throttle,
      trustProxy,
      cors: corsOrigins === null ? undefined : { origins: corsOrigins },
      deviceSecret,
      storage,
      stores,
      notices,
      description: describeStorage(storage),
      async flushExpired() {
        // Every store that keeps expiring credentials, whatever AUTH_SCHEME says: a scheme
        // switched off leaves its rows behind, and a command-line run may name another scheme.
        const now = new Date();
        const iso = now.toISOString();
        const deleted = {
          knox: await deleteInBatches((batch) => stores.knoxTokens.deleteExpired(iso, batch)),
          jwt: await deleteInBatches((batch) => stores.jwt.deleteExpired(iso, batch)),
          session: await deleteInBatches((batch) => stores.sessions.deleteExpired(iso, batch)),
        };
        await throttle?.flushExpired(); // counters, not credentials: swept alongside, not reported
        return deleted;
      },
      assertRevocationReaches,
      async revokeUser(userId) {
        assertRevocationReaches();
        // What each scheme's revokeUser does without a credential to keep, for all four stores.
        await stores.tokens.deleteByUser(userId);
        await stores.knoxTokens.deleteAll(userId);
        await stores.jwt.revokeAllLogins(userId, new Date().toISOString());
        await stores.sessions.destroyByUser(userId);
      },
      close: () => stores.close(),
    };
  } catch (error) {
    await stores.close();
    throw error;
  }
}
