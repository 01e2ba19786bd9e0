import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, decodeJwt, decodeProtectedHeader, importPKCS8 } from 'jose';
import type { AuthRequest, AuthScheme, User } from '@authbench/core';
import { openSqliteStore } from '@authbench/store-sqlite';
import { jwtScheme, type JwtAlgorithm, type JwtLoginBody, type JwtSchemeOptions } from '../src/index.js';

const SECRET = 'a-test-secret-of-more-than-32-bytes-0123456789';
const start = new Date('2026-11-22T10:00:00.000Z');
let now = start;
const dir = mkdtempSync(join(tmpdir(), 'authbench-jwt-verifier-'));
const store = openSqliteStore(join(dir, 'db.sqlite3'));
let alice: User;
beforeAll(async () => {
  alice = await store.users.create({ username: 'alice', email: '', passwordHash: 'x' });
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const request = (authorization: string) => ({ headers: { authorization } }) as unknown as AuthRequest;
const make = (options: Partial<JwtSchemeOptions>) => jwtScheme({ jwt: store.jwt, users: store.users, signingKey: SECRET, now: () => now, ...options });
const endpoint = (scheme: AuthScheme<JwtLoginBody>, path: string) => scheme.endpoints!.find((e) => e.path === path)!.handle;
/** The body of the AuthenticationError a call rejects with. */
const failureOf = (promise: Promise<unknown>) => promise.then(() => null, (error: { body?: unknown }) => error.body);
const accessFailure = (message: string) => ({
  detail: 'Given token not valid for any token type',
  code: 'token_not_valid',
  messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
});

const PEMS: Record<JwtAlgorithm, () => string> = {
  HS256: () => SECRET,
  HS384: () => SECRET,
  HS512: () => SECRET,
  RS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  ES256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  EdDSA: () => generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
};

describe('options.verifier', () => {
  it('is checked at construction, naming the option', () => {
    const construct = () => make({ verifier: 'webcrypto' as never });
    expect(construct).toThrow(TypeError);
    expect(construct).toThrow('jwtScheme: options.verifier must be "node" or "jose", got "webcrypto"');
  });
});

describe.each(['node', 'jose'] as const)('through the scheme, verifier %s', (verifier) => {
  describe.each(Object.keys(PEMS) as JwtAlgorithm[])('%s', (algorithm) => {
    const signingKey = PEMS[algorithm]();
    const scheme = make({ verifier, algorithm, signingKey });

    it('authenticates its access token until it expires, then says expired', async () => {
      now = start;
      const { body } = await scheme.login(alice, { client: 'test' });
      expect(decodeProtectedHeader(body.access).alg).toBe(algorithm);
      const caller = await scheme.authenticate(request(`Bearer ${body.access}`));
      expect(caller?.user.username).toBe('alice');
      now = new Date(start.getTime() + 300_000); // exp is iat + 300: expired in that second
      expect(await failureOf(scheme.authenticate(request(`Bearer ${body.access}`)))).toEqual(accessFailure('Token is expired'));
      now = start;
    });

    it('refuses a tampered token, a refresh token as access, and an oversized one', async () => {
      now = start;
      const { body } = await scheme.login(alice, { client: 'test' });
      const [header, payload, signature] = body.access.split('.') as [string, string, string];
      const claims = Buffer.from(JSON.stringify({ ...decodeJwt(body.access), user_id: '2' })).toString('base64url');
      expect(await failureOf(scheme.authenticate(request(`Bearer ${header}.${claims}.${signature}`)))).toEqual(accessFailure('Token is invalid'));
      expect(await failureOf(scheme.authenticate(request(`Bearer ${body.refresh}`)))).toEqual(accessFailure('Token has wrong type'));
      const huge = `${header}.${payload}${'A'.repeat(8192)}.${signature}`;
      expect(await failureOf(scheme.authenticate(request(`Bearer ${huge}`)))).toEqual(accessFailure('Token is invalid'));
    });

    it('refreshes and verifies through its endpoints', async () => {
      now = start;
      const { body } = await scheme.login(alice, { client: 'test' });
      const refreshed = await endpoint(scheme, '/refresh')({ refresh: body.refresh }, request(''));
      expect(refreshed.status).toBe(200);
      expect(Object.keys(refreshed.body as object).sort()).toEqual(['access', 'refresh']);
      expect(await endpoint(scheme, '/verify')({ token: body.access }, request(''))).toEqual({ status: 200, body: {} });
      expect(await failureOf(endpoint(scheme, '/verify')({ token: `${body.access}x` }, request('')))).toEqual({ detail: 'Token is invalid', code: 'token_not_valid' });
    });

    it('takes a token with no kid as signed by the signing key', async () => {
      now = start;
      const { body } = await scheme.login(alice, { client: 'test' });
      const key = algorithm.startsWith('HS') ? new TextEncoder().encode(SECRET) : await importPKCS8(signingKey, algorithm);
      const kidless = await new SignJWT(decodeJwt(body.access)).setProtectedHeader({ alg: algorithm }).sign(key);
      expect((await scheme.authenticate(request(`Bearer ${kidless}`)))?.user.id).toBe(alice.id);
    });
  });
});
