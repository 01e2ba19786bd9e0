/**
 * Access-token verification, two ways with one contract.
 *
 * `nodeVerifier`: synchronous, on node:crypto KeyObjects (an HS256 check is a
 * few µs). `joseVerifier`: jose's `jwtVerify`, which goes through WebCrypto
 * asynchronously (40–100 µs a call). The node path makes every check jose 6
 * makes for this scheme's options, in jose's order, so both accept the same
 * tokens, return the same claims and call the same tokens expired;
 * test/verify-differential.test.ts holds them to that.
 *
 * Only node:crypto and jose are imported at run time (types aside): the
 * mutation tests load edited copies of this file from a temporary directory.
 */
import { createHmac, timingSafeEqual, verify as verifySignature, type KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { JwtAlgorithm } from './keys.js';

/** What a token's `kid` selects from; no `kid` (a token simplejwt itself minted) means the signing key, or its public half. */
export interface KeySet<K> {
  readonly signing: K;
  readonly byKid: ReadonlyMap<string, K>;
}

/** The scheme's options that bear on verification. */
export interface VerifyChecks {
  readonly algorithm: JwtAlgorithm;
  /** Seconds of clock skew allowed on `exp` and `nbf`. */
  readonly leeway: number;
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
}

/** The claims, or why not: `'expired'` only when `exp` was the one thing wrong (jose's JWTExpired). */
export type VerifyResult = JWTPayload | 'invalid' | 'expired';
export type NodeVerifier = (token: string, keys: KeySet<KeyObject>, now: Date) => VerifyResult;
export type JoseVerifier = (token: string, keys: KeySet<CryptoKey>, now: Date) => Promise<VerifyResult>;

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const ASCII = /^[\x00-\x7f]*$/;

/**
 * A segment's bytes as jose decodes them, or null where jose throws. On a
 * runtime without `Uint8Array.fromBase64` (Node 20, 22) jose refuses `+` and
 * `/`, maps the URL alphabet to the standard one and calls `atob`, whose
 * forgiving-base64 skips ASCII whitespace (tab, LF, FF, CR, space) anywhere,
 * takes one or two `=` only at the end of a whole 4-character quantum, and
 * ignores the unused low bits of the last character.
 */
export function decodeBase64url(input: string): Buffer | null {
  if (BASE64URL.test(input)) return input.length % 4 === 1 ? null : Buffer.from(input, 'base64url');
  let data = '';
  let padding = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) continue;
    if (c === 0x3d) {
      padding++;
      continue;
    }
    const alphabet = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f;
    if (padding > 0 || !alphabet) return null;
    data += input[i];
  }
  if (padding > 2 || (padding > 0 && (data.length + padding) % 4 !== 0) || data.length % 4 === 1) return null;
  return Buffer.from(data, 'base64url');
}

// jose's strictDecoder: invalid UTF-8 throws, a leading BOM is dropped.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A JSON object (not an array, not null), as jose's header and claims-set parsing requires. */
function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | null {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    return null;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** The scheme's kid rule: none means the signing key, a string names a key, anything else names none. */
function keyFor<K>(header: Record<string, unknown>, keys: KeySet<K>): K | undefined {
  const kid = header['kid'];
  return kid === undefined ? keys.signing : typeof kid === 'string' ? keys.byKid.get(kid) : undefined;
}

/**
 * jose recognises one `crit` extension, `b64`, and a JWT must keep its
 * payload encoded, so `crit: ["b64"]` (repeats allowed) with `b64: true`
 * passes and every other `crit` is refused.
 */
function critAccepted(header: Record<string, unknown>): boolean {
  const crit = header['crit'];
  if (crit === undefined) return true;
  return Array.isArray(crit) && crit.length > 0 && crit.every((name) => name === 'b64') && header['b64'] === true;
}

/** The key's kind must be the algorithm's, as jose checks a CryptoKey's algorithm and type; RSA under 2048 bits is refused as jose does. */
function keyFits(key: KeyObject, algorithm: JwtAlgorithm): boolean {
  switch (algorithm) {
    case 'HS256':
    case 'HS384':
    case 'HS512':
      return key.type === 'secret';
    case 'RS256':
      return key.type === 'public' && key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
    case 'ES256':
      return key.type === 'public' && key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
    case 'EdDSA':
      return key.type === 'public' && key.asymmetricKeyType === 'ed25519';
  }
}

/** @param input the signing input, `header.payload` as written: ASCII, so latin1 gives its bytes. */
function signatureValid(algorithm: JwtAlgorithm, key: KeyObject, input: string, signature: Buffer): boolean {
  try {
    switch (algorithm) {
      case 'HS256':
      case 'HS384':
      case 'HS512': {
        const mac = createHmac(`sha${algorithm.slice(2)}`, key).update(input, 'latin1').digest();
        return mac.length === signature.length && timingSafeEqual(mac, signature);
      }
      case 'RS256':
        return verifySignature('sha256', Buffer.from(input, 'latin1'), key, signature);
      case 'ES256':
        // JOSE's r||s (64 bytes), not DER.
        return verifySignature('sha256', Buffer.from(input, 'latin1'), { key, dsaEncoding: 'ieee-p1363' }, signature);
      case 'EdDSA':
        return verifySignature(null, Buffer.from(input, 'latin1'), key, signature);
    }
  } catch {
    return false; // a malformed signature node refuses to parse
  }
}

/**
 * jose's validateClaimsSet for the options the scheme passes (issuer,
 * audience, clockTolerance, currentDate), in its order. Only `iat`, `nbf`
 * and `exp` are type-checked: without the matching option jose reads no
 * other claim, so `iss: 5` or `aud: ["api", 5]` pass where not configured.
 */
function claimsResult(claims: Record<string, unknown>, checks: VerifyChecks, now: number): VerifyResult {
  const { issuer, audience, leeway } = checks;
  if (issuer !== undefined && claims['iss'] !== issuer) return 'invalid';
  const aud = claims['aud'];
  if (audience !== undefined && aud !== audience && !(Array.isArray(aud) && aud.includes(audience))) return 'invalid';
  const iat = claims['iat'];
  if (iat !== undefined && typeof iat !== 'number') return 'invalid';
  const nbf = claims['nbf'];
  if (nbf !== undefined && typeof nbf !== 'number') return 'invalid';
  if (nbf !== undefined && nbf > now + leeway) return 'invalid';
  const exp = claims['exp'];
  if (exp !== undefined && typeof exp !== 'number') return 'invalid';
  if (exp !== undefined && exp <= now - leeway) return 'expired';
  return claims as JWTPayload;
}

export function nodeVerifier(checks: VerifyChecks): NodeVerifier {
  const { algorithm } = checks;
  return (token, keys, now) => {
    const dot1 = token.indexOf('.');
    const dot2 = dot1 < 0 ? -1 : token.indexOf('.', dot1 + 1);
    if (dot2 < 0 || token.includes('.', dot2 + 1)) return 'invalid';
    const headerBytes = decodeBase64url(token.slice(0, dot1));
    const header = headerBytes && parseJsonObject(headerBytes);
    if (!header || !critAccepted(header)) return 'invalid';
    // Pinned: `none`, another algorithm or a non-string never gets as far as a key.
    if (header['alg'] !== algorithm) return 'invalid';
    const key = keyFor(header, keys);
    if (key === undefined || !keyFits(key, algorithm)) return 'invalid';
    const payloadSegment = token.slice(dot1 + 1, dot2);
    if (!ASCII.test(payloadSegment)) return 'invalid';
    const signature = decodeBase64url(token.slice(dot2 + 1));
    // The header segment decoded and the payload segment is ASCII, so the signing input is too.
    if (!signature || !signatureValid(algorithm, key, token.slice(0, dot2), signature)) return 'invalid';
    const payloadBytes = decodeBase64url(payloadSegment);
    const claims = payloadBytes && parseJsonObject(payloadBytes);
    if (!claims) return 'invalid';
    return claimsResult(claims, checks, Math.floor(now.getTime() / 1000));
  };
}

/** jose's `jwtVerify`, with the key the scheme's kid rule picks. */
export function joseVerifier(checks: VerifyChecks): JoseVerifier {
  // Built once: per call only the current time changes.
  const options: JWTVerifyOptions = {
    algorithms: [checks.algorithm],
    clockTolerance: checks.leeway,
    ...(checks.issuer !== undefined && { issuer: checks.issuer }),
    ...(checks.audience !== undefined && { audience: checks.audience }),
  };
  return async (token, keys, now) => {
    // The key is chosen here and handed over as a CryptoKey: a resolver
    // function takes jose's slower path (measured 15 % of a verify).
    const dot = token.indexOf('.');
    const headerBytes = dot < 0 ? null : decodeBase64url(token.slice(0, dot));
    const header = headerBytes && parseJsonObject(headerBytes);
    const key = header ? keyFor(header, keys) : undefined;
    if (key === undefined) return 'invalid';
    try {
      return (await jwtVerify(token, key, { ...options, currentDate: now })).payload;
    } catch (error) {
      return error instanceof joseErrors.JWTExpired ? 'expired' : 'invalid';
    }
  };
}
