/**
 * The differential property shared by verify-differential.test.ts and
 * verify-mutants.test.ts: a generated token, good or bad in one of many
 * ways, must get the same answer from the node verifier as from jose
 * (accept with the same claims, reject, or call expired).
 */
import { createHmac, createPublicKey, createSecretKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { ALGORITHMS, prepareKeyRing, type JwtAlgorithm, type KeyRing } from '../src/keys.js';
import { joseVerifier, type JoseVerifier, type NodeVerifier, type VerifyChecks, type VerifyResult } from '../src/verify.js';

/** `npm test` runs a modest, fixed sample; JWT_DIFF_RUNS / JWT_DIFF_SEED for a long or different one. */
export const RUNS = Number(process.env['JWT_DIFF_RUNS'] ?? 250);
export const SEED = Number(process.env['JWT_DIFF_SEED'] ?? 20_260_522);

const ISSUER = 'https://auth.example';
const AUDIENCE = 'api';
const BASE_SECONDS = 1_800_000_000;

// ---------------------------------------------------------------- keys

/** A signing procedure by JOSE name, on a node private key or secret. */
function signWith(procedure: string, key: KeyObject, input: Buffer): Buffer {
  switch (procedure) {
    case 'HS256':
    case 'HS384':
    case 'HS512':
      return createHmac(`sha${procedure.slice(2)}`, key).update(input).digest();
    case 'RS256':
    case 'RS384':
      return sign(`sha${procedure.slice(2)}`, input, key);
    case 'PS256':
      return sign('sha256', input, { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 });
    case 'ES256':
    case 'ES384':
      return sign(`sha${procedure.slice(2)}`, input, { key, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
    case 'Ed25519':
      return sign(null, input, key);
    default:
      throw new Error(`no procedure ${procedure}`);
  }
}

/** Another algorithm a key of the same kind signs with: the "honest" wrong-algorithm token. */
const SIBLING: Record<JwtAlgorithm, string> = { HS256: 'HS512', HS384: 'HS256', HS512: 'HS384', RS256: 'PS256', ES256: 'ES384', EdDSA: 'Ed25519' };

export interface Fixture {
  readonly algorithm: JwtAlgorithm;
  readonly ring: KeyRing;
  readonly currentKid: string;
  readonly oldKid: string;
  /** Private keys (or secrets) to sign with: in the ring now, in the ring as an older key, in no ring. */
  readonly current: KeyObject;
  readonly old: KeyObject;
  readonly foreign: KeyObject;
  /** The current public key's SPKI PEM as an HMAC secret: the key-confusion attack. */
  readonly confusion: KeyObject;
}

function generate(algorithm: JwtAlgorithm): { privateKey: KeyObject; secret: string } {
  if (algorithm.startsWith('HS')) {
    const secret = randomBytes(32).toString('base64url');
    return { privateKey: createSecretKey(Buffer.from(secret)), secret };
  }
  const { privateKey } =
    algorithm === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : algorithm === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  return { privateKey, secret: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
}

export async function makeFixture(algorithm: JwtAlgorithm): Promise<Fixture> {
  const current = generate(algorithm);
  const old = generate(algorithm);
  const foreign = generate(algorithm);
  const hmac = algorithm.startsWith('HS');
  const oldConfigured = hmac ? old.secret : createPublicKey(old.privateKey).export({ format: 'pem', type: 'spki' }).toString();
  const ring = await prepareKeyRing(algorithm, current.secret, [oldConfigured]);
  const kids = [...ring.verifying.keys()];
  const publicPem = hmac
    ? generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'pem', type: 'spki' }).toString()
    : createPublicKey(current.privateKey).export({ format: 'pem', type: 'spki' }).toString();
  return {
    algorithm,
    ring,
    currentKid: ring.signing.kid,
    oldKid: kids.find((kid) => kid !== ring.signing.kid)!,
    current: current.privateKey,
    old: old.privateKey,
    foreign: foreign.privateKey,
    confusion: createSecretKey(Buffer.from(publicPem)),
  };
}

let fixtures: Promise<Map<JwtAlgorithm, Fixture>> | undefined;
/** One fixture per algorithm, generated once per test file. */
export function allFixtures(): Promise<Map<JwtAlgorithm, Fixture>> {
  fixtures ??= Promise.all(ALGORITHMS.map(makeFixture)).then((list) => new Map(list.map((f) => [f.algorithm, f])));
  return fixtures;
}

// ---------------------------------------------------------------- cases

const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
const k = <T>(weight: number, value: T) => w(weight, fc.constant(value));

/**
 * A claim: undefined (absent), a number of seconds from now, `{ value }` of
 * some other JSON type, or `{ edge }`: a second either side of, or on, the
 * limit the leeway sets (exp: now - leeway, nbf: now + leeway).
 */
type TimeClaim = number | undefined | { readonly value: unknown } | { readonly edge: -1 | 0 | 1 };
const edge = fc.constantFrom(-1 as const, 0 as const, 1 as const).map((e) => ({ edge: e }));
const WRONG_TYPES = fc.constantFrom<unknown>('1800000100', null, true, [BASE_SECONDS + 100], {}, '');
// Offsets around 0 and around ±30, the leeway the generated configs use.
const offset = fc.oneof(
  w(3, fc.constantFrom(-31, -30, -29, -1, 0, 1, 29, 30, 31)),
  w(1, fc.integer({ min: -5000, max: 5000 })),
  w(1, fc.constantFrom(0.5, -0.5, -29.5, -30.5)),
);
type Encoding =
  | { readonly kind: 'canonical' | 'pad' | 'badPad' | 'standard' | 'noncanonical' | 'dangling' }
  | { readonly kind: 'insert'; readonly at: number; readonly char: string };
const encoding: fc.Arbitrary<Encoding> = fc.oneof(
  k(16, { kind: 'canonical' } as const),
  ...(['pad', 'badPad', 'standard', 'noncanonical', 'dangling'] as const).map((kind) => k(1, { kind })),
  // Whitespace jose's atob skips (and \v, \u00a0 it does not), and characters outside the alphabet.
  w(2, fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), char: fc.constantFrom(' ', '\t', '\n', '\r', '\f', '\v', '\u00a0') })),
  w(1, fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), char: fc.constantFrom('!', '%', '*', '~', 'é', '=', '+', '/') })),
);

const HEADER_RAW = ['array', 'string', 'null', 'badJson', 'dupAlgNoneLast', 'dupAlgNoneFirst', 'bom', 'badUtf8', 'protoAlg', 'whitespace'] as const;
const PAYLOAD_RAW = [
  'array', 'string', 'number', 'null', 'badJson', 'trailingComma', 'empty', 'dupBadFirst', 'dupBadLast', 'bom', 'badUtf8',
  'overflowExp', 'overflowNbf', 'negOverflowExp', 'protoMember', 'whitespace',
] as const;

export interface Case {
  readonly algorithm: JwtAlgorithm;
  readonly config: { readonly leeway: number; readonly issuer: boolean; readonly audience: boolean };
  readonly nowMs: number;
  readonly attack: null | 'none' | 'noneWithKid' | 'confusion';
  readonly alg: 'configured' | 'sibling' | 'none' | 'HS256' | 'lower' | 'absent' | 'number' | 'empty';
  readonly kid: 'match' | 'absent' | 'swap' | 'unknown' | 'number' | 'null';
  readonly typ: unknown;
  readonly crit: 'absent' | 'b64' | 'b64False' | 'b64Missing' | 'exp' | 'empty' | 'string' | 'b64Twice' | 'blank' | 'null';
  readonly headerRaw: (typeof HEADER_RAW)[number] | null;
  readonly exp: TimeClaim;
  readonly nbf: TimeClaim;
  readonly iat: TimeClaim;
  readonly iss: 'config' | 'absent' | 'other' | 'number' | 'null' | 'array';
  readonly aud: 'config' | 'absent' | 'other' | 'contains' | 'lacks' | 'mixed' | 'number' | 'null' | 'object';
  readonly sub: unknown;
  readonly pad: number;
  readonly payloadRaw: (typeof PAYLOAD_RAW)[number] | null;
  readonly encode: readonly [Encoding, Encoding, Encoding];
  readonly signing: 'proper' | 'old' | 'foreign' | 'sibling' | 'empty' | 'garbage' | 'truncated';
  readonly tamper: null | { readonly segment: 0 | 1 | 2; readonly at: number; readonly char: string };
  readonly structure: 'normal' | 'twoParts' | 'fourParts' | 'empty' | 'trailingDot' | 'leadingDot';
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** What a case may change from a clean token; the rest stays clean. */
const DIMENSIONS = [
  'attack', 'alg', 'kid', 'typ', 'crit', 'headerRaw', 'exp', 'nbf', 'iat', 'iss', 'aud', 'sub', 'pad', 'payloadRaw', 'encode', 'signing', 'tamper', 'structure',
] as const;
type Dimension = (typeof DIMENSIONS)[number];

const CANONICAL = { kind: 'canonical' } as const;
const CLEAN: Omit<Case, 'algorithm' | 'config' | 'nowMs' | 'exp'> = {
  attack: null, alg: 'configured', kid: 'match', typ: 'JWT', crit: 'absent', headerRaw: null, nbf: undefined, iat: 0, iss: 'config', aud: 'config',
  sub: undefined, pad: 0, payloadRaw: null, encode: [CANONICAL, CANONICAL, CANONICAL], signing: 'proper', tamper: null, structure: 'normal',
};

/**
 * A clean token (valid under its config) with one or two dimensions changed,
 * now and then none or all of them, so every kind of fault is well sampled
 * and faults also meet each other.
 */
export function caseArbitrary(algorithms: readonly JwtAlgorithm[]): fc.Arbitrary<Case> {
  const base = fc.record({
    algorithm: fc.constantFrom(...algorithms),
    config: fc.record({ leeway: fc.constantFrom(0, 30), issuer: fc.boolean(), audience: fc.boolean() }),
    nowMs: fc.integer({ min: 0, max: 999 }).map((ms) => BASE_SECONDS * 1000 + ms),
    exp: fc.integer({ min: 31, max: 100_000 }) as fc.Arbitrary<TimeClaim>,
  });
  const wild = fc.record({
    attack: fc.constantFrom('none' as const, 'noneWithKid' as const, 'confusion' as const),
    alg: fc.constantFrom('sibling', 'none', 'HS256', 'lower', 'absent', 'number', 'empty') as fc.Arbitrary<Case['alg']>,
    kid: fc.oneof(k(3, 'absent' as const), ...(['swap', 'unknown', 'number', 'null'] as const).map((v) => k(1, v))),
    typ: fc.constantFrom<unknown>(undefined, 'at+jwt', 7, null),
    crit: fc.constantFrom('b64', 'b64False', 'b64Missing', 'exp', 'empty', 'string', 'b64Twice', 'blank', 'null') as fc.Arbitrary<Case['crit']>,
    headerRaw: fc.constantFrom(...HEADER_RAW) as fc.Arbitrary<Case['headerRaw']>,
    exp: fc.oneof(w(3, edge), w(3, offset), k(1, undefined), w(2, WRONG_TYPES.map((value) => ({ value })))) as fc.Arbitrary<TimeClaim>,
    nbf: fc.oneof(w(2, edge), w(3, offset), w(1, WRONG_TYPES.map((value) => ({ value })))) as fc.Arbitrary<TimeClaim>,
    iat: fc.oneof(w(2, offset), k(1, undefined), w(2, WRONG_TYPES.map((value) => ({ value })))) as fc.Arbitrary<TimeClaim>,
    iss: fc.constantFrom('absent', 'other', 'number', 'null', 'array') as fc.Arbitrary<Case['iss']>,
    aud: fc.constantFrom('absent', 'other', 'contains', 'lacks', 'mixed', 'number', 'null', 'object') as fc.Arbitrary<Case['aud']>,
    sub: fc.constantFrom<unknown>('42', 42, null, ['42']),
    pad: fc.integer({ min: 2000, max: 20_000 }),
    // An array of claims is the non-object most likely to slip through, so it comes up more often.
    payloadRaw: fc.oneof(k(4, 'array' as const), ...PAYLOAD_RAW.map((v) => k(1, v))) as fc.Arbitrary<Case['payloadRaw']>,
    encode: fc.tuple(encoding, encoding, encoding),
    signing: fc.oneof(k(3, 'old' as const), ...(['foreign', 'sibling', 'empty', 'garbage', 'truncated'] as const).map((v) => k(1, v))),
    tamper: fc.record({ segment: fc.constantFrom(0 as const, 1 as const, 2 as const), at: fc.nat(), char: fc.constantFrom(...ALPHABET) }) as fc.Arbitrary<Case['tamper']>,
    structure: fc.constantFrom('twoParts', 'fourParts', 'empty', 'trailingDot', 'leadingDot') as fc.Arbitrary<Case['structure']>,
  });
  // The time claims, the encodings and the payload's shape have the most cases, so they come up more often.
  const one = fc.oneof(...DIMENSIONS.map((d) => k(d === 'exp' || d === 'encode' ? 3 : d === 'nbf' || d === 'payloadRaw' ? 2 : 1, d)));
  const changed: fc.Arbitrary<readonly Dimension[]> = fc.oneof(
    k(3, []),
    w(11, one.map((d) => [d])),
    w(4, fc.uniqueArray(fc.constantFrom(...DIMENSIONS), { minLength: 2, maxLength: 2 })),
    k(1, DIMENSIONS),
  );
  return fc.record({ base, wild, changed }).map(({ base, wild, changed }) => {
    const c: Record<string, unknown> = { ...CLEAN, ...base };
    for (const dimension of changed) c[dimension] = wild[dimension];
    return c as unknown as Case;
  });
}

// ---------------------------------------------------------------- tokens

export function checksFor(c: Case): VerifyChecks {
  return {
    algorithm: c.algorithm,
    leeway: c.config.leeway,
    ...(c.config.issuer && { issuer: ISSUER }),
    ...(c.config.audience && { audience: AUDIENCE }),
  };
}

function headerBytes(c: Case, fx: Fixture): Buffer {
  const header: Record<string, unknown> = {};
  const alg =
    c.attack === 'none' || c.attack === 'noneWithKid'
      ? 'none'
      : c.attack === 'confusion'
        ? 'HS256'
        : { configured: c.algorithm, sibling: SIBLING[c.algorithm], none: 'none', HS256: 'HS256', lower: c.algorithm.toLowerCase(), absent: undefined, number: 256, empty: '' }[c.alg];
  if (alg !== undefined) header['alg'] = alg;
  if (c.typ !== undefined) header['typ'] = c.typ;
  const kid =
    c.attack === 'none'
      ? undefined
      : {
          match: c.signing === 'old' ? fx.oldKid : c.signing === 'foreign' ? 'foreign-kid' : fx.currentKid,
          absent: undefined,
          swap: c.signing === 'old' ? fx.currentKid : fx.oldKid,
          unknown: 'nope',
          number: 1,
          null: null,
        }[c.kid];
  if (kid !== undefined) header['kid'] = kid;
  const crit = { absent: undefined, b64: ['b64'], b64False: ['b64'], b64Missing: ['b64'], exp: ['exp'], empty: [], string: 'b64', b64Twice: ['b64', 'b64'], blank: [''], null: null }[c.crit];
  if (crit !== undefined) header['crit'] = crit;
  if (c.crit === 'b64' || c.crit === 'b64Twice') header['b64'] = true;
  if (c.crit === 'b64False') header['b64'] = false;
  const json = JSON.stringify(header);
  const cfg = JSON.stringify(c.algorithm);
  const object = (...members: string[]) => `{${members.filter((m) => m !== '').join(',')}}`;
  const body = json.slice(1, -1); // empty when the header has no member
  switch (c.headerRaw) {
    case null:
      return Buffer.from(json);
    case 'array':
      return Buffer.from(`[${json}]`);
    case 'string':
      return Buffer.from('"JWT"');
    case 'null':
      return Buffer.from('null');
    case 'badJson':
      return Buffer.from(json.slice(0, -1));
    case 'dupAlgNoneLast':
      return Buffer.from(object(`"alg":${cfg}`, body, '"alg":"none"'));
    case 'dupAlgNoneFirst':
      return Buffer.from(object('"alg":"none"', body, `"alg":${cfg}`));
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]);
    case 'badUtf8':
      return Buffer.concat([Buffer.from(object(body, '"x":"').slice(0, -1)), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    case 'protoAlg':
      return Buffer.from(object(`"__proto__":{"alg":${cfg}}`, body));
    case 'whitespace':
      return Buffer.from(` \n${json}\t`);
  }
}

function timeValue(claim: TimeClaim, now: number, limit: number): unknown {
  if (typeof claim === 'number') return now + claim;
  if (claim === undefined) return undefined;
  return 'edge' in claim ? limit + claim.edge : claim.value;
}

function payloadBytes(c: Case, now: number): Buffer {
  const claims: Record<string, unknown> = { token_type: 'access', jti: '0123456789abcdef0123456789abcdef', user_id: '1' };
  const set = (name: string, value: unknown) => value !== undefined && (claims[name] = value);
  set('exp', timeValue(c.exp, now, now - c.config.leeway));
  set('nbf', timeValue(c.nbf, now, now + c.config.leeway));
  set('iat', timeValue(c.iat, now, now));
  set('iss', { config: c.config.issuer ? ISSUER : undefined, absent: undefined, other: 'https://evil.example', number: 5, null: null, array: [ISSUER] }[c.iss]);
  set(
    'aud',
    { config: c.config.audience ? AUDIENCE : undefined, absent: undefined, other: 'web', contains: ['web', AUDIENCE], lacks: ['web'], mixed: [AUDIENCE, 5], number: 5, null: null, object: { aud: AUDIENCE } }[c.aud],
  );
  set('sub', c.sub);
  if (c.pad > 0) claims['pad'] = 'x'.repeat(c.pad);
  const json = JSON.stringify(claims);
  const body = json.slice(1, -1); // never empty: token_type is always there
  switch (c.payloadRaw) {
    case null:
      return Buffer.from(json);
    case 'array':
      return Buffer.from(`[${json}]`);
    case 'string':
      return Buffer.from('"claims"');
    case 'number':
      return Buffer.from(String(now + 300));
    case 'null':
      return Buffer.from('null');
    case 'badJson':
      return Buffer.from(json.slice(0, -1));
    case 'trailingComma':
      return Buffer.from(`{${body},}`);
    case 'empty':
      return Buffer.alloc(0);
    case 'dupBadFirst':
      // Duplicate members: JSON.parse keeps the last, for jose and for node alike.
      return Buffer.from(`{"exp":"soon","iss":5,${body}}`);
    case 'dupBadLast':
      return Buffer.from(`{${body},"exp":"soon"}`);
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]);
    case 'badUtf8':
      return Buffer.concat([Buffer.from(`{${body},"x":"`), Buffer.from([0xff]), Buffer.from('"}')]);
    case 'overflowExp':
      return Buffer.from(`{${body},"exp":1e400}`);
    case 'overflowNbf':
      return Buffer.from(`{${body},"nbf":1e400}`);
    case 'negOverflowExp':
      return Buffer.from(`{${body},"exp":-1e400}`);
    case 'protoMember':
      return Buffer.from(`{"__proto__":{"exp":1,"iss":5},${body}}`);
    case 'whitespace':
      return Buffer.from(`\r\n ${json} `);
  }
}

function encodeSegment(bytes: Buffer, how: Encoding): string {
  const s = bytes.toString('base64url');
  const padding = '='.repeat((4 - (s.length % 4)) % 4);
  switch (how.kind) {
    case 'canonical':
      return s;
    case 'pad':
      return s + padding;
    case 'badPad':
      return `${s}${padding}=`;
    case 'standard':
      return s.replaceAll('-', '+').replaceAll('_', '/');
    case 'noncanonical': {
      // Set an unused low bit of the last character (a no-op on a whole quantum).
      if (s.length % 4 === 0) return s;
      return s.slice(0, -1) + ALPHABET[ALPHABET.indexOf(s.at(-1)!) | 1]!;
    }
    case 'dangling':
      return s + 'A'.repeat((5 - (s.length % 4)) % 4 || 4);
    case 'insert': {
      const at = how.at % (s.length + 1);
      return s.slice(0, at) + how.char + s.slice(at);
    }
  }
}

function signature(c: Case, fx: Fixture, input: Buffer): Buffer {
  if (c.attack === 'none' || c.attack === 'noneWithKid') return Buffer.alloc(0);
  if (c.attack === 'confusion') return signWith('HS256', fx.confusion, input);
  switch (c.signing) {
    case 'proper':
      return signWith(c.algorithm, fx.current, input);
    case 'old':
      return signWith(c.algorithm, fx.old, input);
    case 'foreign':
      return signWith(c.algorithm, fx.foreign, input);
    case 'sibling':
      return signWith(SIBLING[c.algorithm], fx.current, input);
    case 'empty':
      return Buffer.alloc(0);
    case 'garbage':
      return Buffer.alloc(signWith(c.algorithm, fx.current, input).length, 0x5a);
    case 'truncated':
      return signWith(c.algorithm, fx.current, input).subarray(0, -1);
  }
}

export function buildToken(c: Case, fx: Fixture): string {
  const now = Math.floor(c.nowMs / 1000);
  const parts = [encodeSegment(headerBytes(c, fx), c.encode[0]), encodeSegment(payloadBytes(c, now), c.encode[1])];
  // Signed over the segments as written, so a re-encoded header or payload
  // carries a good signature and only the decoding rules decide.
  parts.push(encodeSegment(signature(c, fx, Buffer.from(`${parts[0]}.${parts[1]}`)), c.encode[2]));
  if (c.tamper) {
    const segment = parts[c.tamper.segment]!;
    const at = c.tamper.at % Math.max(segment.length, 1);
    const char = segment[at] === c.tamper.char ? (c.tamper.char === 'A' ? 'B' : 'A') : c.tamper.char;
    parts[c.tamper.segment] = segment.slice(0, at) + char + segment.slice(at + 1);
  }
  const token = parts.join('.');
  switch (c.structure) {
    case 'normal':
      return token;
    case 'twoParts':
      return parts.slice(0, 2).join('.');
    case 'fourParts':
      return `${token}.${parts[2]}`;
    case 'empty':
      return '';
    case 'trailingDot':
      return `${token}.`;
    case 'leadingDot':
      return `.${token}`;
  }
}

// ---------------------------------------------------------------- the property

const describeResult = (r: VerifyResult) => (typeof r === 'string' ? r : `accepted ${JSON.stringify(r)}`);

/** Tallies of what jose answered, so a run can show it covered acceptance, expiry and refusal. */
export type Tally = Record<'accepted' | 'expired' | 'invalid', number>;

/**
 * The property: the node verifier `makeNode` builds answers every case as
 * jose does. Both see the same KeyRing, so the kid rule is the scheme's.
 */
export function differentialProperty(
  algorithms: readonly JwtAlgorithm[],
  makeNode: (checks: VerifyChecks) => NodeVerifier,
  fixturesByAlgorithm: ReadonlyMap<JwtAlgorithm, Fixture>,
  tally?: Tally,
) {
  const cache = new Map<string, { node: NodeVerifier; jose: JoseVerifier }>();
  return fc.asyncProperty(caseArbitrary(algorithms), async (c) => {
    const checks = checksFor(c);
    const cacheKey = JSON.stringify(checks);
    let pair = cache.get(cacheKey);
    if (!pair) cache.set(cacheKey, (pair = { node: makeNode(checks), jose: joseVerifier(checks) }));
    const fx = fixturesByAlgorithm.get(c.algorithm)!;
    const token = buildToken(c, fx);
    const now = new Date(c.nowMs);
    const fast = pair.node(token, fx.ring.verifyKeys.node, now);
    const reference = await pair.jose(token, fx.ring.verifyKeys.jose, now);
    if (tally) tally[typeof reference === 'string' ? reference : 'accepted']++;
    const same = typeof fast === 'string' || typeof reference === 'string' ? fast === reference : isDeepStrictEqual(fast, reference);
    if (!same) throw new Error(`node ${describeResult(fast)}, jose ${describeResult(reference)} for ${JSON.stringify(token.slice(0, 400))}`);
  });
}
