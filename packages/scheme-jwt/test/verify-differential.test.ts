import { createHmac, createSecretKey, generateKeyPairSync, sign } from 'node:crypto';
import fc from 'fast-check';
import { base64url, importJWK, type CryptoKey, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALGORITHMS, type JwtAlgorithm } from '../src/keys.js';
import { decodeBase64url, joseVerifier, nodeVerifier, type KeySet } from '../src/verify.js';
import { allFixtures, differentialProperty, RUNS, SEED, type Fixture, type Tally } from './differential.js';

let fixtures: Map<JwtAlgorithm, Fixture>;
beforeAll(async () => {
  fixtures = await allFixtures();
});

describe('the node verifier answers as jose does', () => {
  // Where the two disagree on purpose: nowhere. Every case must match.
  it.each(ALGORITHMS)(`%s: ${RUNS} generated tokens (seed ${SEED} + its index), same accept/reject/expired and same claims`, async (algorithm) => {
    const tally: Tally = { accepted: 0, expired: 0, invalid: 0 };
    await fc.assert(differentialProperty([algorithm], nodeVerifier, fixtures, tally), { seed: SEED + ALGORITHMS.indexOf(algorithm), numRuns: RUNS });
    // The sample reaches all three answers, not only refusals.
    expect(tally.accepted + tally.expired + tally.invalid).toBe(RUNS);
    expect(tally.accepted).toBeGreaterThan(RUNS / 10);
    expect(tally.expired).toBeGreaterThan(0);
    expect(tally.invalid).toBeGreaterThan(RUNS / 4);
  });
});

describe('decodeBase64url matches jose.base64url.decode', () => {
  const decodeWithJose = (input: string) => {
    try {
      return Buffer.from(base64url.decode(input)).toString('hex');
    } catch {
      return null;
    }
  };
  const ours = (input: string) => decodeBase64url(input)?.toString('hex') ?? null;

  it.each([
    ['', ''],
    ['AA', '00'],
    ['AA==', '00'], // padding, when it completes a quantum
    ['AAA=', '0000'],
    ['AB', '00'], // unused low bits ignored
    [' A\tA\n=\r=\f', '00'], // ASCII whitespace skipped anywhere
    ['AA=', null],
    ['AAAA==', null],
    ['AA=A', null],
    ['A', null],
    ['+A', null], // the standard alphabet
    ['/A', null],
    ['A\vA', null], // not whitespace to atob
    ['A\u00a0A', null],
    ['AAA\u00e9', null],
  ])('%j', (input, hex) => {
    expect(ours(input)).toBe(hex);
    expect(decodeWithJose(input)).toBe(hex);
  });

  it('agrees on generated strings over the alphabet and its neighbours', () => {
    const chars = fc.constantFrom(...'AQgw_-09zZ+/=. \t\n\r\f\v\u00a0é!');
    fc.assert(
      fc.property(fc.string({ unit: chars, maxLength: 14 }), (input) => ours(input) === decodeWithJose(input)),
      { seed: SEED, numRuns: RUNS * 8 },
    );
  });
});

describe('what jose 6 accepts, and so the node verifier too', () => {
  // Signed over the segments as written, so only the parsing rules decide.
  const now = new Date('2027-01-15T08:00:00Z');
  const exp = now.getTime() / 1000 + 60;
  const segment = (value: string | object) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
  const token = (fx: Fixture, header: string, payload: string, reencode = (signature: string) => signature) => {
    const input = `${header}.${payload}`;
    return `${input}.${reencode(createHmac('sha256', fx.current).update(input).digest('base64url'))}`;
  };
  const both = async (t: string, checks: { issuer?: string; audience?: string } = {}) => {
    const fx = fixtures.get('HS256')!;
    const full = { algorithm: 'HS256' as const, leeway: 0, ...checks };
    const answers = [nodeVerifier(full)(t, fx.ring.verifyKeys.node, now), await joseVerifier(full)(t, fx.ring.verifyKeys.jose, now)];
    return answers.map((a) => (typeof a === 'string' ? a : 'accepted'));
  };
  const header = (extra: object = {}) => segment({ alg: 'HS256', ...extra });

  it.each([
    ['crit ["b64"] with b64: true (the one extension jose knows)', { crit: ['b64'], b64: true }, 'accepted'],
    ['crit ["b64"] with b64: false (a JWT payload must stay encoded)', { crit: ['b64'], b64: false }, 'invalid'],
    ['crit naming anything else', { crit: ['exp'] }, 'invalid'],
    ['typ of any value (the scheme checks none)', { typ: 42 }, 'accepted'],
  ])('%s', async (_, extra, answer) => {
    const fx = fixtures.get('HS256')!;
    expect(await both(token(fx, header(extra), segment({ exp })))).toEqual([answer, answer]);
  });

  it.each([
    ['iss and sub of any type, when no issuer is configured', { exp, iss: 5, sub: null }, {}, 'accepted'],
    ['aud with a member that is not a string, when it holds the audience', { exp, aud: ['api', 5] }, { audience: 'api' }, 'accepted'],
    ['iat in the future (jose checks its type only)', { exp, iat: exp + 1000 }, {}, 'accepted'],
    ['exp of 1e400, which JSON reads as Infinity', '{"exp":1e400}', {}, 'accepted'],
    ['exp as a numeric string', { exp: String(exp) }, {}, 'invalid'],
    ['a JSON array of claims', [{ exp }], {}, 'invalid'],
  ])('%s', async (_, claims, checks, answer) => {
    const fx = fixtures.get('HS256')!;
    expect(await both(token(fx, header(), segment(claims)), checks)).toEqual([answer, answer]);
  });

  it.each([
    ['a padded signature', (s: string) => `${s}=`, 'accepted'],
    ['whitespace inside the signature', (s: string) => `${s.slice(0, 5)} \n${s.slice(5)}`, 'accepted'],
    // Where the MAC has no - or _ to swap, a trailing + stands in for one.
    ['the signature in the standard alphabet', (s: string) => (/[-_]/.test(s) ? s.replace(/-/g, '+').replace(/_/g, '/') : `${s}+`), 'invalid'],
  ])('%s', async (_, reencode, answer) => {
    const fx = fixtures.get('HS256')!;
    expect(await both(token(fx, header(), segment({ exp }), reencode))).toEqual([answer, answer]);
  });
});

describe('keys the verifier refuses however the token is signed', () => {
  const now = new Date('2027-01-15T08:00:00Z');
  const claims = Buffer.from(JSON.stringify({ exp: now.getTime() / 1000 + 60 })).toString('base64url');

  it('an RSA key under 2048 bits, as jose refuses it', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const input = `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${claims}`;
    const token = `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
    const crypto = (await importJWK(publicKey.export({ format: 'jwk' }) as JWK, 'RS256')) as CryptoKey;
    const jose: KeySet<CryptoKey> = { signing: crypto, byKid: new Map() };
    expect(nodeVerifier({ algorithm: 'RS256', leeway: 0 })(token, { signing: publicKey, byKid: new Map() }, now)).toBe('invalid');
    expect(await joseVerifier({ algorithm: 'RS256', leeway: 0 })(token, jose, now)).toBe('invalid');
  });

  it('a public key under an HMAC algorithm, or a secret under an asymmetric one: refused, not thrown', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const hs = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${claims}.AAAA`;
    const ed = `${Buffer.from('{"alg":"EdDSA"}').toString('base64url')}.${claims}.AAAA`;
    expect(nodeVerifier({ algorithm: 'HS256', leeway: 0 })(hs, { signing: publicKey, byKid: new Map() }, now)).toBe('invalid');
    const pem = createSecretKey(Buffer.from(publicKey.export({ format: 'pem', type: 'spki' })));
    expect(nodeVerifier({ algorithm: 'EdDSA', leeway: 0 })(ed, { signing: pem, byKid: new Map() }, now)).toBe('invalid');
  });
});
