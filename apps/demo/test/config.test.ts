import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@authbench/core';
import { DEFAULT_DATABASE_PATH, readConfig } from '../src/config.js';

describe('readConfig', () => {
  it("defaults to DRF's token on 127.0.0.1:8000 over the app's SQLite file", () => {
    expect(readConfig({})).toEqual({
      schemes: ['token'],
      port: 8000,
      host: '127.0.0.1',
      databasePath: DEFAULT_DATABASE_PATH,
      databaseUrl: null,
      redisUrl: null,
      redisPrefix: 'authbench:',
      redisCacheTtlSeconds: null,
      token: { keyword: 'Token', createOnUserCreated: false },
      knox: {
        keyword: 'Token',
        tokenTtlSeconds: 36_000,
        autoRefresh: false,
        autoRefreshMaxTtlSeconds: 30 * 86_400,
        minRefreshIntervalSeconds: 60,
        tokenLimitPerUser: null,
        tokenPrefix: '',
        hashAlgorithm: 'sha512',
        loginIncludesUser: false,
      },
      session: { secrets: [], cookieAgeSeconds: 1_209_600, secureCookies: 'auto', trustProxy: false, rolling: false, trustedOrigins: [] },
      jwt: expect.objectContaining({ algorithm: 'HS256', signingKey: '', accessTokenLifetime: 300, refreshTokenLifetime: 86_400, rotateRefreshTokens: true }),
      flushIntervalSeconds: 3600,
      logLevel: 'info',
      loginThrottle: { userFailures: 5, addressFailures: 20, windowSeconds: 900, maxDelaySeconds: 900 },
      notices: [],
    });
    expect(DEFAULT_DATABASE_PATH).toMatch(/apps\/demo\/data\/authbench\.sqlite3$/);
  });

  it('takes a redis:// REDIS_URL, and a cache only in front of PostgreSQL', () => {
    const pg = 'postgres://db/auth';
    expect(readConfig({ REDIS_URL: 'redis://127.0.0.1:6379' })).toMatchObject({ redisUrl: 'redis://127.0.0.1:6379', redisCacheTtlSeconds: null });
    expect(readConfig({ REDIS_URL: 'rediss://cache:6380', DATABASE_URL: pg, REDIS_CACHE: 'true' }).redisCacheTtlSeconds).toBe(60);
    expect(readConfig({ REDIS_URL: 'redis://c', DATABASE_URL: pg, REDIS_CACHE: 'true', REDIS_CACHE_TTL: '5' }).redisCacheTtlSeconds).toBe(5);
    expect(() => readConfig({ REDIS_URL: 'http://user:hunter2@cache' })).toThrow(
      new ConfigError('REDIS_URL', 'expected a redis:// or rediss:// URL; unset it to keep everything in the database'),
    );
    try {
      readConfig({ REDIS_URL: 'http://user:hunter2@cache' });
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
    const needsBoth = new ConfigError('REDIS_CACHE', 'the cache sits in Redis in front of PostgreSQL: it needs both REDIS_URL and DATABASE_URL');
    expect(() => readConfig({ REDIS_CACHE: 'true', DATABASE_URL: pg })).toThrow(needsBoth);
    expect(() => readConfig({ REDIS_CACHE: 'true', REDIS_URL: 'redis://c' })).toThrow(needsBoth);
    expect(() => readConfig({ REDIS_CACHE: 'yes please' })).toThrow(/^REDIS_CACHE: /);
    expect(readConfig({ REDIS_PREFIX: 'shop:auth:' }).redisPrefix).toBe('shop:auth:');
    expect(() => readConfig({ REDIS_PREFIX: 'two words' })).toThrow(/^REDIS_PREFIX: /);
    expect(() => readConfig({ REDIS_URL: 'redis://c', DATABASE_URL: pg, REDIS_CACHE: 'true', REDIS_CACHE_TTL: '0' })).toThrow(/^REDIS_CACHE_TTL: /);
  });

  it('reads login throttling, on by default; LOGIN_THROTTLE=false turns it off', () => {
    expect(
      readConfig({
        LOGIN_THROTTLE_USER_FAILURES: '3',
        LOGIN_THROTTLE_ADDRESS_FAILURES: '50',
        LOGIN_THROTTLE_WINDOW: '3600',
        LOGIN_THROTTLE_MAX_DELAY: '60',
      }).loginThrottle,
    ).toEqual({ userFailures: 3, addressFailures: 50, windowSeconds: 3600, maxDelaySeconds: 60 });
    expect(readConfig({ LOGIN_THROTTLE: 'false', LOGIN_THROTTLE_USER_FAILURES: '3' }).loginThrottle).toBeNull();
  });

  it('takes a postgres:// or postgresql:// DATABASE_URL in place of the SQLite file', () => {
    expect(readConfig({ DATABASE_URL: 'postgres://app:pw@db:5432/auth' }).databaseUrl).toBe('postgres://app:pw@db:5432/auth');
    expect(readConfig({ DATABASE_URL: 'postgresql://db/auth' }).databaseUrl).toBe('postgresql://db/auth');
    expect(readConfig({ DATABASE_URL: '' }).databaseUrl).toBeNull();
  });

  it("reads knox's settings, with none for knox's None", () => {
    const { knox, schemes } = readConfig({
      AUTH_SCHEME: 'knox,token',
      KNOX_TOKEN_TTL: 'none',
      KNOX_AUTO_REFRESH: 'true',
      KNOX_AUTO_REFRESH_MAX_TTL: 'None',
      KNOX_TOKEN_LIMIT_PER_USER: '5',
      KNOX_TOKEN_PREFIX: 'ab_',
    });
    expect(schemes).toEqual(['knox', 'token']);
    expect(knox).toMatchObject({ tokenTtlSeconds: null, autoRefresh: true, autoRefreshMaxTtlSeconds: null, tokenLimitPerUser: 5, tokenPrefix: 'ab_' });
  });

  it('generates a jwt secret in development and says so', () => {
    const config = readConfig({ AUTH_SCHEME: 'jwt' });
    expect(config.jwt.signingKey).toHaveLength(43);
    expect(config.notices).toEqual(['JWT_SIGNING_KEY is not set: generated a random one for this run; tokens will not survive a restart.']);
    expect(readConfig({ AUTH_SCHEME: 'jwt', JWT_SIGNING_KEY: 's'.repeat(32) }).notices).toEqual([]);
  });

  it('reads session settings, and generates a secret in development', () => {
    const config = readConfig({ AUTH_SCHEME: 'token,session', CSRF_TRUSTED_ORIGINS: 'https://a.example, https://*.b.example', SESSION_COOKIE_SECURE: 'true' });
    expect(config.session).toMatchObject({ secureCookies: true, trustedOrigins: ['https://a.example', 'https://*.b.example'] });
    expect(config.session.secrets).toHaveLength(1);
    expect(config.notices).toEqual(['SESSION_SECRET is not set: generated a random one for this run; sessions will not survive a restart.']);
  });

  it("refuses CSRF_TRUSTED_ORIGINS entries without a scheme, as Django's check 4_0.E001", () => {
    const noScheme = (found: string) =>
      new ConfigError('CSRF_TRUSTED_ORIGINS', `the values must start with a scheme (usually http:// or https://) but found ${found} (Django's check 4_0.E001)`);
    expect(() => readConfig({ AUTH_SCHEME: 'session', CSRF_TRUSTED_ORIGINS: 'https://a.example, app.example.com' })).toThrow(noScheme('app.example.com'));
    expect(() => readConfig({ AUTH_SCHEME: 'session', CSRF_TRUSTED_ORIGINS: '*' })).toThrow(noScheme('*'));
    expect(() => readConfig({ CSRF_TRUSTED_ORIGINS: '.example.com' })).toThrow(noScheme('.example.com'));
    expect(() => readConfig({ CSRF_TRUSTED_ORIGINS: 'https:app.example.com' })).toThrow(noScheme('https:app.example.com'));
    const thrown = ((): unknown => {
      try {
        readConfig({ CSRF_TRUSTED_ORIGINS: '*.example.com' });
        return null;
      } catch (error) {
        return error;
      }
    })();
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).setting).toBe('CSRF_TRUSTED_ORIGINS');
    expect((thrown as Error).message).toBe(
      "CSRF_TRUSTED_ORIGINS: the values must start with a scheme (usually http:// or https://) but found *.example.com (Django's check 4_0.E001)",
    );
    expect(readConfig({ CSRF_TRUSTED_ORIGINS: 'http://localhost:3000,https://*.example.com' }).session.trustedOrigins).toEqual([
      'http://localhost:3000',
      'https://*.example.com',
    ]);
  });

  it('keeps a CSRF_TRUSTED_ORIGINS entry with a path as it is, as Django, and says it matches no Origin', () => {
    const config = readConfig({ CSRF_TRUSTED_ORIGINS: 'https://app.example.com/, https://*.example.org/, https://shop.example.net' });
    expect(config.session.trustedOrigins).toEqual(['https://app.example.com/', 'https://*.example.org/', 'https://shop.example.net']);
    expect(config.notices).toEqual([
      'CSRF_TRUSTED_ORIGINS: https://app.example.com/ has a path, so it never equals an Origin header (as in Django); only a Referer\'s host can match it. Write it without one: scheme://host[:port].',
    ]);
  });

  it('reads an asymmetric signing key and older public keys from PEM files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'authbench-keys-'));
    try {
      const current = generateKeyPairSync('ed25519');
      const old = generateKeyPairSync('ed25519');
      const privatePem = current.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      const oldPem = old.publicKey.export({ format: 'pem', type: 'spki' }).toString();
      writeFileSync(join(dir, 'private.pem'), privatePem);
      writeFileSync(join(dir, 'old.pem'), oldPem);
      const { jwt, notices } = readConfig({
        AUTH_SCHEME: 'jwt',
        JWT_ALGORITHM: 'EdDSA',
        JWT_PRIVATE_KEY_FILE: join(dir, 'private.pem'),
        JWT_PUBLIC_KEY_FILES: join(dir, 'old.pem'),
      });
      expect(jwt).toMatchObject({ algorithm: 'EdDSA', signingKey: privatePem, verifyingKeys: [oldPem] });
      expect(notices).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads jwt keys from PEM files', () => {
    expect(() => readConfig({ AUTH_SCHEME: 'jwt', JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY_FILE: '/nonexistent/key.pem' })).toThrow(
      'JWT_PRIVATE_KEY_FILE: cannot read "/nonexistent/key.pem": ENOENT',
    );
    const generated = readConfig({ AUTH_SCHEME: 'jwt', JWT_ALGORITHM: 'EdDSA' });
    expect(generated.jwt.signingKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(generated.notices).toEqual(['JWT_PRIVATE_KEY_FILE is not set: generated a EdDSA key for this run; tokens will not survive a restart.']);
  });

  it.each([
    [{ AUTH_SCHEME: 'oauth' }, 'AUTH_SCHEME: unknown scheme "oauth" (choose from token, knox, jwt, session)'],
    [{ AUTH_SCHEME: 'session', NODE_ENV: 'production' }, 'SESSION_SECRET: required in production (a random secret of at least 32 characters)'],
    [{ AUTH_SCHEME: 'session', SESSION_SECRET: 'long-enough-secret-of-32-characters,short' }, 'SESSION_SECRET: too weak: each secret needs at least 32 characters'],
    [{ AUTH_SCHEME: 'session', SESSION_COOKIE_SECURE: 'sometimes' }, 'SESSION_COOKIE_SECURE: expected true or false, got "sometimes"'],
    [{ AUTH_SCHEME: 'jwt', NODE_ENV: 'production' }, 'JWT_SIGNING_KEY: required in production (a random secret of at least 32 bytes)'],
    [{ AUTH_SCHEME: 'jwt', JWT_SIGNING_KEY: 'hunter2' }, 'JWT_SIGNING_KEY: too weak: at least 32 bytes are needed for HS256'],
    [{ AUTH_SCHEME: 'jwt', JWT_ALGORITHM: 'ES256', NODE_ENV: 'production' }, 'JWT_PRIVATE_KEY_FILE: required in production for ES256 (a PKCS#8 PEM private key)'],
    [{ AUTH_SCHEME: 'jwt', JWT_ALGORITHM: 'none' }, 'JWT_ALGORITHM: expected one of HS256, HS384, HS512, RS256, ES256, EdDSA, got "none"'],
    [{ KNOX_TOKEN_TTL: '0' }, 'KNOX_TOKEN_TTL: expected a whole number from 1 to 316224000, got "0"'],
    [{ PORT: 'http' }, 'PORT: expected a whole number from 0 to 65535, got "http"'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "verbose"'],
    [{ LOGIN_THROTTLE: 'maybe' }, 'LOGIN_THROTTLE: expected true or false, got "maybe"'],
    [{ LOGIN_THROTTLE_USER_FAILURES: '0' }, 'LOGIN_THROTTLE_USER_FAILURES: expected a whole number from 1 to 1000000, got "0"'],
    [{ LOGIN_THROTTLE_WINDOW: '15m' }, 'LOGIN_THROTTLE_WINDOW: expected a whole number from 1 to 604800, got "15m"'],
    [{ TOKEN_CREATE_ON_REGISTER: 'sometimes' }, 'TOKEN_CREATE_ON_REGISTER: expected true or false, got "sometimes"'],
    [{ DATABASE_URL: 'mysql://root:hunter2@localhost/authbench' }, 'DATABASE_URL: expected a postgres:// or postgresql:// URL; unset it to use the SQLite file (DATABASE_PATH)'],
  ])('refuses %j with one line naming the setting', (env, message) => {
    expect(() => readConfig(env)).toThrow(ConfigError);
    expect(() => readConfig(env)).toThrow(message);
  });
});
