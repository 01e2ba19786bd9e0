import { randomInt, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Django's CSRF protection (django.middleware.csrf), with its reasons word
 * for word: a 32-character secret, tokens sent either as the secret or
 * masked (64 characters: a random mask and the secret shifted by it), and on
 * HTTPS the strict Origin/Referer checks. Shared by the schemes whose
 * credential a browser sends by itself: session, and jwt's cookie transport.
 */

const CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export const SECRET_LENGTH = 32;
const TOKEN_LENGTH = 64;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
const HEADER_SOURCE = "the 'X-Csrftoken' HTTP header";

export const isSafeMethod = (method: string | undefined) => SAFE_METHODS.has(method ?? 'GET');

/** The Authorization schemes a browser sends on its own (cached), which a cross-site form can ride on. */
const AMBIENT_AUTHORIZATION = new Set(['basic', 'digest', 'negotiate', 'ntlm']);

/**
 * An Authorization header only a script can have set (a token, not Basic,
 * Digest, Negotiate or NTLM), which a cross-origin page cannot send without
 * CORS allowing it: such a request needs no Origin check.
 */
export function carriesScriptCredential(req: IncomingMessage): boolean {
  const header = req.headers.authorization;
  if (header === undefined) return false;
  const keyword = header.trimStart().split(/[ \t]/, 1)[0]!.toLowerCase();
  return keyword !== '' && !AMBIENT_AUTHORIZATION.has(keyword);
}

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
  return originFailure(req, secure, trustedOrigins) ?? tokenFailure(req, secret);
}

/** The token half of Django's check: the request's X-CSRFToken against the session's secret. */
export function tokenFailure(req: IncomingMessage, secret: string | undefined): string | null {
  if (secret === undefined || secret.length !== SECRET_LENGTH) return 'CSRF cookie not set.';
  const expected = Buffer.from(secret);
  return presentedTokenFailure(req, (presented) => timingSafeEqual(Buffer.from(presented), expected));
}

/**
 * The token half once a secret is known to exist: the request's X-CSRFToken,
 * unmasked, handed to `matches`. For a secret the server holds only as a
 * hash (the jwt cookie transport binds one into its tokens).
 * @param matches whether the presented secret (32 characters) is the right one; compare in constant time.
 */
export function presentedTokenFailure(req: IncomingMessage, matches: (secret: string) => boolean): string | null {
  const token = req.headers['x-csrftoken'];
  if (typeof token !== 'string') return 'CSRF token missing.';
  if (token.length !== SECRET_LENGTH && token.length !== TOKEN_LENGTH) return `CSRF token from ${HEADER_SOURCE} has incorrect length.`;
  if (!VALID.test(token)) return `CSRF token from ${HEADER_SOURCE} has invalid characters.`;
  if (!matches(token.length === TOKEN_LENGTH ? unmask(token) : token)) return `CSRF token from ${HEADER_SOURCE} incorrect.`;
  return null;
}

/**
 * Django's Origin check, and over HTTPS without an Origin its Referer check:
 * the part of CSRF protection that needs no token, so it also guards
 * anonymous requests (login CSRF). No Origin over plain HTTP passes, as in
 * Django: scripts and curl send none.
 * @param trustedOrigins CSRF_TRUSTED_ORIGINS, as Django's CsrfViewMiddleware reads it
 *   (the demo's config refuses entries without a scheme, as Django's check 4_0.E001).
 * @returns Django's reason, or null when the request passes.
 */
export function originFailure(req: IncomingMessage, secure: boolean, trustedOrigins: readonly string[]): string | null {
  const host = req.headers.host ?? '';
  const origin = req.headers.origin;
  if (origin !== undefined) {
    const own = `${secure ? 'https' : 'http'}://${host}`;
    if (!sameText(origin, own) && !originTrusted(origin, trustedOrigins)) {
      return `Origin checking failed - ${origin} does not match any trusted origins.`;
    }
  } else if (secure) {
    const referer = req.headers.referer;
    if (referer === undefined) return 'Referer checking failed - no Referer.';
    const url = splitUrl(referer);
    if (url === null || url.scheme === '' || url.netloc === '') return 'Referer checking failed - Referer is malformed.';
    if (url.scheme !== 'https') return 'Referer checking failed - Referer is insecure while host is secure.';
    // Django matches the Referer's host against every entry's host, whatever its scheme.
    if (!trustedOrigins.some((t) => isSameDomain(url.netloc, trustedHost(t))) && !isSameDomain(url.netloc, host)) {
      return `Referer checking failed - ${referer} does not match any trusted origins.`;
    }
  }
  return null;
}

/** Hosts are case-insensitive; browsers send them in lower case, a hand-typed setting may not be. */
const sameText = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Python's urlsplit, the scheme (lower-cased) and netloc only; null where it raises ValueError. */
function splitUrl(url: string): { scheme: string; netloc: string } | null {
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.exec(url)?.[0].slice(0, -1).toLowerCase() ?? '';
  const rest = url.slice(scheme === '' ? 0 : scheme.length + 1);
  const netloc = rest.startsWith('//') ? /^[^/?#]*/.exec(rest.slice(2))![0] : '';
  if (netloc.includes('[') !== netloc.includes(']')) return null; // "Invalid IPv6 URL"
  return { scheme, netloc };
}

/** An entry's host as Django's pattern: `https://*.example.com` gives `.example.com` (urlsplit(t).netloc.lstrip('*')). */
const trustedHost = (entry: string) => splitUrl(entry)?.netloc.replace(/^\*+/, '') ?? '';

/**
 * Django's `_origin_verified`: an entry without `*` must equal the Origin
 * (so one with a path, even a trailing slash, never does); an entry with it
 * matches the Origin's host by `is_same_domain` under the same scheme.
 */
function originTrusted(origin: string, trusted: readonly string[]): boolean {
  const url = splitUrl(origin);
  return trusted.some((entry) => {
    if (!entry.includes('*')) return sameText(entry, origin);
    return url !== null && splitUrl(entry)?.scheme === url.scheme && isSameDomain(url.netloc, trustedHost(entry));
  });
}

/**
 * Django's `is_same_domain`: a pattern beginning with a dot matches the domain
 * itself and all its subdomains (`.example.com`: `example.com`,
 * `app.example.com`); any other must match exactly. Case-insensitive.
 */
function isSameDomain(host: string, pattern: string): boolean {
  if (pattern === '') return false;
  const h = host.toLowerCase();
  const p = pattern.toLowerCase();
  return p.startsWith('.') ? h.endsWith(p) || h === p.slice(1) : h === p;
}
