import { createHash, createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { base64url, calculateJwkThumbprint, importJWK, type CryptoKey, type JWK } from 'jose';
import { OptionError } from '@authbench/core';
import type { KeySet } from './verify.js';

export const ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'ES256', 'EdDSA'] as const;
export type JwtAlgorithm = (typeof ALGORITHMS)[number];

export const MIN_SECRET_BYTES = 32;

export interface KeyRing {
  readonly algorithm: JwtAlgorithm;
  /** The key new tokens are signed with, and its id. */
  readonly signing: { readonly kid: string; readonly key: CryptoKey };
  /** Every key a token may name in its `kid`, the signing key included. */
  readonly verifying: ReadonlyMap<string, CryptoKey>;
  /** The public keys, for `/.well-known/jwks.json`; null for HMAC. */
  readonly jwks: { readonly keys: readonly JWK[] } | null;
  /**
   * What a token's `kid` selects, under the same kids for either verifier:
   * jose's CryptoKeys, and node:crypto KeyObjects for the synchronous path.
   * No kid selects the signing key (for asymmetric algorithms its public half).
   */
  readonly verifyKeys: { readonly jose: KeySet<CryptoKey>; readonly node: KeySet<KeyObject> };
}

const isHmac = (algorithm: JwtAlgorithm) => algorithm.startsWith('HS');

/** A secret's id: a short hash, never the secret. */
const secretKid = (secret: string) => base64url.encode(createHash('sha256').update(`authbench-kid:${secret}`).digest()).slice(0, 16);

function expectedKeyType(algorithm: JwtAlgorithm): string {
  return algorithm === 'RS256' ? 'rsa' : algorithm === 'ES256' ? 'ec' : 'ed25519';
}

/**
 * Checks every key synchronously (so a bad key stops start-up with a clear
 * error) and returns the import, which runs once: keys become `CryptoKey`s,
 * never re-imported per request.
 *
 * @param signingKey HMAC: the secret. Otherwise: a PKCS#8 PEM private key.
 * @param verifyingKeys older keys still accepted: secrets, or SPKI PEM public keys.
 */
export function prepareKeyRing(algorithm: JwtAlgorithm, signingKey: string, verifyingKeys: readonly string[]): Promise<KeyRing> {
  if (isHmac(algorithm)) {
    for (const secret of [signingKey, ...verifyingKeys]) {
      if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
        const option = secret === signingKey ? 'signingKey' : 'verifyingKeys';
        throw new OptionError('jwtScheme', option, `at least ${MIN_SECRET_BYTES} bytes for ${algorithm}`, `${Buffer.byteLength(secret)} bytes`);
      }
    }
    const hash = `SHA-${algorithm.slice(2)}`;
    const load = (secret: string) =>
      crypto.subtle.importKey('raw', Buffer.from(secret), { name: 'HMAC', hash }, false, ['sign', 'verify']);
    return (async () => {
      const signing = { kid: secretKid(signingKey), key: await load(signingKey) };
      const verifying = new Map([[signing.kid, signing.key]]);
      const nodeVerifying = new Map([[signing.kid, createSecretKey(Buffer.from(signingKey))]]);
      for (const secret of verifyingKeys) {
        verifying.set(secretKid(secret), await load(secret));
        nodeVerifying.set(secretKid(secret), createSecretKey(Buffer.from(secret)));
      }
      const verifyKeys = {
        jose: { signing: signing.key, byKid: verifying },
        node: { signing: nodeVerifying.get(signing.kid)!, byKid: nodeVerifying },
      };
      return { algorithm, signing, verifying, jwks: null, verifyKeys };
    })();
  }

  let privateKey: KeyObject;
  let publicKeys: KeyObject[];
  try {
    privateKey = createPrivateKey(signingKey);
  } catch (error) {
    throw new OptionError('jwtScheme', 'signingKey', 'a PKCS#8 PEM private key', (error as Error).message);
  }
  try {
    publicKeys = [createPublicKey(privateKey), ...verifyingKeys.map((pem) => createPublicKey(pem))];
  } catch (error) {
    throw new OptionError('jwtScheme', 'verifyingKeys', 'SPKI PEM public keys', (error as Error).message);
  }
  for (const [index, key] of [privateKey, ...publicKeys].entries()) {
    if (key.asymmetricKeyType !== expectedKeyType(algorithm)) {
      const option = index <= 1 ? 'signingKey' : 'verifyingKeys';
      throw new OptionError('jwtScheme', option, `a ${expectedKeyType(algorithm)} key for ${algorithm}`, key.asymmetricKeyType);
    }
  }
  return (async () => {
    const publicJwks: JWK[] = [];
    const verifying = new Map<string, CryptoKey>();
    const nodeVerifying = new Map<string, KeyObject>();
    for (const key of publicKeys) {
      const jwk = key.export({ format: 'jwk' }) as JWK;
      const kid = await calculateJwkThumbprint(jwk);
      publicJwks.push({ ...jwk, kid, alg: algorithm, use: 'sig' });
      verifying.set(kid, (await importJWK(jwk, algorithm)) as CryptoKey);
      nodeVerifying.set(kid, key);
    }
    const signing = {
      kid: publicJwks[0]!.kid!,
      key: (await importJWK(privateKey.export({ format: 'jwk' }) as JWK, algorithm)) as CryptoKey,
    };
    // A kid-less token is checked against the signing key's public half: the private CryptoKey cannot verify.
    const verifyKeys = {
      jose: { signing: verifying.get(signing.kid)!, byKid: verifying },
      node: { signing: nodeVerifying.get(signing.kid)!, byKid: nodeVerifying },
    };
    return { algorithm, signing, verifying, jwks: { keys: publicJwks }, verifyKeys };
  })();
}
