import { describe, expect, it } from 'vitest';
import { ConfigError, readTrustedProxies } from '../src/config.js';
import { forwardedClient, NO_PROXIES, trustedProxies } from '../src/proxies.js';

describe('trustedProxies', () => {
  const trust = trustedProxies(['loopback', '10.0.0.0/8', '2001:db8::/32', '192.0.2.7']);
  it.each([
    ['127.0.0.1', true],
    ['127.9.9.9', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.200.1.2', true],
    ['11.0.0.1', false],
    ['2001:db8::42', true],
    ['2001:db9::1', false],
    ['192.0.2.7', true],
    ['192.0.2.8', false],
    ['not an address', false],
  ])('%s is trusted: %s', (address, trusted) => {
    expect(trust(address)).toBe(trusted);
  });

  it.each(['10.0.0.0/33', 'example.com', '1.2.3.4/8/1', '::1/129', ''])('refuses %j, naming it', (entry) => {
    expect(() => trustedProxies([entry])).toThrow(`"${entry}" is not an IP address, a CIDR range, loopback, linklocal or uniquelocal`);
  });
});

describe('forwardedClient', () => {
  const loopback = trustedProxies(['loopback']);
  it('believes nothing a peer that is not a trusted proxy forwards', () => {
    // The hole of a hop count: any client could name any address.
    expect(forwardedClient('203.0.113.9', '198.51.100.1', loopback)).toBe('203.0.113.9');
    expect(forwardedClient('127.0.0.1', '198.51.100.1', NO_PROXIES)).toBe('127.0.0.1');
  });

  it('walks from the right while the hops are trusted, and never reads what the client wrote to their left', () => {
    const chain = trustedProxies(['loopback', '10.0.0.0/8']);
    expect(forwardedClient('127.0.0.1', 'forged-by-client, 198.51.100.1, 10.0.0.5', chain)).toBe('198.51.100.1');
    expect(forwardedClient('127.0.0.1', ['1.1.1.1', '198.51.100.1'], chain)).toBe('198.51.100.1');
    expect(forwardedClient('127.0.0.1', undefined, chain)).toBe('127.0.0.1');
    expect(forwardedClient('::ffff:127.0.0.1', '10.0.0.1', chain)).toBe('10.0.0.1');
  });

  it('drops a port a proxy wrote beside the address, so such clients do not share one counter', () => {
    expect(forwardedClient('127.0.0.1', '198.51.100.1:5678', loopback)).toBe('198.51.100.1');
    expect(forwardedClient('127.0.0.1', '[2001:db8::1]:443', loopback)).toBe('2001:db8::1');
    expect(forwardedClient('127.0.0.1', '203.0.113.4:1, 198.51.100.2:2', loopback)).toBe('198.51.100.2');
  });
});

describe('readTrustedProxies (TRUST_PROXY)', () => {
  it('reads a list, and none when unset or false', () => {
    expect(readTrustedProxies({ TRUST_PROXY: 'loopback, 10.0.0.0/8' })).toEqual(['loopback', '10.0.0.0/8']);
    expect(readTrustedProxies({})).toEqual([]);
    expect(readTrustedProxies({ TRUST_PROXY: 'false' })).toEqual([]);
  });

  it('refuses true, which would believe any peer, and an entry that is no address', () => {
    expect(() => readTrustedProxies({ TRUST_PROXY: 'true' })).toThrow(ConfigError);
    expect(() => readTrustedProxies({ TRUST_PROXY: 'true' })).toThrow(/^TRUST_PROXY: name the proxies instead/);
    expect(() => readTrustedProxies({ TRUST_PROXY: 'loopback,proxy.internal' })).toThrow(
      new ConfigError('TRUST_PROXY', '"proxy.internal" is not an IP address, a CIDR range, loopback, linklocal or uniquelocal'),
    );
  });
});
