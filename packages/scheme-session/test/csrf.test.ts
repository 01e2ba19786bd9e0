import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { csrfFailure, isSafeMethod, maskSecret, newSecret, originFailure, SECRET_LENGTH } from '../src/csrf.js';

const request = (headers: Record<string, string>) => ({ headers: { host: 'app.example', ...headers } }) as unknown as IncomingMessage;

describe("Django's CSRF tokens", () => {
  it('draws 32-character alphanumeric secrets', () => {
    const secrets = new Set(Array.from({ length: 200 }, newSecret));
    expect(secrets.size).toBe(200);
    for (const s of secrets) expect(s).toMatch(/^[a-zA-Z0-9]{32}$/);
  });

  it('masks a secret differently each time, and every mask verifies', () => {
    const secret = newSecret();
    const a = maskSecret(secret);
    const b = maskSecret(secret);
    expect(a).toHaveLength(64);
    expect(a).not.toBe(b);
    for (const token of [secret, a, b]) expect(csrfFailure(request({ 'x-csrftoken': token }), false, secret, [])).toBeNull();
    expect(csrfFailure(request({ 'x-csrftoken': maskSecret(newSecret()) }), false, secret, [])).toBe(
      "CSRF token from the 'X-Csrftoken' HTTP header incorrect.",
    );
  });

  it('treats a session without a secret as one without the cookie', () => {
    expect(csrfFailure(request({ 'x-csrftoken': 'a'.repeat(SECRET_LENGTH) }), false, undefined, [])).toBe('CSRF cookie not set.');
  });

  it('originFailure checks Origin and the HTTPS Referer alone, with no token (login CSRF)', () => {
    expect(originFailure(request({}), false, [])).toBeNull();
    expect(originFailure(request({ origin: 'http://app.example' }), false, [])).toBeNull();
    expect(originFailure(request({ origin: 'https://evil.example' }), false, [])).toBe(
      'Origin checking failed - https://evil.example does not match any trusted origins.',
    );
    expect(originFailure(request({}), true, [])).toBe('Referer checking failed - no Referer.');
    expect(originFailure(request({ referer: 'https://app.example/login' }), true, [])).toBeNull();
    expect(originFailure(request({ referer: 'https://a.b.example/' }), true, ['https://*.b.example'])).toBeNull();
  });

  it('checks Origin against the host and trusted origins, scheme included', () => {
    const secret = newSecret();
    const ok = { 'x-csrftoken': secret };
    expect(csrfFailure(request({ ...ok, origin: 'http://app.example' }), false, secret, [])).toBeNull();
    expect(csrfFailure(request({ ...ok, origin: 'https://app.example' }), false, secret, [])).toBe(
      'Origin checking failed - https://app.example does not match any trusted origins.',
    );
    expect(csrfFailure(request({ ...ok, origin: 'https://a.b.example' }), true, secret, ['https://*.b.example'])).toBeNull();
    expect(csrfFailure(request({ ...ok, origin: 'http://a.b.example' }), true, secret, ['https://*.b.example'])).toMatch(/^Origin checking failed/);
  });

  it('knows the safe methods', () => {
    expect(['GET', 'HEAD', 'OPTIONS', 'TRACE'].every(isSafeMethod)).toBe(true);
    expect(['POST', 'PUT', 'PATCH', 'DELETE'].some(isSafeMethod)).toBe(false);
  });
});
