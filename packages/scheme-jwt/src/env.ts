import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, isProduction, readBoolean, readInteger, readString, readTrustedProxies, withSettings, type Env, type SchemeWiring } from '@authbench/core';
import { jwtScheme } from './index.js';
import { ALGORITHMS, MIN_SECRET_BYTES, type JwtAlgorithm } from './keys.js';

const YEAR = 366 * 86_400;
const list = (env: Env, name: string) => readString(env, name, '').split(',').map((v) => v.trim()).filter(Boolean);

function readFile(setting: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(setting, `cannot read "${path}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/**
 * The keys. HMAC: JWT_SIGNING_KEY, and JWT_VERIFYING_KEYS (comma list) of
 * older secrets. Asymmetric: PEM files. Without a key, development generates
 * one for the run and says so; production refuses to start.
 */
function readKeys(env: Env, algorithm: JwtAlgorithm, notices: string[]): { signingKey: string; verifyingKeys: string[] } {
  const production = isProduction(env);
  if (algorithm.startsWith('HS')) {
    const verifyingKeys = list(env, 'JWT_VERIFYING_KEYS');
    let signingKey = readString(env, 'JWT_SIGNING_KEY', '');
    if (signingKey === '') {
      if (production) throw new ConfigError('JWT_SIGNING_KEY', `required in production (a random secret of at least ${MIN_SECRET_BYTES} bytes)`);
      signingKey = randomBytes(32).toString('base64url');
      notices.push('JWT_SIGNING_KEY is not set: generated a random one for this run; tokens will not survive a restart.');
    }
    if (Buffer.byteLength(signingKey) < MIN_SECRET_BYTES) {
      throw new ConfigError('JWT_SIGNING_KEY', `too weak: at least ${MIN_SECRET_BYTES} bytes are needed for ${algorithm}`);
    }
    return { signingKey, verifyingKeys };
  }
  const privateFile = readString(env, 'JWT_PRIVATE_KEY_FILE', '');
  const verifyingKeys = list(env, 'JWT_PUBLIC_KEY_FILES').map((file) => readFile('JWT_PUBLIC_KEY_FILES', file));
  if (privateFile !== '') return { signingKey: readFile('JWT_PRIVATE_KEY_FILE', privateFile), verifyingKeys };
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

const SETTINGS = [
  'JWT_ALGORITHM',
  'JWT_SIGNING_KEY',
  'JWT_VERIFYING_KEYS',
  'JWT_PRIVATE_KEY_FILE',
  'JWT_PUBLIC_KEY_FILES',
  'JWT_ACCESS_TOKEN_LIFETIME',
  'JWT_REFRESH_TOKEN_LIFETIME',
  'JWT_ROTATE_REFRESH_TOKENS',
  'JWT_REFRESH_GRACE',
  'JWT_AUTH_HEADER_TYPES',
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'JWT_LEEWAY',
  'JWT_STATELESS',
  'JWT_CHECK_REVOCATION',
  'JWT_UPDATE_LAST_LOGIN',
  'JWT_VERIFIER',
  'JWT_COOKIE',
] as const;

/**
 * The cookie transport's CSRF_TRUSTED_ORIGINS, the setting the session scheme
 * reads, under the same rule: each entry starts with its scheme (Django's
 * check 4_0.E001).
 */
function readTrustedOrigins(env: Env): string[] {
  const origins = list(env, 'CSRF_TRUSTED_ORIGINS');
  const schemeless = origins.find((o) => !o.includes('://'));
  if (schemeless !== undefined) {
    throw new ConfigError('CSRF_TRUSTED_ORIGINS', `the values must start with a scheme (usually http:// or https://) but found ${schemeless} (Django's check 4_0.E001)`);
  }
  return origins;
}

/**
 * JWT_COOKIE=true: the cookie transport, its cookies Secure in production (as
 * the session scheme's), over HTTPS as TRUST_PROXY tells it elsewhere, and
 * CSRF_TRUSTED_ORIGINS for its CSRF checks.
 */
function readCookieTransport(env: Env, notices: string[]) {
  if (!readBoolean(env, 'JWT_COOKIE', false)) return { cookies: false };
  const production = isProduction(env);
  if (production) notices.push('JWT_COOKIE: in production the jwt and CSRF cookies are Secure (sent over HTTPS only).');
  return {
    cookies: true,
    secureCookies: production ? true : ('auto' as const),
    trustProxy: readTrustedProxies(env, 'TRUST_PROXY'),
    trustedOrigins: readTrustedOrigins(env),
  };
}

/** `AUTH_SCHEME=jwt`: djangorestframework-simplejwt, configured by environment (simplejwt's names under `JWT_`). */
export const jwtWiring: SchemeWiring = {
  name: 'jwt',
  settings: SETTINGS,
  fromEnv(env, { stores, users, notices }) {
    const algorithm = readString(env, 'JWT_ALGORITHM', 'HS256') as JwtAlgorithm;
    if (!ALGORITHMS.includes(algorithm)) throw new ConfigError('JWT_ALGORITHM', `expected one of ${ALGORITHMS.join(', ')}, got "${algorithm}"`);
    const optional = (name: string) => readString(env, name, '') || undefined;
    const options = {
      algorithm,
      ...readKeys(env, algorithm, notices),
      accessTokenLifetime: readInteger(env, 'JWT_ACCESS_TOKEN_LIFETIME', 300, 1, YEAR),
      refreshTokenLifetime: readInteger(env, 'JWT_REFRESH_TOKEN_LIFETIME', 86_400, 1, 10 * YEAR),
      rotateRefreshTokens: readBoolean(env, 'JWT_ROTATE_REFRESH_TOKENS', true),
      refreshGraceSeconds: readInteger(env, 'JWT_REFRESH_GRACE', 10, 0, 3600),
      authHeaderTypes: readString(env, 'JWT_AUTH_HEADER_TYPES', 'Bearer').split(',').map((t) => t.trim()),
      issuer: optional('JWT_ISSUER'),
      audience: optional('JWT_AUDIENCE'),
      leeway: readInteger(env, 'JWT_LEEWAY', 0, 0, 3600),
      stateless: readBoolean(env, 'JWT_STATELESS', false),
      checkRevocation: readBoolean(env, 'JWT_CHECK_REVOCATION', false),
      updateLastLogin: readBoolean(env, 'JWT_UPDATE_LAST_LOGIN', false),
      verifier: readString(env, 'JWT_VERIFIER', 'node') as 'node' | 'jose',
      ...readCookieTransport(env, notices),
    };
    const asymmetric = !algorithm.startsWith('HS');
    const settingOf = {
      algorithm: 'JWT_ALGORITHM',
      signingKey: asymmetric ? 'JWT_PRIVATE_KEY_FILE' : 'JWT_SIGNING_KEY',
      verifyingKeys: asymmetric ? 'JWT_PUBLIC_KEY_FILES' : 'JWT_VERIFYING_KEYS',
      authHeaderTypes: 'JWT_AUTH_HEADER_TYPES',
      verifier: 'JWT_VERIFIER',
      cookies: 'JWT_COOKIE',
      trustProxy: 'TRUST_PROXY',
      trustedOrigins: 'CSRF_TRUSTED_ORIGINS',
    };
    return withSettings(settingOf, 'AUTH_SCHEME', () => jwtScheme({ jwt: stores.jwt, users, ...options }));
  },
};
