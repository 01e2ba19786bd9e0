import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, type Env } from '@authbench/core';
import { authFromEnv, readStorageSettings, readThrottleSettings, SCHEME_WIRINGS } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'authbench-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** authFromEnv over a fresh SQLite file; the configuration is closed again before returning. */
async function configure(env: Env) {
  const auth = await authFromEnv({ DATABASE_PATH: join(dir, `db-${files++}.sqlite3`), ...env });
  await auth.close();
  return auth;
}
const readConfig = (env: Env) => readStorageSettings(env, join(dir, 'default.sqlite3'));

describe('authFromEnv', () => {
  it("defaults to DRF's token over the SQLite file, with the login throttle on", async () => {
    const auth = await configure({});
    expect(auth.schemes.map((s) => s.name)).toEqual(['token']);
    expect(auth.schemes[0]!.challenge).toBe('Token');
    expect(auth.accounts).not.toBeNull();
    expect(auth.users).toBe(auth.accounts);
    expect(auth.throttle).toMatchObject({ userFailures: 5, addressFailures: 20, registrationsPerAddress: 10, windowSeconds: 900, maxDelaySeconds: 900 });
    expect(auth.deviceSecret).toBeUndefined();
    expect(auth.trustProxy).toEqual([]);
    expect(auth.notices).toEqual([]);
    expect(auth.description).toMatch(/^SQLite at .*db-\d+\.sqlite3$/);
    expect(readConfig({})).toEqual({
      databasePath: join(dir, 'default.sqlite3'),
      databaseUrl: null,
      redisUrl: null,
      redisPrefix: 'authbench:',
      redisCacheTtlSeconds: null,
    });
    expect(readThrottleSettings({ LOGIN_THROTTLE: 'false' })).toBeNull();
    expect(SCHEME_WIRINGS.map((w) => w.name)).toEqual(['token', 'knox', 'jwt', 'session']);
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
      readThrottleSettings({
        LOGIN_THROTTLE_USER_FAILURES: '3',
        LOGIN_THROTTLE_ADDRESS_FAILURES: '50',
        LOGIN_THROTTLE_WINDOW: '3600',
        LOGIN_THROTTLE_MAX_DELAY: '60',
        LOGIN_THROTTLE_REGISTRATIONS: '2',
      }),
    ).toEqual({ userFailures: 3, addressFailures: 50, registrationsPerAddress: 2, windowSeconds: 3600, maxDelaySeconds: 60 });
    expect(readThrottleSettings({ LOGIN_THROTTLE: 'false', LOGIN_THROTTLE_USER_FAILURES: '3' })).toBeNull();
  });

  it('takes a postgres:// or postgresql:// DATABASE_URL in place of the SQLite file', () => {
    expect(readConfig({ DATABASE_URL: 'postgres://app:pw@db:5432/auth' }).databaseUrl).toBe('postgres://app:pw@db:5432/auth');
    expect(readConfig({ DATABASE_URL: 'postgresql://db/auth' }).databaseUrl).toBe('postgresql://db/auth');
    expect(readConfig({ DATABASE_URL: '' }).databaseUrl).toBeNull();
  });

  it("reads knox's settings, with none for knox's None", async () => {
    const auth = await authFromEnv({
      DATABASE_PATH: join(dir, 'knox.sqlite3'),
      AUTH_SCHEME: 'knox,token',
      KNOX_TOKEN_TTL: 'none',
      KNOX_AUTO_REFRESH: 'true',
      KNOX_AUTO_REFRESH_MAX_TTL: 'None',
      KNOX_TOKEN_LIMIT_PER_USER: '1',
      KNOX_TOKEN_PREFIX: 'ab_',
    }, { hashing: { memoryCost: 1024, timeCost: 1, parallelism: 1 } });
    try {
      expect(auth.schemes.map((s) => s.name)).toEqual(['knox', 'token']);
      const user = await auth.accounts!.register({ username: 'alice', password: 'correct-horse-battery' });
      const { body } = (await auth.schemes[0]!.login(user, { client: 'test' })) as { body: { expiry: string | null; token: string } };
      expect(body.expiry).toBeNull();
      expect(body.token).toMatch(/^ab_[0-9a-f]{64}$/);
      await expect(auth.schemes[0]!.login(user, { client: 'test' })).rejects.toMatchObject({ status: 403 });
    } finally {
      await auth.close();
    }
  });

  it('says in production when devices are known to one process only (no LOGIN_DEVICE_SECRET)', async () => {
    expect((await configure({ NODE_ENV: 'production' })).notices).toEqual([
      'LOGIN_DEVICE_SECRET is not set: devices that logged in are recognised by this process only, until it restarts; give every instance the same secret.',
    ]);
    const given = await configure({ NODE_ENV: 'production', LOGIN_DEVICE_SECRET: 'd'.repeat(32) });
    expect([given.notices, given.deviceSecret]).toEqual([[], 'd'.repeat(32)]);
    expect((await configure({ NODE_ENV: 'production', LOGIN_THROTTLE: 'false' })).notices).toEqual([]);
  });

  it('generates a jwt secret in development and says so', async () => {
    expect((await configure({ AUTH_SCHEME: 'jwt' })).notices).toEqual([
      'JWT_SIGNING_KEY is not set: generated a random one for this run; tokens will not survive a restart.',
    ]);
    expect((await configure({ AUTH_SCHEME: 'jwt', JWT_SIGNING_KEY: 's'.repeat(32) })).notices).toEqual([]);
  });

  it('reads session settings, and generates a secret in development', async () => {
    const auth = await configure({ AUTH_SCHEME: 'token,session', CSRF_TRUSTED_ORIGINS: 'https://a.example, https://*.b.example', SESSION_COOKIE_SECURE: 'true' });
    expect(auth.schemes.map((s) => [s.name, s.challenge])).toEqual([['token', 'Token'], ['session', null]]);
    expect(auth.notices).toEqual(['SESSION_SECRET is not set: generated a random one for this run; sessions will not survive a restart.']);
  });

  it("refuses CSRF_TRUSTED_ORIGINS entries without a scheme, as Django's check 4_0.E001", async () => {
    const noScheme = (found: string) =>
      new ConfigError('CSRF_TRUSTED_ORIGINS', `the values must start with a scheme (usually http:// or https://) but found ${found} (Django's check 4_0.E001)`);
    const session = (origins: string) => configure({ AUTH_SCHEME: 'session', CSRF_TRUSTED_ORIGINS: origins });
    await expect(session('https://a.example, app.example.com')).rejects.toThrow(noScheme('app.example.com'));
    await expect(session('*')).rejects.toThrow(noScheme('*'));
    await expect(session('.example.com')).rejects.toThrow(noScheme('.example.com'));
    await expect(session('https:app.example.com')).rejects.toThrow(noScheme('https:app.example.com'));
    const thrown = await session('*.example.com').catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).setting).toBe('CSRF_TRUSTED_ORIGINS');
    expect((thrown as Error).message).toBe(
      "CSRF_TRUSTED_ORIGINS: the values must start with a scheme (usually http:// or https://) but found *.example.com (Django's check 4_0.E001)",
    );
    expect((await session('http://localhost:3000,https://*.example.com')).notices).toEqual([
      'SESSION_SECRET is not set: generated a random one for this run; sessions will not survive a restart.',
    ]);
  });

  it('keeps a CSRF_TRUSTED_ORIGINS entry with a path as it is, as Django, and says it matches no Origin', async () => {
    const config = await configure({
      AUTH_SCHEME: 'session',
      SESSION_SECRET: 'x'.repeat(32),
      CSRF_TRUSTED_ORIGINS: 'https://app.example.com/, https://*.example.org/, https://shop.example.net',
    });
    expect(config.notices).toEqual([
      'CSRF_TRUSTED_ORIGINS: https://app.example.com/ has a path, so it never equals an Origin header (as in Django); only a Referer\'s host can match it. Write it without one: scheme://host[:port].',
    ]);
  });

  it('reads an asymmetric signing key and older public keys from PEM files', async () => {
    const keys = mkdtempSync(join(tmpdir(), 'authbench-keys-'));
    try {
      const current = generateKeyPairSync('ed25519');
      const old = generateKeyPairSync('ed25519');
      const privatePem = current.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      const oldPem = old.publicKey.export({ format: 'pem', type: 'spki' }).toString();
      writeFileSync(join(keys, 'private.pem'), privatePem);
      writeFileSync(join(keys, 'old.pem'), oldPem);
      const { schemes, notices } = await configure({
        AUTH_SCHEME: 'jwt',
        JWT_ALGORITHM: 'EdDSA',
        JWT_PRIVATE_KEY_FILE: join(keys, 'private.pem'),
        JWT_PUBLIC_KEY_FILES: join(keys, 'old.pem'),
      });
      // Both keys are published, the current one first.
      const jwks = await schemes[0]!.endpoints!.find((e) => e.atRoot)!.handle({}, {} as never);
      expect((jwks.body as { keys: { kty: string; crv: string }[] }).keys.map((k) => [k.kty, k.crv])).toEqual([['OKP', 'Ed25519'], ['OKP', 'Ed25519']]);
      expect(notices).toEqual([]);
    } finally {
      rmSync(keys, { recursive: true, force: true });
    }
  });

  it('reads jwt keys from PEM files', async () => {
    await expect(configure({ AUTH_SCHEME: 'jwt', JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY_FILE: '/nonexistent/key.pem' })).rejects.toThrow(
      'JWT_PRIVATE_KEY_FILE: cannot read "/nonexistent/key.pem": ENOENT',
    );
    const generated = await configure({ AUTH_SCHEME: 'jwt', JWT_ALGORITHM: 'EdDSA' });
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
    [{ AUTH_SCHEME: 'knox', KNOX_TOKEN_TTL: '0' }, 'KNOX_TOKEN_TTL: expected a whole number from 1 to 316224000, got "0"'],
    [{ AUTH_SCHEME: 'knox', KNOX_TOKEN_PREFIX: 'far-too-long-prefix' }, 'KNOX_TOKEN_PREFIX: knoxScheme: options.tokenPrefix must be at most 10 letters, digits, "_", "." or "-", got "far-too-long-prefix"'],
    [{ AUTH_SCHEME: 'token', TOKEN_KEYWORD: 'two words' }, 'TOKEN_KEYWORD: tokenScheme: options.keyword must be one HTTP token (letters, digits, no spaces), got "two words"'],
    [{ AUTH_SCHEME: 'jwt', JWT_AUTH_HEADER_TYPES: 'Bearer,' }, 'JWT_AUTH_HEADER_TYPES: jwtScheme: options.authHeaderTypes must be one or more HTTP tokens, got ["Bearer",""]'],
    [{ LOGIN_THROTTLE: 'maybe' }, 'LOGIN_THROTTLE: expected true or false, got "maybe"'],
    [{ LOGIN_THROTTLE_USER_FAILURES: '0' }, 'LOGIN_THROTTLE_USER_FAILURES: expected a whole number from 1 to 1000000, got "0"'],
    [{ LOGIN_DEVICE_SECRET: 'short' }, 'LOGIN_DEVICE_SECRET: too weak: at least 32 characters are needed'],
    [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY: name the proxies instead (addresses, CIDR ranges or loopback, e.g. "loopback" or "10.0.0.0/8"): true would believe X-Forwarded-For from any peer'],
    [{ LOGIN_THROTTLE_WINDOW: '15m' }, 'LOGIN_THROTTLE_WINDOW: expected a whole number from 1 to 604800, got "15m"'],
    [{ AUTH_SCHEME: 'token', TOKEN_CREATE_ON_REGISTER: 'sometimes' }, 'TOKEN_CREATE_ON_REGISTER: expected true or false, got "sometimes"'],
    [{ DATABASE_URL: 'mysql://root:hunter2@localhost/authbench' }, 'DATABASE_URL: expected a postgres:// or postgresql:// URL; unset it to use the SQLite file (DATABASE_PATH)'],
  ])('refuses %j with one line naming the setting', async (env, message) => {
    const error = await configure(env).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(message);
  });

  it('refuses a user repository that lacks a method, in one line', async () => {
    await expect(authFromEnv({}, { users: { findById: async () => null } as never })).rejects.toThrow(
      'authFromEnv: options.users: the user repository has no findByUsername() method (it needs findById, findByUsername, checkPassword)',
    );
  });
});

describe('session cookies in production', () => {
  it('are Secure by default, and the start says so; SESSION_COOKIE_SECURE=auto asks the request again', async () => {
    const { createAuthApp, createAuthServer, listen } = await import('@authbench/express');
    const serve = async (env: Env) => {
      const auth = await authFromEnv(
        { DATABASE_PATH: join(dir, `prod-${files++}.sqlite3`), AUTH_SCHEME: 'session', NODE_ENV: 'production', SESSION_SECRET: 'p'.repeat(40), LOGIN_DEVICE_SECRET: 'd'.repeat(40), ...env },
        { hashing: { memoryCost: 1024, timeCost: 1, parallelism: 1 } },
      );
      const server = createAuthServer(createAuthApp({ ...auth, log: () => {} }));
      const url = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
      const post = (path: string, json: unknown) =>
        fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', origin: url }, body: JSON.stringify(json) });
      expect((await post('/api/auth/register', { username: 'alice', password: 'correct-horse-battery' })).status).toBe(201);
      const login = await post('/api/auth/login', { username: 'alice', password: 'correct-horse-battery' });
      server.close();
      await auth.close();
      return { notices: auth.notices, cookies: login.headers.getSetCookie().filter((c) => /^(sessionid|csrftoken)=/.test(c)) };
    };
    const byDefault = await serve({});
    expect(byDefault.notices).toEqual([
      'SESSION_COOKIE_SECURE is not set: in production the session and CSRF cookies are Secure (HTTPS only); set it to auto or false to change that.',
    ]);
    expect(byDefault.cookies).toHaveLength(2);
    for (const cookie of byDefault.cookies) expect(cookie).toMatch(/; Secure/);
    const auto = await serve({ SESSION_COOKIE_SECURE: 'auto' });
    expect(auto.notices).toEqual([]);
    for (const cookie of auto.cookies) expect(cookie).not.toMatch(/; Secure/);
  });
});

describe('JWT_COOKIE and CORS_ALLOWED_ORIGINS', () => {
  const login = async (env: Env, headers: Record<string, string> = {}) => {
    const { createAuthApp, createAuthServer, listen } = await import('@authbench/express');
    const auth = await authFromEnv(
      { DATABASE_PATH: join(dir, `cookie-${files++}.sqlite3`), AUTH_SCHEME: 'jwt', LOGIN_THROTTLE: 'false', ...env },
      { hashing: { memoryCost: 1024, timeCost: 1, parallelism: 1 } },
    );
    const server = createAuthServer(createAuthApp({ ...auth, log: () => {} }));
    const url = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
    try {
      const post = (path: string, json: unknown) =>
        fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(json) });
      expect((await post('/api/auth/register', { username: 'alice', password: 'correct-horse-battery' })).status).toBe(201);
      const reply = await post('/api/auth/login', { username: 'alice', password: 'correct-horse-battery' });
      return { auth, reply, cookies: reply.headers.getSetCookie().map((c) => c.split('=', 1)[0]) };
    } finally {
      server.closeAllConnections();
      server.close();
      await auth.close();
    }
  };

  it('JWT_COOKIE=true sets the token cookies at login; off by default; a bad value names the setting', async () => {
    expect(SCHEME_WIRINGS.find((w) => w.name === 'jwt')!.settings).toContain('JWT_COOKIE');
    expect((await login({})).cookies).toEqual([]);
    const on = await login({ JWT_COOKIE: 'true' });
    expect(on.cookies).toEqual(['jwt_access', 'jwt_refresh', 'csrftoken']);
    expect(on.auth.notices.filter((n) => n.startsWith('JWT_COOKIE'))).toEqual([]);
    await expect(configure({ AUTH_SCHEME: 'jwt', JWT_COOKIE: 'sometimes' })).rejects.toThrow(new ConfigError('JWT_COOKIE', 'expected true or false, got "sometimes"'));
    await expect(configure({ AUTH_SCHEME: 'jwt', JWT_COOKIE: 'true', CSRF_TRUSTED_ORIGINS: 'front.example' })).rejects.toThrow(
      new ConfigError('CSRF_TRUSTED_ORIGINS', "the values must start with a scheme (usually http:// or https://) but found front.example (Django's check 4_0.E001)"),
    );
  });

  it('JWT_COOKIE in production: Secure cookies, and the start says so', async () => {
    // Plain HTTP, so Django's HTTPS-only Referer check does not apply to the login.
    const prod = await login({ JWT_COOKIE: 'true', NODE_ENV: 'production', JWT_SIGNING_KEY: 'k'.repeat(40), LOGIN_DEVICE_SECRET: 'd'.repeat(40) });
    expect(prod.auth.notices).toEqual(['JWT_COOKIE: in production the jwt and CSRF cookies are Secure (sent over HTTPS only).']);
    for (const line of prod.reply.headers.getSetCookie()) expect(line).toMatch(/; Secure$/);
  });

  it('CORS_ALLOWED_ORIGINS becomes the cors option; unset, none', async () => {
    expect((await configure({})).cors).toBeUndefined();
    const auth = await configure({ CORS_ALLOWED_ORIGINS: 'https://front.example, http://localhost:5173' });
    expect(auth.cors).toEqual({ origins: ['https://front.example', 'http://localhost:5173'] });
    expect(auth.notices).toEqual([]);
  });

  it('refuses an origin that is not scheme://host[:port], in one line naming the setting', async () => {
    for (const bad of ['front.example', 'https://front.example/', 'https://*.example.com', 'https://front.example/app']) {
      const error = await configure({ CORS_ALLOWED_ORIGINS: `http://localhost:5173,${bad}` }).catch((e: unknown) => e);
      expect(error).toEqual(
        new ConfigError('CORS_ALLOWED_ORIGINS', `expected a comma list of scheme://host[:port] (http or https, no path, no wildcard), got "${bad}"`),
      );
      expect(String((error as Error).message)).not.toContain('\n');
    }
  });

  it('says at start-up when a CORS origin is not CSRF-trusted under a cookie scheme', async () => {
    const session = await configure({ AUTH_SCHEME: 'session', CORS_ALLOWED_ORIGINS: 'https://front.example,https://app.example.com' });
    expect(session.notices).toContain(
      "CORS_ALLOWED_ORIGINS: https://front.example, https://app.example.com may read responses but not log in or change anything with the browser's cookies until CSRF_TRUSTED_ORIGINS lists it too.",
    );
    const trusted = await configure({
      AUTH_SCHEME: 'session',
      CORS_ALLOWED_ORIGINS: 'https://front.example,https://app.example.com',
      CSRF_TRUSTED_ORIGINS: 'https://front.example,https://*.example.com',
    });
    expect(trusted.notices.filter((n) => n.startsWith('CORS_ALLOWED_ORIGINS'))).toEqual([]);
    const cookieJwt = await configure({ AUTH_SCHEME: 'jwt', JWT_COOKIE: 'true', CORS_ALLOWED_ORIGINS: 'https://front.example' });
    expect(cookieJwt.notices.filter((n) => n.startsWith('CORS_ALLOWED_ORIGINS'))).toEqual([
      "CORS_ALLOWED_ORIGINS: https://front.example may read responses but not log in or change anything with the browser's cookies until CSRF_TRUSTED_ORIGINS lists it too.",
    ]);
    // The header transport needs no CSRF trust: nothing to say.
    const headerJwt = await configure({ AUTH_SCHEME: 'jwt', CORS_ALLOWED_ORIGINS: 'https://front.example' });
    expect(headerJwt.notices.filter((n) => n.startsWith('CORS_ALLOWED_ORIGINS'))).toEqual([]);
  });
});
