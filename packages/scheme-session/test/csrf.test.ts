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

  describe("CSRF_TRUSTED_ORIGINS as Django's CsrfViewMiddleware matches it", () => {
    const trusted = ['https://*.example.com'];
    const byOrigin = (origin: string, list: readonly string[] = trusted) => originFailure(request({ host: 'api.example.com', origin }), true, list);
    const byReferer = (referer: string, list: readonly string[] = trusted) => originFailure(request({ host: 'api.example.com', referer }), true, list);
    const foreign = (origin: string) => `Origin checking failed - ${origin} does not match any trusted origins.`;

    it('`https://*.example.com` trusts the subdomains and example.com itself (is_same_domain with `.example.com`)', () => {
      for (const origin of ['https://example.com', 'https://app.example.com', 'https://a.b.example.com']) expect(byOrigin(origin)).toBeNull();
      for (const referer of ['https://example.com/page', 'https://app.example.com/x?y#z']) expect(byReferer(referer)).toBeNull();
      // Not a look-alike, not another scheme, not another port: the port is part of the host compared.
      for (const origin of ['https://badexample.com', 'https://example.com.evil.test', 'http://app.example.com', 'https://app.example.com:8443']) {
        expect(byOrigin(origin)).toBe(foreign(origin));
      }
      expect(byOrigin('https://app.example.com:8443', ['https://*.example.com:8443'])).toBeNull();
      expect(byReferer('https://evil.test/p')).toBe('Referer checking failed - https://evil.test/p does not match any trusted origins.');
    });

    it('compares hosts case-insensitively: the app’s own, exact entries and wildcard ones', () => {
      expect(byOrigin('https://APP.example.com')).toBeNull();
      expect(byOrigin('https://app.EXAMPLE.com')).toBeNull();
      expect(byOrigin('https://app.example.com', ['https://*.Example.COM'])).toBeNull();
      expect(byOrigin('https://shop.example.org', ['https://Shop.Example.org'])).toBeNull();
      expect(byReferer('https://Shop.Example.ORG/cart', ['https://shop.example.org'])).toBeNull();
      expect(originFailure(request({ host: 'App.Example', origin: 'http://app.example' }), false, [])).toBeNull();
      expect(originFailure(request({ host: 'App.Example', referer: 'https://app.EXAMPLE/x' }), true, [])).toBeNull();
    });

    it('an exact entry must equal the Origin: one with a trailing slash never does, though a Referer still matches its host (as Django)', () => {
      expect(byOrigin('https://shop.example.org', ['https://shop.example.org/'])).toBe(foreign('https://shop.example.org'));
      expect(byReferer('https://shop.example.org/cart', ['https://shop.example.org/'])).toBeNull();
      // A wildcard entry is matched by its host, so its trailing slash changes nothing.
      expect(byOrigin('https://app.example.com', ['https://*.example.com/'])).toBeNull();
    });

    it("matches a Referer against every entry's host, whatever the entry's scheme (Django's csrf_trusted_origins_hosts)", () => {
      expect(byReferer('https://shop.example.org/', ['http://shop.example.org'])).toBeNull();
      expect(byOrigin('https://shop.example.org', ['http://shop.example.org'])).toBe(foreign('https://shop.example.org'));
    });

    it("refuses a Referer urlsplit finds no scheme or host in as malformed, Django's reason", () => {
      for (const referer of ['foo:bar', 'https:example.com', '//example.com/x', 'example.com', 'https://[::1/x', 'https://']) {
        expect(byReferer(referer)).toBe('Referer checking failed - Referer is malformed.');
      }
      expect(byReferer('HTTP://api.example.com/')).toBe('Referer checking failed - Referer is insecure while host is secure.');
      expect(byReferer('HTTPS://api.example.com/')).toBeNull();
    });

    it('an entry of `https://*` alone trusts nothing', () => {
      expect(byOrigin('https://app.example.com', ['https://*'])).toBe(foreign('https://app.example.com'));
      expect(byReferer('https://app.example.com/', ['https://*'])).toBe('Referer checking failed - https://app.example.com/ does not match any trusted origins.');
    });
  });

  it('knows the safe methods', () => {
    expect(['GET', 'HEAD', 'OPTIONS', 'TRACE'].every(isSafeMethod)).toBe(true);
    expect(['POST', 'PUT', 'PATCH', 'DELETE'].some(isSafeMethod)).toBe(false);
  });
});
