import { randomInt, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Django's CSRF protection (django.middleware.csrf), with its reasons word
 * for word: a 32-character secret, tokens sent either as the secret or
 * masked (64 characters: a random mask and the secret shifted by it), and on
 * HTTPS the strict Origin/Referer checks.
 */

const CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export const SECRET_LENGTH = 32;
const TOKEN_LENGTH = 64;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
const HEADER_SOURCE = "the 'X-Csrftoken' HTTP header";

export const isSafeMethod = (method: string | undefined) => SAFE_METHODS.has(method ?? 'GET');

export function newSecret(): string {
  let secret = '';
  for (let i = 0; i < SECRET_LENGTH; i++) secret += CHARS[randomInt(CHARS.length)];
  return secret;
}

/** A fresh masked form of the secret, as Django's `get_token()` returns. */
export function maskSecret(secret: string): string {
  const mask = newSecret();
  let cipher = '';
  for (let i = 0; i < SECRET_LENGTH; i++) cipher += CHARS[(CHARS.indexOf(secret[i]!) + CHARS.indexOf(mask[i]!)) % CHARS.length];
  return mask + cipher;
}

function unmask(token: string): string {
  const mask = token.slice(0, SECRET_LENGTH);
  let secret = '';
  for (let i = 0; i < SECRET_LENGTH; i++) {
    const shifted = CHARS.indexOf(token[SECRET_LENGTH + i]!) - CHARS.indexOf(mask[i]!);
    secret += CHARS[(shifted + CHARS.length) % CHARS.length];
  }
  return secret;
}

const VALID = /^[a-zA-Z0-9]*$/;

/**
 * @returns Django's reason for refusing the request, or null when it passes.
 * @param secure whether the request came over HTTPS.
 * @param secret the session's CSRF secret (undefined when it has none).
 */
export function csrfFailure(req: IncomingMessage, secure: boolean, secret: string | undefined, trustedOrigins: readonly string[]): string | null {
  const originProblem = originFailure(req, secure, trustedOrigins);
  if (originProblem !== null) return originProblem;

  if (secret === undefined || secret.length !== SECRET_LENGTH) return 'CSRF cookie not set.';
  const token = req.headers['x-csrftoken'];
  if (typeof token !== 'string') return 'CSRF token missing.';
  if (token.length !== SECRET_LENGTH && token.length !== TOKEN_LENGTH) return `CSRF token from ${HEADER_SOURCE} has incorrect length.`;
  if (!VALID.test(token)) return `CSRF token from ${HEADER_SOURCE} has invalid characters.`;
  const presented = Buffer.from(token.length === TOKEN_LENGTH ? unmask(token) : token);
  if (!timingSafeEqual(presented, Buffer.from(secret))) return `CSRF token from ${HEADER_SOURCE} incorrect.`;
  return null;
}

/**
 * Django's Origin check, and over HTTPS without an Origin its Referer check:
 * the part of CSRF protection that needs no token, so it also guards
 * anonymous requests (login CSRF). No Origin over plain HTTP passes, as in
 * Django: scripts and curl send none.
 * @returns Django's reason, or null when the request passes.
 */
export function originFailure(req: IncomingMessage, secure: boolean, trustedOrigins: readonly string[]): string | null {
  const host = req.headers.host ?? '';
  const origin = req.headers.origin;
  if (origin !== undefined) {
    const own = `${secure ? 'https' : 'http'}://${host}`;
    if (origin !== own && !isTrusted(origin, trustedOrigins)) {
      return `Origin checking failed - ${origin} does not match any trusted origins.`;
    }
  } else if (secure) {
    const referer = req.headers.referer;
    if (referer === undefined) return 'Referer checking failed - no Referer.';
    let url: URL;
    try {
      url = new URL(referer);
    } catch {
      return 'Referer checking failed - Referer is malformed.';
    }
    if (url.protocol !== 'https:') return 'Referer checking failed - Referer is insecure while host is secure.';
    if (url.host !== host && !isTrusted(url.origin, trustedOrigins)) {
      return `Referer checking failed - ${referer} does not match any trusted origins.`;
    }
  }
  return null;
}

/** CSRF_TRUSTED_ORIGINS: exact origins, or `https://*.example.com` for any subdomain. */
function isTrusted(origin: string, trusted: readonly string[]): boolean {
  return trusted.some((t) => {
    if (!t.includes('://*.')) return t === origin;
    const [scheme, domain] = t.split('://*.') as [string, string];
    return origin.startsWith(`${scheme}://`) && origin.endsWith(`.${domain}`);
  });
}
