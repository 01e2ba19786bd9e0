import { describe, expect, it } from 'vitest';
import { ApiError, LoginThrottle, addressKey, usernameKey, type ThrottleCounter, type ThrottleStore } from '../src/index.js';

/** The contract in memory (the engines' own tests are in store-conformance). */
function memoryStore(): ThrottleStore {
  const rows = new Map<string, ThrottleCounter & { expiresAt: number }>();
  return {
    async recordFailure(key, now, ttl) {
      const old = rows.get(key);
      const live = old && old.expiresAt > now;
      const row = { failures: live ? old.failures + 1 : 1, lastFailure: now, expiresAt: now + ttl * 1000 };
      rows.set(key, row);
      return { failures: row.failures, lastFailure: row.lastFailure };
    },
    async get(keys, now) {
      return keys.map((k) => {
        const row = rows.get(k);
        return row && row.expiresAt > now ? { failures: row.failures, lastFailure: row.lastFailure } : null;
      });
    },
    async reset(key) {
      rows.delete(key);
    },
    async deleteExpired() {
      return 0;
    },
  };
}

const fail = async () => null;
const waitOf = async (promise: Promise<unknown>): Promise<string | null | undefined> => {
  const error = await promise.then(() => null, (e: unknown) => e);
  return error instanceof ApiError ? error.headers['Retry-After'] : null;
};

describe('LoginThrottle', () => {
  it('doubles the delay per failure past the allowance, capped at maxDelaySeconds', async () => {
    let now = 0;
    const throttle = new LoginThrottle({ store: memoryStore(), userFailures: 1, maxDelaySeconds: 60, clock: () => now });
    const waits: (string | null | undefined)[] = [];
    for (let i = 0; i < 9; i++) {
      await throttle.login('alice', '192.0.2.1', fail);
      waits.push(await waitOf(throttle.check('alice', '192.0.2.1')));
      now += 60_000;
    }
    expect(waits).toEqual(['1', '2', '4', '8', '16', '32', '60', '60', '60']);
  });

  it('keeps a counter as long as the longest delay when that outlasts the window', async () => {
    let now = 0;
    const throttle = new LoginThrottle({ store: memoryStore(), userFailures: 1, windowSeconds: 10, maxDelaySeconds: 3600, clock: () => now });
    for (const at of [0, 1, 3, 7]) {
      now = at * 1000;
      await throttle.login('alice', '192.0.2.1', fail); // delays 1, 2, 4, then 8 s: longer than the window
    }
    await throttle.login('alice', '192.0.2.1', fail).catch(() => null); // at 7 s: wait, no failure
    now = 15_000;
    await throttle.login('alice', '192.0.2.1', fail); // the 5th: 16 s, longer than the window
    now = 27_000; // 12 s after it, past the 10 s window
    expect(await waitOf(throttle.check('alice', '192.0.2.1'))).toBe('4');
  });

  it('refuses options that are not whole numbers, naming them', () => {
    expect(() => new LoginThrottle({ store: memoryStore(), userFailures: 0 })).toThrow('LoginThrottle: options.userFailures must be a whole number of at least 1');
    expect(() => new LoginThrottle({ store: memoryStore(), windowSeconds: 0 })).toThrow('LoginThrottle: options.windowSeconds must be a whole number of at least 1');
    expect(() => new LoginThrottle({ store: memoryStore(), maxDelaySeconds: 1.5 })).toThrow('options.maxDelaySeconds');
  });
});

describe('throttle keys', () => {
  it('groups IPv6 by /64, unwraps IPv4-mapped addresses, and pools anything else', () => {
    expect(addressKey('192.0.2.1')).toBe('a:192.0.2.1');
    expect(addressKey('::ffff:192.0.2.1')).toBe('a:192.0.2.1');
    expect(addressKey('2001:db8:0:1:aaaa::1')).toBe('a:2001:db8:0:1::/64');
    expect(addressKey('2001:0db8:0000:0001:ffff:ffff:ffff:ffff')).toBe('a:2001:db8:0:1::/64');
    expect(addressKey('2001:db8::1')).toBe('a:2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('a:0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('a:fe80:0:0:0::/64');
    expect(addressKey('64:ff9b::192.0.2.1')).toBe('a:64:ff9b:0:0::/64');
    expect(addressKey('not an address')).toBe('a:unknown');
    expect(addressKey(undefined)).toBe('a:unknown');
  });

  it('hashes usernames to a fixed length', () => {
    expect(usernameKey('alice')).toMatch(/^u:[A-Za-z0-9_-]{43}$/);
    expect(usernameKey('x'.repeat(100_000))).toHaveLength(45);
    expect(usernameKey('alice')).not.toBe(usernameKey('Alice'));
  });
});
