// How this service has always hashed its passwords: scrypt from node:crypto,
// stored as "scrypt$N$r$p$<salt b64>$<hash b64>". Nothing here knows authbench.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

/** @type {(password: string | Buffer, salt: Buffer, length: number, options: import('node:crypto').ScryptOptions) => Promise<Buffer>} */
const scrypt = (password, salt, length, options) =>
  new Promise((resolve, reject) => {
    scryptCallback(password, salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });

/**
 * @param {string} password
 * @returns {Promise<string>}
 */
export async function hashPassword(password) {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LENGTH, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

/**
 * Whether `password` matches `stored`; false for a malformed hash.
 * @param {string} password
 * @param {string} stored
 * @returns {Promise<boolean>}
 */
export async function verifyPassword(password, stored) {
  const [algorithm, n, r, p, salt, hash] = stored.split('$');
  if (algorithm !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return timingSafeEqual(key, expected);
}

/**
 * A hash of a password nobody has, made once: checking a password against it
 * costs what a real check costs, so an unknown login takes as long as a known one.
 */
export const DUMMY_HASH = await hashPassword(randomBytes(18).toString('base64'));
