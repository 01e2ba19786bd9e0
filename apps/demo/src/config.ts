import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, isProduction, readBoolean, readInteger, readOptionalInteger, readSchemeList, readString, type Env } from '@authbench/core';
import { LOG_LEVELS, type LogLevel } from '@authbench/express';
import { ALGORITHMS, MIN_SECRET_BYTES, type JwtAlgorithm } from '@authbench/scheme-jwt';
import { MIN_SECRET_LENGTH } from '@authbench/scheme-session';

export const AVAILABLE_SCHEMES = ['token', 'knox', 'jwt', 'session'] as const;

export interface AppConfig {
  /** In the order they are tried; the first issues credentials. */
  readonly schemes: readonly string[];
  readonly port: number;
  readonly host: string;
  readonly databasePath: string;
  /** PostgreSQL (`postgres://…`) instead of the SQLite file; null for SQLite, the default. */
  readonly databaseUrl: string | null;
  /** Redis (`redis://…`) for jwt logins and sessions, and the cache; null for none, the default. */
  readonly redisUrl: string | null;
  /** Put before every Redis key, so that several apps can share one server. */
  readonly redisPrefix: string;
  /** Seconds a Redis cache entry for a token or knox lookup lives; null when the cache is off. */
  readonly redisCacheTtlSeconds: number | null;
  readonly token: { readonly keyword: string; readonly createOnUserCreated: boolean };
  readonly knox: KnoxSettings;
  readonly jwt: JwtSettings;
  readonly session: SessionSettings;
  /** Lines to print at start-up (a generated development key, say). */
  readonly notices: readonly string[];
  /** Seconds between sweeps of expired credentials; 0 turns the sweep off. */
  readonly flushIntervalSeconds: number;
  /** Login throttling (core's LoginThrottle options); null when LOGIN_THROTTLE=false. */
  readonly loginThrottle: LoginThrottleSettings | null;
  /** pino's level for the JSON lines on stdout; `silent` turns them off. */
  readonly logLevel: LogLevel;
}

export interface LoginThrottleSettings {
  readonly userFailures: number;
  readonly addressFailures: number;
  readonly windowSeconds: number;
  readonly maxDelaySeconds: number;
}

export interface KnoxSettings {
  readonly keyword: string;
  readonly tokenTtlSeconds: number | null;
  readonly autoRefresh: boolean;
  readonly autoRefreshMaxTtlSeconds: number | null;
  readonly minRefreshIntervalSeconds: number;
  readonly tokenLimitPerUser: number | null;
  readonly tokenPrefix: string;
  readonly hashAlgorithm: string;
  readonly loginIncludesUser: boolean;
}

export interface JwtSettings {
  readonly algorithm: JwtAlgorithm;
  readonly signingKey: string;
  readonly verifyingKeys: readonly string[];
  readonly accessTokenLifetime: number;
  readonly refreshTokenLifetime: number;
  readonly rotateRefreshTokens: boolean;
  readonly authHeaderTypes: readonly string[];
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
  readonly leeway: number;
  readonly stateless: boolean;
  readonly checkRevocation: boolean;
}

export interface SessionSettings {
  readonly secrets: readonly string[];
  readonly cookieAgeSeconds: number;
  readonly secureCookies: boolean | 'auto';
  readonly trustProxy: boolean;
  readonly rolling: boolean;
  readonly trustedOrigins: readonly string[];
}

const YEAR = 366 * 86_400;

const list = (env: Env, name: string) => readString(env, name, '').split(',').map((v) => v.trim()).filter(Boolean);

function readSession(env: Env, notices: string[], needed: boolean): SessionSettings {
  let secrets = list(env, 'SESSION_SECRET');
  if (secrets.length === 0 && needed) {
    if (isProduction(env)) throw new ConfigError('SESSION_SECRET', `required in production (a random secret of at least ${MIN_SECRET_LENGTH} characters)`);
    secrets = [randomBytes(32).toString('base64url')];
    notices.push('SESSION_SECRET is not set: generated a random one for this run; sessions will not survive a restart.');
  }
  if (needed && secrets.some((s) => s.length < MIN_SECRET_LENGTH)) {
    throw new ConfigError('SESSION_SECRET', `too weak: each secret needs at least ${MIN_SECRET_LENGTH} characters`);
  }
  const secure = readString(env, 'SESSION_COOKIE_SECURE', 'auto').toLowerCase();
  return {
    secrets,
    cookieAgeSeconds: readInteger(env, 'SESSION_COOKIE_AGE', 1_209_600, 1, 10 * YEAR),
    secureCookies: secure === 'auto' ? 'auto' : readBoolean(env, 'SESSION_COOKIE_SECURE', false),
    trustProxy: readBoolean(env, 'TRUST_PROXY', false),
    rolling: readBoolean(env, 'SESSION_ROLLING', false),
    trustedOrigins: readTrustedOrigins(env, notices),
  };
}

/**
 * CSRF_TRUSTED_ORIGINS as Django takes it: each entry needs its scheme
 * (Django's check 4_0.E001), so a bare `app.example.com` or `*` stops the
 * start rather than trusting nothing in silence. Like Django, an entry is
 * not normalised: one with a path (a trailing slash, say) can never equal an
 * Origin header, which says so at start-up.
 */
function readTrustedOrigins(env: Env, notices: string[]): string[] {
  const origins = list(env, 'CSRF_TRUSTED_ORIGINS');
  for (const origin of origins) {
    if (!origin.includes('://')) {
      throw new ConfigError('CSRF_TRUSTED_ORIGINS', `the values must start with a scheme (usually http:// or https://) but found ${origin} (Django's check 4_0.E001)`);
    }
    if (!origin.includes('*') && /^[^:]*:\/\/[^/?#]*[/?#]/.test(origin)) {
      notices.push(`CSRF_TRUSTED_ORIGINS: ${origin} has a path, so it never equals an Origin header (as in Django); only a Referer's host can match it. Write it without one: scheme://host[:port].`);
    }
  }
  return origins;
}

function readFile(setting: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(setting, `cannot read "${path}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/**
 * The jwt keys. HMAC: JWT_SIGNING_KEY, and JWT_VERIFYING_KEYS (comma list) of
 * older secrets. Asymmetric: PEM files. Without a key, development generates
 * one for the run and says so; production refuses to start.
 */
function readJwtKeys(env: Env, algorithm: JwtAlgorithm, notices: string[], needed: boolean) {
  const production = isProduction(env);
  if (algorithm.startsWith('HS')) {
    const verifyingKeys = readString(env, 'JWT_VERIFYING_KEYS', '').split(',').map((k) => k.trim()).filter(Boolean);
    let signingKey = readString(env, 'JWT_SIGNING_KEY', '');
    if (signingKey === '' && needed) {
      if (production) throw new ConfigError('JWT_SIGNING_KEY', `required in production (a random secret of at least ${MIN_SECRET_BYTES} bytes)`);
      signingKey = randomBytes(32).toString('base64url');
      notices.push('JWT_SIGNING_KEY is not set: generated a random one for this run; tokens will not survive a restart.');
    }
    if (needed && Buffer.byteLength(signingKey) < MIN_SECRET_BYTES) {
      throw new ConfigError('JWT_SIGNING_KEY', `too weak: at least ${MIN_SECRET_BYTES} bytes are needed for ${algorithm}`);
    }
    return { signingKey, verifyingKeys };
  }
  const privateFile = readString(env, 'JWT_PRIVATE_KEY_FILE', '');
  const verifyingKeys = readString(env, 'JWT_PUBLIC_KEY_FILES', '')
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean)
    .map((file) => readFile('JWT_PUBLIC_KEY_FILES', file));
  if (privateFile !== '') return { signingKey: readFile('JWT_PRIVATE_KEY_FILE', privateFile), verifyingKeys };
  if (!needed) return { signingKey: '', verifyingKeys };
  if (production) throw new ConfigError('JWT_PRIVATE_KEY_FILE', `required in production for ${algorithm} (a PKCS#8 PEM private key)`);
  const { privateKey } =
    algorithm === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : algorithm === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  notices.push(`JWT_PRIVATE_KEY_FILE is not set: generated a ${algorithm} key for this run; tokens will not survive a restart.`);
  return { signingKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), verifyingKeys };
}

function readJwt(env: Env, notices: string[], needed: boolean): JwtSettings {
  const algorithm = readString(env, 'JWT_ALGORITHM', 'HS256') as JwtAlgorithm;
  if (!ALGORITHMS.includes(algorithm)) throw new ConfigError('JWT_ALGORITHM', `expected one of ${ALGORITHMS.join(', ')}, got "${algorithm}"`);
  const optional = (name: string) => {
    const value = readString(env, name, '');
    return value === '' ? undefined : value;
  };
  return {
    algorithm,
    ...readJwtKeys(env, algorithm, notices, needed),
    accessTokenLifetime: readInteger(env, 'JWT_ACCESS_TOKEN_LIFETIME', 300, 1, YEAR),
    refreshTokenLifetime: readInteger(env, 'JWT_REFRESH_TOKEN_LIFETIME', 86_400, 1, 10 * YEAR),
    rotateRefreshTokens: readBoolean(env, 'JWT_ROTATE_REFRESH_TOKENS', true),
    authHeaderTypes: readString(env, 'JWT_AUTH_HEADER_TYPES', 'Bearer').split(',').map((t) => t.trim()),
    issuer: optional('JWT_ISSUER'),
    audience: optional('JWT_AUDIENCE'),
    leeway: readInteger(env, 'JWT_LEEWAY', 0, 0, 3600),
    stateless: readBoolean(env, 'JWT_STATELESS', false),
    checkRevocation: readBoolean(env, 'JWT_CHECK_REVOCATION', false),
  };
}

function readLogLevel(env: Env): LogLevel {
  const level = readString(env, 'LOG_LEVEL', 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
  return level as LogLevel;
}

/** On by default: DRF has no login throttle, but a public login route needs one. */
function readLoginThrottle(env: Env): LoginThrottleSettings | null {
  if (!readBoolean(env, 'LOGIN_THROTTLE', true)) return null;
  return {
    userFailures: readInteger(env, 'LOGIN_THROTTLE_USER_FAILURES', 5, 1, 1_000_000),
    addressFailures: readInteger(env, 'LOGIN_THROTTLE_ADDRESS_FAILURES', 20, 1, 1_000_000),
    windowSeconds: readInteger(env, 'LOGIN_THROTTLE_WINDOW', 900, 1, 7 * 86_400),
    maxDelaySeconds: readInteger(env, 'LOGIN_THROTTLE_MAX_DELAY', 900, 1, 7 * 86_400),
  };
}

/** `apps/demo/data/authbench.sqlite3`, wherever the app is started from. */
export const DEFAULT_DATABASE_PATH = fileURLToPath(new URL('../data/authbench.sqlite3', import.meta.url));

/** Every setting of the demo, validated; throws ConfigError naming the first bad one. */
export function readConfig(env: Env): AppConfig {
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
  const schemes = readSchemeList(env, 'AUTH_SCHEME', AVAILABLE_SCHEMES, 'token');
  const notices: string[] = [];
  return {
    schemes,
    port: readInteger(env, 'PORT', 8000, 0, 65_535),
    host: readString(env, 'HOST', '127.0.0.1'),
    databasePath: resolve(readString(env, 'DATABASE_PATH', DEFAULT_DATABASE_PATH)),
    databaseUrl: databaseUrl === '' ? null : databaseUrl,
    redisUrl: redisUrl === '' ? null : redisUrl,
    redisPrefix,
    redisCacheTtlSeconds: redisCache ? redisCacheTtl : null,
    token: {
      keyword: readString(env, 'TOKEN_KEYWORD', 'Token'),
      createOnUserCreated: readBoolean(env, 'TOKEN_CREATE_ON_REGISTER', false),
    },
    knox: {
      keyword: readString(env, 'KNOX_AUTH_HEADER_PREFIX', 'Token'),
      tokenTtlSeconds: readOptionalInteger(env, 'KNOX_TOKEN_TTL', 36_000, 1, 10 * YEAR),
      autoRefresh: readBoolean(env, 'KNOX_AUTO_REFRESH', false),
      autoRefreshMaxTtlSeconds: readOptionalInteger(env, 'KNOX_AUTO_REFRESH_MAX_TTL', 30 * 86_400, 1, 10 * YEAR),
      minRefreshIntervalSeconds: readInteger(env, 'KNOX_MIN_REFRESH_INTERVAL', 60, 0, YEAR),
      tokenLimitPerUser: readOptionalInteger(env, 'KNOX_TOKEN_LIMIT_PER_USER', null, 1, 1_000_000),
      tokenPrefix: readString(env, 'KNOX_TOKEN_PREFIX', ''),
      hashAlgorithm: readString(env, 'KNOX_SECURE_HASH_ALGORITHM', 'sha512'),
      loginIncludesUser: readBoolean(env, 'KNOX_LOGIN_INCLUDES_USER', false),
    },
    jwt: readJwt(env, notices, schemes.includes('jwt')),
    session: readSession(env, notices, schemes.includes('session')),
    flushIntervalSeconds: readInteger(env, 'FLUSH_EXPIRED_INTERVAL', 3600, 0, 7 * 86_400),
    loginThrottle: readLoginThrottle(env),
    logLevel: readLogLevel(env),
    notices,
  };
}
