import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, UnsecuredJWT, base64url, decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jwtScheme, type JwtSchemeOptions } from '@authbench/scheme-jwt';
import { call, register, STRONG_PASSWORD, startApp, type TestApp } from './harness.js';

const SECRET = 'a-test-secret-of-more-than-32-bytes-0123456789';
const CHALLENGE = 'Bearer realm="api"';
const start = new Date('2026-11-22T10:00:00.000Z');
let now = start;
const later = (seconds: number) => {
  now = new Date(now.getTime() + seconds * 1000);
};

function startJwtApp(options: Partial<JwtSchemeOptions> = {}): Promise<TestApp> {
  return startApp((store) => [jwtScheme({ jwt: store.jwt, users: store.users, signingKey: SECRET, now: () => now, ...options })]);
}

interface Pair {
  access: string;
  refresh: string;
}
async function login(app: TestApp, username = 'alice', client = 'test'): Promise<Pair> {
  const reply = await call(app, 'POST', '/api/auth/login', { json: { username, password: STRONG_PASSWORD }, headers: { 'user-agent': client } });
  expect(reply.status).toBe(200);
  return reply.body as Pair;
}
const me = (app: TestApp, access: string, type = 'Bearer') => call(app, 'GET', '/api/me', { headers: { authorization: `${type} ${access}` } });
const refresh = (app: TestApp, token: string) => call(app, 'POST', '/api/auth/refresh', { json: { refresh: token } });
const accessFailure = (message: string) => ({
  detail: 'Given token not valid for any token type',
  code: 'token_not_valid',
  messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
});
const secretKey = (secret: string) => new TextEncoder().encode(secret);

let app: TestApp;
beforeAll(async () => {
  app = await startJwtApp();
  await register(app, 'alice');
});
afterAll(async () => {
  await app.close();
});
beforeEach(() => {
  now = start;
});

describe('login', () => {
  it("answers simplejwt's pair, with its claims and lifetimes, a kid, and user_id as a string", async () => {
    const { access, refresh: refreshToken } = await login(app);
    expect(decodeProtectedHeader(access)).toEqual({ alg: 'HS256', typ: 'JWT', kid: expect.stringMatching(/^[\w-]{16}$/) });
    const a = decodeJwt(access);
    const r = decodeJwt(refreshToken);
    const iat = start.getTime() / 1000;
    expect(a).toEqual({ token_type: 'access', exp: iat + 300, iat, jti: expect.stringMatching(/^[0-9a-f]{32}$/), user_id: '1', username: 'alice', sid: r['sid'] });
    expect(r).toEqual({ token_type: 'refresh', exp: iat + 86_400, iat, jti: expect.stringMatching(/^[0-9a-f]{32}$/), user_id: '1', username: 'alice', sid: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(a.jti).not.toBe(r.jti);
  });

  it("refuses bad credentials with simplejwt's 401", async () => {
    const reply = await call(app, 'POST', '/api/auth/login', { json: { username: 'alice', password: 'wrong-password' } });
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({ detail: 'No active account found with the given credentials' });
    expect(reply.headers.get('www-authenticate')).toBe(CHALLENGE);
  });
});

describe('a protected route', () => {
  it('accepts the access token, the keyword in any case', async () => {
    const { access } = await login(app);
    expect((await me(app, access)).body).toEqual({ id: 1, username: 'alice', email: '' });
    expect((await me(app, access, 'bearer')).status).toBe(200);
    expect((await me(app, access, 'BEARER')).status).toBe(200);
  });

  it('401 with the challenge and DRF’s body when no token is sent', async () => {
    const reply = await call(app, 'GET', '/api/me', { headers: { authorization: 'Token abc' } });
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({ detail: 'Authentication credentials were not provided.' });
    expect(reply.headers.get('www-authenticate')).toBe(CHALLENGE);
  });

  it.each([['Bearer'], ['Bearer a b']])('%j is a bad_authorization_header', async (authorization) => {
    const reply = await call(app, 'GET', '/api/me', { headers: { authorization } });
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({ detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' });
  });

  it('Token is expired after five minutes', async () => {
    const { access } = await login(app);
    later(299);
    expect((await me(app, access)).status).toBe(200);
    later(2);
    const reply = await me(app, access);
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual(accessFailure('Token is expired'));
  });

  it('a refresh token is not an access token', async () => {
    const { refresh: refreshToken } = await login(app);
    expect((await me(app, refreshToken)).body).toEqual(accessFailure('Token has wrong type'));
  });

  describe('forged and malformed tokens are Token is invalid', () => {
    let access: string;
    beforeAll(async () => {
      ({ access } = await login(app));
    });
    const tamper = (token: string, part: number, change: (s: string) => string) =>
      token.split('.').map((p, i) => (i === part ? change(p) : p)).join('.');
    const cases: Array<[string, () => Promise<string> | string]> = [
      ['garbage', () => 'x.y.z'],
      ['not base64', () => '%%%.%%%.%%%'],
      ['truncated', () => access.slice(0, -10)],
      ['a 100 KB token', () => 'a'.repeat(100_000)],
      ['a tampered payload', () => tamper(access, 1, () => base64url.encode(JSON.stringify({ ...decodeJwt(access), user_id: '2' })))],
      ['a tampered signature', () => tamper(access, 2, (s) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1))],
      ['alg none', () => new UnsecuredJWT({ ...decodeJwt(access) }).encode()],
      ['another secret', () => new SignJWT({ ...decodeJwt(access) }).setProtectedHeader({ alg: 'HS256' }).sign(secretKey('another-secret-of-more-than-32-bytes-xxxxx'))],
      ['an unknown kid', () => new SignJWT({ ...decodeJwt(access) }).setProtectedHeader({ alg: 'HS256', kid: 'nope' }).sign(secretKey(SECRET))],
      ['a kid that is not a string', () => tamper(access, 0, () => base64url.encode(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 1 })))],
      ['a header that is not JSON', () => tamper(access, 0, () => base64url.encode('{"alg":"HS256",'))],
      ['a header that is JSON null', () => tamper(access, 0, () => base64url.encode('null'))],
      ['HS512 where HS256 is pinned', () => new SignJWT({ ...decodeJwt(access) }).setProtectedHeader({ alg: 'HS512' }).sign(secretKey(SECRET))],
      ['not yet valid', () => new SignJWT({ ...decodeJwt(access), nbf: start.getTime() / 1000 + 60 }).setProtectedHeader({ alg: 'HS256' }).sign(secretKey(SECRET))],
    ];
    it.each(cases)('%s', async (_name, make) => {
      const reply = await me(app, await make());
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual(accessFailure('Token is invalid'));
      expect(reply.headers.get('www-authenticate')).toBe(CHALLENGE);
    });

    it('bytes that are not UTF-8', async () => {
      expect((await me(app, 'ey\xff\xfe')).body).toEqual(accessFailure('Token is invalid'));
    });

    it("accepts a token simplejwt itself minted with the same secret (no kid)", async () => {
      const token = await new SignJWT({ ...decodeJwt(access) }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secretKey(SECRET));
      expect((await me(app, token)).status).toBe(200);
    });

    it.each([
      ['no jti', { jti: undefined }, 'Token has no id'],
      ['no token_type', { token_type: undefined }, 'Token has no type'],
      ['no exp', { exp: undefined }, "Token has no 'exp' claim"],
    ])('%s: %s', async (_name, change, message) => {
      const claims = { ...decodeJwt(access), ...change };
      const token = await new SignJWT(JSON.parse(JSON.stringify(claims))).setProtectedHeader({ alg: 'HS256' }).sign(secretKey(SECRET));
      expect((await me(app, token)).body).toEqual(accessFailure(message));
    });

    it('no user_id', async () => {
      const { user_id: _dropped, ...claims } = decodeJwt(access);
      const token = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(secretKey(SECRET));
      expect((await me(app, token)).body).toEqual({ detail: 'Token contained no recognizable user identification', code: 'token_not_valid' });
    });
  });

  it('User is inactive, then User not found', async () => {
    await register(app, 'dora');
    const { access } = await login(app, 'dora');
    const dora = (await app.store.users.findByUsername('dora'))!;
    await app.store.users.setActive(dora.id, false);
    expect((await me(app, access)).body).toEqual({ detail: 'User is inactive', code: 'user_inactive' });
    await app.store.users.delete(dora.id);
    expect((await me(app, access)).body).toEqual({ detail: 'User not found', code: 'user_not_found' });
  });
});

describe('refresh, rotation and family revocation', () => {
  it('rotates: a new pair, the old refresh spent', async () => {
    const first = await login(app);
    later(60);
    const reply = await refresh(app, first.refresh);
    expect(reply.status).toBe(200);
    const second = reply.body as Pair;
    expect(Object.keys(second).sort()).toEqual(['access', 'refresh']);
    expect(decodeJwt(second.refresh).sid).toBe(decodeJwt(first.refresh).sid);
    expect(decodeJwt(second.refresh).exp).toBe(now.getTime() / 1000 + 86_400);
    expect((await me(app, second.access)).status).toBe(200);
    expect(reply.headers.get('cache-control')).toBe('no-store');
  });

  it('reuse of a spent refresh token, past the grace window, kills the whole family, the thief’s copy and the owner’s', async () => {
    const first = await login(app);
    const second = (await refresh(app, first.refresh)).body as Pair;
    later(11); // past the 10 s in which a retry gets the same pair (jwt-refresh-grace.test.ts)
    const reuse = await refresh(app, first.refresh);
    expect(reuse.status).toBe(401);
    expect(reuse.body).toEqual({ detail: 'Token is blacklisted', code: 'token_not_valid' });
    expect(reuse.headers.get('www-authenticate')).toBe(CHALLENGE);
    expect((await refresh(app, second.refresh)).body).toEqual({ detail: 'Token is blacklisted', code: 'token_not_valid' });
  });

  it('two concurrent refreshes with one token both get the same pair, and the login lives on', async () => {
    const { refresh: token } = await login(app);
    const replies = await Promise.all([refresh(app, token), refresh(app, token)]);
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect(replies[0]!.body).toEqual(replies[1]!.body);
    expect((await refresh(app, (replies[0]!.body as Pair).refresh)).status).toBe(200);
  });

  it.each([
    ['missing', {}, 400, { refresh: ['This field is required.'] }],
    ['blank', { refresh: '' }, 400, { refresh: ['This field may not be blank.'] }],
    ['garbage', { refresh: 'x' }, 401, { detail: 'Token is invalid', code: 'token_not_valid' }],
  ])('%s refresh field', async (_name, json, status, body) => {
    const reply = await call(app, 'POST', '/api/auth/refresh', { json });
    expect(reply.status).toBe(status);
    expect(reply.body).toEqual(body);
  });

  it('an access token is the wrong type; an expired refresh is expired', async () => {
    const pair = await login(app);
    expect((await refresh(app, pair.access)).body).toEqual({ detail: 'Token has wrong type', code: 'token_not_valid' });
    later(86_401);
    expect((await refresh(app, pair.refresh)).body).toEqual({ detail: 'Token is expired', code: 'token_not_valid' });
  });

  it("an inactive user's refresh is no_active_account", async () => {
    await register(app, 'erin');
    const pair = await login(app, 'erin');
    const erin = (await app.store.users.findByUsername('erin'))!;
    await app.store.users.setActive(erin.id, false);
    const reply = await refresh(app, pair.refresh);
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({ detail: 'No active account found for the given token.' });
  });
});

describe('verify', () => {
  it('200 {} for a valid access or refresh token; 401 for a bad or blacklisted one', async () => {
    const pair = await login(app);
    for (const token of [pair.access, pair.refresh]) {
      const reply = await call(app, 'POST', '/api/auth/verify', { json: { token } });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({});
    }
    expect((await call(app, 'POST', '/api/auth/verify', { json: { token: 'x' } })).body).toEqual({ detail: 'Token is invalid', code: 'token_not_valid' });
    expect((await call(app, 'POST', '/api/auth/verify', { json: {} })).body).toEqual({ token: ['This field is required.'] });
    await refresh(app, pair.refresh);
    const spent = await call(app, 'POST', '/api/auth/verify', { json: { token: pair.refresh } });
    expect(spent.status).toBe(401);
    expect(spent.body).toEqual({ detail: 'Token is blacklisted', code: 'token_not_valid' });
  });
});

describe('logout, logout-all and sessions', () => {
  it("logout revokes the caller's login: its refresh dies, the access lives to its exp", async () => {
    const phone = await login(app, 'alice', 'phone');
    const laptop = await login(app, 'alice', 'laptop');
    const out = await call(app, 'POST', '/api/auth/logout', { headers: { authorization: `Bearer ${phone.access}` } });
    expect(out.status).toBe(204);
    expect((await refresh(app, phone.refresh)).body).toEqual({ detail: 'Token is blacklisted', code: 'token_not_valid' });
    expect((await me(app, phone.access)).status).toBe(200);
    expect((await refresh(app, laptop.refresh)).status).toBe(200);
  });

  it('logout also blacklists a refresh token given in the body', async () => {
    const a = await login(app);
    const b = await login(app);
    await call(app, 'POST', '/api/auth/logout', { json: { refresh: b.refresh }, headers: { authorization: `Bearer ${a.access}` } });
    expect((await refresh(app, b.refresh)).status).toBe(401);
  });

  it('logoutall revokes every login of the user', async () => {
    const a = await login(app);
    const b = await login(app);
    expect((await call(app, 'POST', '/api/auth/logoutall', { headers: { authorization: `Bearer ${a.access}` } })).status).toBe(204);
    expect((await refresh(app, a.refresh)).status).toBe(401);
    expect((await refresh(app, b.refresh)).status).toBe(401);
  });

  it('lists live logins with the current one marked, and revokes another', async () => {
    await call(app, 'POST', '/api/auth/logoutall', { headers: { authorization: `Bearer ${(await login(app)).access}` } });
    const phone = await login(app, 'alice', 'phone');
    const laptop = await login(app, 'alice', 'laptop');
    const list = await call(app, 'GET', '/api/auth/sessions', { headers: { authorization: `Bearer ${laptop.access}` } });
    expect(list.status).toBe(200);
    const sessions = list.body as Array<{ id: string; client: string; current: boolean }>;
    expect(sessions.map((s) => [s.client, s.current]).sort()).toEqual([['laptop', true], ['phone', false]]);
    expect(list.text).not.toContain(phone.refresh);
    const phoneId = decodeJwt(phone.refresh)['sid'] as string;
    expect(sessions.find((s) => s.client === 'phone')!.id).toBe(phoneId);
    const revoke = await call(app, 'DELETE', `/api/auth/sessions/${phoneId}`, { headers: { authorization: `Bearer ${laptop.access}` } });
    expect(revoke.status).toBe(204);
    expect((await refresh(app, phone.refresh)).status).toBe(401);
    expect((await call(app, 'DELETE', `/api/auth/sessions/${phoneId}`, { headers: { authorization: `Bearer ${laptop.access}` } })).status).toBe(404);
  });
});

describe('options', () => {
  it('checkRevocation refuses an access token as soon as its login is logged out', async () => {
    const strict = await startJwtApp({ checkRevocation: true });
    try {
      await register(strict, 'alice');
      const pair = await login(strict);
      expect((await me(strict, pair.access)).status).toBe(200);
      await call(strict, 'POST', '/api/auth/logout', { headers: { authorization: `Bearer ${pair.access}` } });
      expect((await me(strict, pair.access)).body).toEqual(accessFailure('Token is invalid'));
    } finally {
      await strict.close();
    }
  });

  it('stateless trusts the token: no user lookup, even for a deleted user', async () => {
    const stateless = await startJwtApp({ stateless: true });
    try {
      await register(stateless, 'alice');
      const pair = await login(stateless);
      await stateless.store.users.delete(1);
      expect((await me(stateless, pair.access)).body).toEqual({ id: 1, username: 'alice', email: '' });
    } finally {
      await stateless.close();
    }
  });

  it('rotates keys without logging anyone out: old tokens verify, new ones are signed with the new key', async () => {
    const oldToken = (await login(app)).access;
    const NEW = 'the-new-secret-of-more-than-32-bytes-abcdefgh';
    const rotated = await startApp((store) => [jwtScheme({ jwt: store.jwt, users: store.users, signingKey: NEW, verifyingKeys: [SECRET], now: () => now })]);
    const onlyNew = await startApp((store) => [jwtScheme({ jwt: store.jwt, users: store.users, signingKey: NEW, now: () => now })]);
    try {
      await register(rotated, 'alice');
      await register(onlyNew, 'alice');
      expect((await me(rotated, oldToken)).status).toBe(200);
      const newToken = (await login(rotated)).access;
      expect(decodeProtectedHeader(newToken).kid).not.toBe(decodeProtectedHeader(oldToken).kid);
      expect((await me(onlyNew, newToken)).status).toBe(200);
      expect((await me(onlyNew, oldToken)).body).toEqual(accessFailure('Token is invalid'));
    } finally {
      await rotated.close();
      await onlyNew.close();
    }
  });

  it.each([
    ['ES256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['EdDSA', () => generateKeyPairSync('ed25519')],
    ['RS256', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ] as const)('%s: signs with the private key, publishes the public one, refuses HMAC key confusion', async (algorithm, generate) => {
    const { privateKey, publicKey } = generate();
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const asym = await startJwtApp({ algorithm, signingKey: pem });
    try {
      await register(asym, 'alice');
      const { access } = await login(asym);
      const { kid, alg } = decodeProtectedHeader(access);
      expect(alg).toBe(algorithm);
      expect((await me(asym, access)).status).toBe(200);
      const jwks = await call(asym, 'GET', '/.well-known/jwks.json');
      expect(jwks.status).toBe(200);
      expect((jwks.body as { keys: Array<Record<string, unknown>> }).keys).toEqual([expect.objectContaining({ kid, alg: algorithm, use: 'sig' })]);
      expect(JSON.stringify(jwks.body)).not.toMatch(/"d":/);
      // The public key as an HMAC secret: the classic confusion attack.
      const spki = publicKey.export({ format: 'pem', type: 'spki' }).toString();
      const forged = await new SignJWT({ ...decodeJwt(access) }).setProtectedHeader({ alg: 'HS256', kid: kid! }).sign(secretKey(spki));
      expect((await me(asym, forged)).body).toEqual(accessFailure('Token is invalid'));
    } finally {
      await asym.close();
    }
  });

  it("without rotation refresh answers an access token only, as simplejwt's default, until logout", async () => {
    const plain = await startJwtApp({ rotateRefreshTokens: false });
    try {
      await register(plain, 'alice');
      const pair = await login(plain);
      for (let i = 0; i < 2; i++) {
        const reply = await refresh(plain, pair.refresh);
        expect(reply.status).toBe(200);
        expect(Object.keys(reply.body as object)).toEqual(['access']);
        expect((await me(plain, (reply.body as Pair).access)).status).toBe(200);
      }
      await call(plain, 'POST', '/api/auth/logout', { headers: { authorization: `Bearer ${pair.access}` } });
      expect((await refresh(plain, pair.refresh)).body).toEqual({ detail: 'Token is blacklisted', code: 'token_not_valid' });
    } finally {
      await plain.close();
    }
  });

  it('sets and checks issuer and audience when configured, with leeway for skew', async () => {
    const strict = await startJwtApp({ issuer: 'https://auth.example', audience: 'api', leeway: 30 });
    try {
      await register(strict, 'alice');
      const { access } = await login(strict);
      expect(decodeJwt(access)).toMatchObject({ iss: 'https://auth.example', aud: 'api' });
      later(310); // 10 s past exp, inside the 30 s leeway
      expect((await me(strict, access)).status).toBe(200);
      later(-310);
      const claims = decodeJwt(access);
      for (const change of [{ iss: 'https://evil.example' }, { aud: 'other' }]) {
        const token = await new SignJWT({ ...claims, ...change }).setProtectedHeader({ alg: 'HS256' }).sign(secretKey(SECRET));
        expect((await me(strict, token)).body).toEqual(accessFailure('Token is invalid'));
      }
    } finally {
      await strict.close();
    }
  });

  it('has no JWKS under HMAC', async () => {
    expect((await call(app, 'GET', '/.well-known/jwks.json')).status).toBe(404);
  });

  it('nothing reached the error log', () => {
    expect(app.logged).toEqual([]);
  });
});
