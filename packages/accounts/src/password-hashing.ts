import argon2 from 'argon2';

/**
 * Passwords are hashed with Argon2id at OWASP's recommended minimum
 * (19 MiB of memory, 2 passes, 1 lane) and stored in the encoding of Django's
 * `Argon2PasswordHasher` (`argon2$argon2id$v=19$m=…,t=…,p=…$salt$hash`), so a
 * hash also verifies in a Django project that enables that hasher.
 */

export interface Argon2Parameters {
  /** KiB. */
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

export const OWASP_ARGON2ID: Argon2Parameters = Object.freeze({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });

const DJANGO_PREFIX = 'argon2';

export async function hashPassword(password: string, parameters: Argon2Parameters = OWASP_ARGON2ID): Promise<string> {
  const phc = await argon2.hash(password, { type: argon2.argon2id, ...parameters });
  // The package writes `m=,p=,t=`; libargon2, behind Django's argon2-cffi, reads only `m=,t=,p=`.
  const { memoryCost: m, timeCost: t, parallelism: p } = parameters;
  return DJANGO_PREFIX + phc.replace(/\$m=\d+,p=\d+,t=\d+\$/, `$m=${m},t=${t},p=${p}$`);
}

/** Constant-time by construction (argon2's own comparison); false for any hash it cannot read. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  if (!encoded.startsWith(DJANGO_PREFIX + '$')) return false;
  try {
    return await argon2.verify(encoded.slice(DJANGO_PREFIX.length), password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of one verification on nothing, so a login for an unknown
 * username takes as long as one with a wrong password (Django's ModelBackend
 * does the same).
 */
export async function verifyAgainstDummy(password: string): Promise<void> {
  dummyHash ??= hashPassword('authbench-dummy-password');
  await verifyPassword(password, await dummyHash);
}
