import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { Accounts } from '@authbench/accounts';
import { ConfigError, OptionError } from '@authbench/core';
import { jwtScheme, jwtWiring, type JwtAlgorithm, type JwtSchemeOptions } from '@authbench/scheme-jwt';
import { call, register, STRONG_PASSWORD, startApp, type TestApp } from './harness.js';

const SECRET = 'a-test-secret-of-more-than-32-bytes-0123456789';
const CHEAP_HASHING = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
const BLACKLISTED = { detail: 'Token is blacklisted', code: 'token_not_valid' };
const INVALID_ACCESS = {
  detail: 'Given token not valid for any token type',
  code: 'token_not_valid',
  messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is invalid' }],
};
const start = new Date('2026-11-22T10:00:00.000Z');
let now = start;
const later = (seconds: number) => {
  now = new Date(now.getTime() + seconds * 1000);
};

interface Pair {
  access: string;
  refresh: string;
}

let apps: TestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.map((app) => app.close()));
  apps = [];
  now = start;
});

/** The real app over HTTP with the jwt scheme and a user alice (id 1). */
async function startJwtApp(options: Partial<JwtSchemeOptions> = {}): Promise<TestApp> {
  const app = await startApp((store) => [jwtScheme({ jwt: store.jwt, users: store.users, signingKey: SECRET, now: () => now, ...options })], {
    hashing: CHEAP_HASHING,
  });
  apps.push(app);
  expect((await register(app, 'alice')).status).toBe(201);
  return app;
}

async function login(app: TestApp): Promise<Pair> {
  const reply = await call(app, 'POST', '/api/auth/login', { json: { username: 'alice', password: STRONG_PASSWORD } });
  expect(reply.status).toBe(200);
  return reply.body as Pair;
}
const refresh = (app: TestApp, token: string) => call(app, 'POST', '/api/auth/refresh', { json: { refresh: token } });
const me = (app: TestApp, access: string) => call(app, 'GET', '/api/me', { headers: { authorization: `Bearer ${access}` } });
const ALICE = { id: 1, username: 'alice', email: '' };

const pemOf = (key: KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }).toString();
const generate = (algorithm: Exclude<JwtAlgorithm, `HS${string}`>) =>
  algorithm === 'RS256'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : algorithm === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('ed25519');

describe('the grace window of concurrent refreshes', () => {
  it('two concurrent refreshes with one token both get 200 and the same pair; the login stays live', async () => {
    const app = await startJwtApp();
    const first = await login(app);
    later(60);
    const replies = await Promise.all([refresh(app, first.refresh), refresh(app, first.refresh)]);
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    const [a, b] = replies.map((r) => r.body as Pair);
    expect(b).toEqual(a);
    const claims = decodeJwt(a!.refresh);
    expect(claims).toMatchObject({ token_type: 'refresh', iat: now.getTime() / 1000, exp: now.getTime() / 1000 + 86_400, sid: decodeJwt(first.refresh)['sid'] });
    expect(claims.jti).not.toBe(decodeJwt(first.refresh).jti);
    expect(decodeJwt(a!.access)).toMatchObject({ token_type: 'access', iat: now.getTime() / 1000, exp: now.getTime() / 1000 + 300, sid: claims['sid'] });
    expect((await me(app, a!.access)).body).toEqual(ALICE);
    // The login lives: the pair's refresh token rotates once more, and its successor works.
    later(60);
    const next = await refresh(app, a!.refresh);
    expect(next.status).toBe(200);
    expect((await me(app, (next.body as Pair).access)).body).toEqual(ALICE);
  });

  it('a retry within the window answers the first pair again, its expiry unchanged', async () => {
    const app = await startJwtApp();
    const first = await login(app);
    const original = await refresh(app, first.refresh);
    expect(original.status).toBe(200);
    later(9);
    const retry = await refresh(app, first.refresh);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(original.body);
    expect(decodeJwt((retry.body as Pair).access).exp).toBe(start.getTime() / 1000 + 300);
  });

  it('the same token after the window is reuse: the family is revoked, the successor refused too', async () => {
    const app = await startJwtApp();
    const first = await login(app);
    const second = (await refresh(app, first.refresh)).body as Pair;
    later(10);
    const reuse = await refresh(app, first.refresh);
    expect(reuse.status).toBe(401);
    expect(reuse.body).toEqual(BLACKLISTED);
    const successor = await refresh(app, second.refresh);
    expect(successor.status).toBe(401);
    expect(successor.body).toEqual(BLACKLISTED);
  });

  it('within the window, once the successor was itself refreshed, the first token is reuse', async () => {
    const app = await startJwtApp();
    const first = await login(app);
    const second = (await refresh(app, first.refresh)).body as Pair;
    later(1);
    const third = (await refresh(app, second.refresh)).body as Pair;
    later(1);
    expect((await refresh(app, first.refresh)).body).toEqual(BLACKLISTED);
    expect((await refresh(app, third.refresh)).body).toEqual(BLACKLISTED);
  });

  it('a configured window: 30 s holds at 29 s', async () => {
    const app = await startJwtApp({ refreshGraceSeconds: 30 });
    const first = await login(app);
    const original = await refresh(app, first.refresh);
    later(29);
    const retry = await refresh(app, first.refresh);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(original.body);
  });

  it("with the option 0, today's behaviour: one wins, the other revokes the login", async () => {
    const app = await startJwtApp({ refreshGraceSeconds: 0 });
    const { refresh: token } = await login(app);
    const replies = await Promise.all([refresh(app, token), refresh(app, token)]);
    expect(replies.map((r) => r.status).sort()).toEqual([200, 401]);
    expect(replies.find((r) => r.status === 401)!.body).toEqual(BLACKLISTED);
    const winner = replies.find((r) => r.status === 200)!.body as Pair;
    expect((await refresh(app, winner.refresh)).body).toEqual(BLACKLISTED);
  });

  it('JWT_REFRESH_GRACE=0 turns it off through the environment', async () => {
    const app = await startApp(
      (store) => [
        jwtWiring.fromEnv(
          { JWT_SIGNING_KEY: SECRET, JWT_REFRESH_GRACE: '0' },
          { stores: store, users: new Accounts({ users: store.users, hashing: CHEAP_HASHING }), notices: [] },
        ),
      ],
      { hashing: CHEAP_HASHING },
    );
    apps.push(app);
    await register(app, 'alice');
    const first = await login(app);
    expect((await refresh(app, first.refresh)).status).toBe(200);
    expect((await refresh(app, first.refresh)).body).toEqual(BLACKLISTED);
    expect(jwtWiring.settings).toContain('JWT_REFRESH_GRACE');
  });

  it('refuses a bad setting or option, naming it', () => {
    const fromEnv = (value: string) => () =>
      jwtWiring.fromEnv({ JWT_SIGNING_KEY: SECRET, JWT_REFRESH_GRACE: value }, { stores: {} as never, users: {} as never, notices: [] });
    expect(fromEnv('-1')).toThrow(ConfigError);
    expect(fromEnv('ten')).toThrow('JWT_REFRESH_GRACE');
    const make = (refreshGraceSeconds: number) => () => jwtScheme({ jwt: {} as never, users: {} as never, signingKey: SECRET, refreshGraceSeconds });
    expect(make(-1)).toThrow(OptionError);
    expect(make(1.5)).toThrow('jwtScheme: options.refreshGraceSeconds must be a whole number of seconds, at least 0, got 1.5');
  });

  // HMAC, RS256 (PKCS#1 v1.5) and EdDSA signatures are deterministic: the repeat is byte for byte the same
  // pair. ES256 signatures are randomised: the same claims under another valid signature.
  it.each(['RS256', 'ES256', 'EdDSA'] as const)('%s: the concurrent refreshes answer the same claims, and both pairs work', async (algorithm) => {
    const app = await startJwtApp({ algorithm, signingKey: pemOf(generate(algorithm).privateKey) });
    const first = await login(app);
    const replies = await Promise.all([refresh(app, first.refresh), refresh(app, first.refresh)]);
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    const [a, b] = replies.map((r) => r.body as Pair) as [Pair, Pair];
    expect(decodeJwt(b.refresh)).toEqual(decodeJwt(a.refresh));
    expect(decodeJwt(b.access)).toEqual(decodeJwt(a.access));
    if (algorithm === 'ES256') expect(b.refresh).not.toBe(a.refresh);
    else expect(b).toEqual(a);
    expect((await me(app, a.access)).body).toEqual(ALICE);
    expect((await me(app, b.access)).body).toEqual(ALICE);
    later(1);
    expect((await refresh(app, b.refresh)).status).toBe(200);
  });
});

describe('a token without kid under an asymmetric key', () => {
  it.each([
    ['RS256', 'node'],
    ['RS256', 'jose'],
    ['ES256', 'node'],
    ['ES256', 'jose'],
    ['EdDSA', 'node'],
    ['EdDSA', 'jose'],
  ] as const)('%s (%s verifier): accepted when signed by the key, Token is invalid when by another', async (algorithm, verifier) => {
    const { privateKey } = generate(algorithm);
    const app = await startJwtApp({ algorithm, signingKey: pemOf(privateKey), verifier });
    const { access } = await login(app);
    expect(decodeProtectedHeader(access).kid).toEqual(expect.any(String));
    const claims = decodeJwt(access);

    const kidless = await new SignJWT(claims).setProtectedHeader({ alg: algorithm, typ: 'JWT' }).sign(privateKey);
    expect(decodeProtectedHeader(kidless)).toEqual({ alg: algorithm, typ: 'JWT' });
    const accepted = await me(app, kidless);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toEqual(ALICE);

    const forged = await new SignJWT(claims).setProtectedHeader({ alg: algorithm, typ: 'JWT' }).sign(generate(algorithm).privateKey);
    const refused = await me(app, forged);
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual(INVALID_ACCESS);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });
});
