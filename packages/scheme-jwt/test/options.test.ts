import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '@authbench/store-sqlite';
import { prepareKeyRing } from '../src/keys.js';
import { jwtScheme, type JwtSchemeOptions } from '../src/index.js';

const SECRET = 'x'.repeat(32);
const dir = mkdtempSync(join(tmpdir(), 'authbench-jwt-'));
const store = openSqliteStore(join(dir, 'db.sqlite3'));
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});
const make = (options: Partial<JwtSchemeOptions>) => () => jwtScheme({ jwt: store.jwt, users: store.users, signingKey: SECRET, ...options });

describe('jwtScheme options, checked at construction with the option named', () => {
  it.each([
    [{ algorithm: 'none' as never }, 'jwtScheme: options.algorithm must be one of HS256, HS384, HS512, RS256, ES256, EdDSA, got "none"'],
    // The length, never the secret.
    [{ signingKey: 'short' }, 'jwtScheme: options.signingKey must be at least 32 bytes for HS256, got "5 bytes"'],
    [{ verifyingKeys: ['old-and-short'] }, 'jwtScheme: options.verifyingKeys must be at least 32 bytes for HS256, got "13 bytes"'],
    [{ accessTokenLifetime: 0 }, 'jwtScheme: options.accessTokenLifetime must be a whole number of seconds, at least 1, got 0'],
    [{ leeway: -1 }, 'jwtScheme: options.leeway must be a whole number of seconds, at least 0, got -1'],
    [{ authHeaderTypes: ['Two words'] }, 'jwtScheme: options.authHeaderTypes must be one or more HTTP tokens, got ["Two words"]'],
    [{ algorithm: 'ES256' as const, signingKey: 'not a pem' }, /^jwtScheme: options\.signingKey must be a PKCS#8 PEM private key, got "/],
  ])('%j', (options, message) => {
    expect(make(options)).toThrow(message);
  });

  it('refuses a key of the wrong type for the algorithm', () => {
    const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(make({ algorithm: 'ES256', signingKey: ed })).toThrow('jwtScheme: options.signingKey must be a ec key for ES256, got "ed25519"');
  });

  it('names the challenge after the first header type', () => {
    expect(make({ authHeaderTypes: ['JWT', 'Bearer'] })().challenge).toBe('JWT realm="api"');
  });
});

describe('prepareKeyRing', () => {
  it('gives HMAC secrets a stable kid that is not the secret, and no JWKS', async () => {
    const a = await prepareKeyRing('HS256', SECRET, []);
    const b = await prepareKeyRing('HS256', SECRET, ['y'.repeat(32)]);
    expect(a.signing.kid).toBe(b.signing.kid);
    expect(a.signing.kid).not.toContain('xxxx');
    expect(a.jwks).toBeNull();
    expect([...b.verifying.keys()]).toHaveLength(2);
    expect(a.signing.key.extractable).toBe(false);
  });

  it('uses the RFC 7638 thumbprint as the kid of a public key and publishes every verifying key', async () => {
    const current = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const old = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ring = await prepareKeyRing(
      'ES256',
      current.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      [old.publicKey.export({ format: 'pem', type: 'spki' }).toString()],
    );
    expect(ring.jwks!.keys).toHaveLength(2);
    expect(ring.jwks!.keys[0]!.kid).toBe(ring.signing.kid);
    expect(ring.jwks!.keys.every((k) => k.kty === 'EC' && k.d === undefined)).toBe(true);
    expect(ring.verifying.size).toBe(2);
  });
});
