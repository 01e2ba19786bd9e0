import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const NAME = 'authbench_device';
const YEAR = 365 * 86_400;

/**
 * OWASP's device cookie: proof that this client logged in as a user before,
 * so that its login attempts are not held back by the failures strangers
 * pile onto that username. `<user>.<nonce>.<mac>`: the user as a short hash
 * (the cookie names no one), a random nonce that tells devices apart, and an
 * HMAC over both. It is no credential: it authenticates nothing, it only
 * chooses which failure counter a login attempt is judged by.
 */
export function deviceCookies(secret: string | undefined) {
  const key = secret === undefined ? randomBytes(32) : Buffer.from(secret);
  const userPart = (username: string) => createHash('sha256').update(username).digest('base64url').slice(0, 16);
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest().subarray(0, 16);

  return {
    /** The nonce of a cookie issued for `username` and signed with this secret; null otherwise. */
    read(header: string | undefined, username: string): string | null {
      const value = header
        ?.split(';')
        .map((c) => c.trim())
        .find((c) => c.startsWith(`${NAME}=`))
        ?.slice(NAME.length + 1);
      const [user, nonce, signature, extra] = (value ?? '').split('.');
      if (user === undefined || nonce === undefined || signature === undefined || extra !== undefined || user !== userPart(username)) return null;
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(`${user}.${nonce}`);
      return given.length === expected.length && timingSafeEqual(given, expected) ? nonce : null;
    },
    /** A new cookie for `username`, as a Set-Cookie value. */
    issue(username: string, secure: boolean): string {
      const payload = `${userPart(username)}.${randomBytes(16).toString('base64url')}`;
      return `${NAME}=${payload}.${mac(payload).toString('base64url')}; Max-Age=${YEAR}; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
    },
  };
}
