import { describe, expect, it } from 'vitest';
import { ApiError, ValidationError, type ThrottleCounter, type ThrottleStore } from '@authbench/core';
import { LoginThrottle, addressKey, usernameKey } from '../src/index.js';

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

/** The same store answering a moment later, as PostgreSQL and Redis do over the network. */
function remote(store: ThrottleStore): ThrottleStore {
  const later =
    <A extends unknown[], R>(f: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      await pause();
      return f(...args);
    };
  return { recordFailure: later(store.recordFailure), get: later(store.get), reset: later(store.reset), deleteExpired: store.deleteExpired };
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 1));
const fail = async () => null;
/** A deferred outcome: the test decides when a password check finishes. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}
/** 429 by its Retry-After, a ValidationError as 400, anything else as it resolved. */
const outcome = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    (value) => value,
    (e: unknown) => (e instanceof ApiError ? (e.status === 429 ? `429 ${e.headers['Retry-After']}` : e.status) : e),
  );
const tally = (values: readonly unknown[]) => {
  const counts: Record<string, number> = {};
  for (const v of values) counts[String(v)] = (counts[String(v)] ?? 0) + 1;
  return counts;
};
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

  it('holds the cap for an attacker who waits out every delay exactly, and forgets a quiet window after the delay', async () => {
    const store = memoryStore();
    let now = 0;
    const throttle = new LoginThrottle({ store, clock: () => now }); // the defaults: 5 and 20 free, window and cap 900 s
    const attempts: number[] = [];
    while (now < 86_400_000) {
      const wait = await waitOf(throttle.login('victim', '198.51.100.7', fail));
      if (wait === null) attempts.push(now / 1000);
      else now += Number(wait) * 1000; // retries exactly when Retry-After says
    }
    // Five free, then 1, 2, 4 ... 512 s apart, then every 900 s for the rest of the day.
    const escalating = [0, 0, 0, 0, 0, 1, 3, 7, 15, 31, 63, 127, 255, 511];
    expect(attempts).toEqual([...escalating, ...Array.from({ length: 95 }, (_, i) => 1023 + 900 * i)]);
    expect(attempts).toHaveLength(109);

    // The last failure (at 85,623 s) imposed 900 s; the username's counter lives the window after that.
    const last = 85_623_000;
    const key = usernameKey('victim');
    expect(await store.get([key], last + 1_800_000 - 1)).toEqual([{ failures: 109, lastFailure: last }]);
    expect(await store.get([key], last + 1_800_000)).toEqual([null]);
    now = last + 1_800_000;
    for (let i = 0; i < 5; i++) expect(await throttle.login('victim', '198.51.100.7', fail)).toBeNull();
    expect(await waitOf(throttle.login('victim', '198.51.100.7', fail))).toBe('1');
  });

  it('forgets a counter a window after the delay of its latest failure, not before', async () => {
    const store = memoryStore();
    let now = 0;
    const throttle = new LoginThrottle({ store, userFailures: 2, windowSeconds: 60, maxDelaySeconds: 3600, clock: () => now });
    for (const at of [0, 0, 1, 3, 7]) {
      now = at * 1000;
      await throttle.login('alice', '192.0.2.1', fail); // the 5th imposes 8 s
    }
    const keys = [usernameKey('alice'), addressKey('192.0.2.1')];
    const counter = { failures: 5, lastFailure: 7000 };
    // Within its allowance (20) the address's counter imposes no delay: it lives the window alone.
    expect(await store.get(keys, 7000 + 60_000 - 1)).toEqual([counter, counter]);
    expect(await store.get(keys, 7000 + 60_000)).toEqual([counter, null]);
    expect(await store.get(keys, 7000 + 68_000 - 1)).toEqual([counter, null]);
    expect(await store.get(keys, 7000 + 68_000)).toEqual([null, null]);
  });

  it('lets a parallel burst of wrong passwords at one username run no more password checks than the allowance', async () => {
    const throttle = new LoginThrottle({ store: remote(memoryStore()), clock: () => 0 });
    let checks = 0;
    const wrong = async () => {
      checks++;
      await pause();
      return null;
    };
    const results = await Promise.all(Array.from({ length: 10 }, () => outcome(throttle.login('alice', '192.0.2.1', wrong))));
    expect(checks).toBe(5);
    expect(tally(results)).toEqual({ null: 5, '429 1': 5 });
  });

  it("settles a failed attempt only once both its counters are written, even when one write fails", async () => {
    const base = memoryStore();
    let refused = 0;
    // The address's write fails at once (five times), the username's lands a moment later.
    const store: ThrottleStore = {
      ...base,
      async recordFailure(key, now, ttl) {
        if (key === addressKey('192.0.2.1') && refused < 5) {
          refused++;
          throw new Error('the address counter could not be written');
        }
        if (key === usernameKey('alice')) await new Promise((r) => setTimeout(r, 30));
        return base.recordFailure(key, now, ttl);
      },
    };
    const throttle = new LoginThrottle({ store, clock: () => 0 });
    let checks = 0;
    const wrong = async () => {
      checks++;
      await pause();
      return null;
    };
    const results = await Promise.all(Array.from({ length: 20 }, () => outcome(throttle.login('alice', '192.0.2.1', wrong))));
    expect(checks).toBe(5);
    expect(tally(results.map((r) => (r instanceof Error ? 'error' : r)))).toEqual({ error: 5, '429 1': 15 });
  });

  it('counts in this process the failures the store could not write, so guesses stay throttled while writes fail', async () => {
    let now = 0;
    const base = memoryStore();
    // Reads and resets work, writes are refused: Redis out of memory under noeviction.
    const store: ThrottleStore = {
      ...base,
      async recordFailure() {
        throw new Error('OOM command not allowed when used memory > maxmemory');
      },
    };
    const throttle = new LoginThrottle({ store, clock: () => now });
    let checks = 0;
    const wrong = async () => {
      checks++;
      return null;
    };
    const results = [];
    for (let i = 0; i < 10; i++) results.push(await outcome(throttle.login('alice', '192.0.2.1', wrong)));
    expect(checks).toBe(5);
    expect(results.slice(5)).toEqual(Array(5).fill('429 1'));
    // Past the delay the right password gets in, and clears what was kept for the username.
    now += 1000;
    expect(await throttle.login('alice', '192.0.2.1', async () => 'alice')).toBe('alice');
    expect(await outcome(throttle.login('alice', '192.0.2.1', wrong))).toBeInstanceOf(Error);
    expect(checks).toBe(6);
  });

  it('lets 8 parallel correct logins all in, never more than the allowance running at once', async () => {
    const throttle = new LoginThrottle({ store: remote(memoryStore()), clock: () => 0 });
    let running = 0;
    let most = 0;
    const right = async () => {
      most = Math.max(most, ++running);
      await pause();
      running--;
      return 'alice';
    };
    const results = await Promise.all(Array.from({ length: 8 }, () => outcome(throttle.login('alice', '192.0.2.1', right))));
    expect(results).toEqual(Array.from({ length: 8 }, () => 'alice'));
    expect(most).toBe(5);
  });

  it('an attempt over the allowance only by attempts in flight waits for them, then is judged by what they did', async () => {
    let now = 0;
    const store = remote(memoryStore());
    const throttle = new LoginThrottle({ store, clock: () => now });
    // Someone who knows the password holds five logins in flight; the owner's sixth waits for them, then gets in.
    const held = gate();
    const attacker = Array.from({ length: 5 }, () => throttle.login('alice', '198.51.100.7', () => held.opened.then(() => 'attacker')));
    let owner: unknown = 'waiting';
    const ownerLogin = outcome(throttle.login('alice', '192.0.2.1', async () => 'owner')).then((r) => (owner = r));
    await new Promise((r) => setTimeout(r, 50));
    expect(owner).toBe('waiting');
    held.open();
    expect(await Promise.all(attacker)).toEqual(Array.from({ length: 5 }, () => 'attacker'));
    await ownerLogin;
    expect(owner).toBe('owner');

    // Held wrong guesses instead: once they have failed, the waiting attempt gets the delay they earned.
    now = 10_000;
    const guesses = gate();
    const wrong = Array.from({ length: 5 }, () => outcome(throttle.login('bob', '198.51.100.7', () => guesses.opened.then(() => null))));
    const waiting = outcome(throttle.login('bob', '192.0.2.1', async () => 'bob'));
    guesses.open();
    expect(await Promise.all(wrong)).toEqual([null, null, null, null, null]);
    expect(await waiting).toBe('429 1');
    expect(await store.get([usernameKey('bob')], now)).toEqual([{ failures: 5, lastFailure: 10_000 }]);
  });

  it('waits no longer than the attempts in flight when it began: still blocked by newer ones, it gets the 429', async () => {
    const throttle = new LoginThrottle({ store: remote(memoryStore()), userFailures: 1, clock: () => 0 });
    const first = gate();
    const running = throttle.login('alice', '192.0.2.1', () => first.opened.then(() => 'first'));
    // Two wait for the one running; when it settles, one takes its place and the other has waited its turn.
    const waiting = [0, 1].map(() => outcome(throttle.login('alice', '192.0.2.1', async () => 'next')));
    await new Promise((r) => setTimeout(r, 20));
    first.open();
    expect(await running).toBe('first');
    expect(tally(await Promise.all(waiting))).toEqual({ next: 1, '429 1': 1 });
  });

  it('counts registrations in flight against the address: a parallel burst of rejected ones gets only the allowance through', async () => {
    const store = remote(memoryStore());
    const throttle = new LoginThrottle({ store, clock: () => 0 });
    let created = 0;
    const taken = async (): Promise<never> => {
      created++;
      await pause();
      throw new ValidationError({ username: ['A user with that username already exists.'] });
    };
    const results = await Promise.all(Array.from({ length: 300 }, () => outcome(throttle.register('203.0.113.9', taken))));
    expect(created).toBe(20);
    expect(tally(results)).toEqual({ 400: 20, '429 1': 280 });
    expect(await store.get([addressKey('203.0.113.9')], 0)).toEqual([{ failures: 20, lastFailure: 0 }]);
  });

  it('lets parallel registrations that succeed through, at most the allowance at a time, and counts none as a failure', async () => {
    const store = remote(memoryStore());
    const throttle = new LoginThrottle({ store, clock: () => 0, registrationsPerAddress: 1000 });
    let running = 0;
    let most = 0;
    const create = async () => {
      most = Math.max(most, ++running);
      await pause();
      running--;
      return 'created';
    };
    const results = await Promise.all(Array.from({ length: 40 }, () => outcome(throttle.register('203.0.113.9', create))));
    expect(results).toEqual(Array.from({ length: 40 }, () => 'created'));
    expect(most).toBe(20);
    expect(await store.get([addressKey('203.0.113.9')], 0)).toEqual([null]);
    // Each success used up one of the address's registration budget.
    expect(await store.get(['r:203.0.113.9'], 0)).toEqual([{ failures: 40, lastFailure: 0 }]);
  });

  it('gives successful registrations a budget per address, then delays as failures do', async () => {
    let now = 0;
    const throttle = new LoginThrottle({ store: memoryStore(), clock: () => now, registrationsPerAddress: 3 });
    const created = async () => 'created';
    const tries = async (address: string, n: number) => {
      const out = [];
      for (let i = 0; i < n; i++) out.push(await outcome(throttle.register(address, created)));
      return out;
    };
    expect(await tries('203.0.113.9', 4)).toEqual(['created', 'created', 'created', '429 1']);
    expect(await tries('198.51.100.1', 1)).toEqual(['created']);
    now += 1000;
    expect(await tries('203.0.113.9', 2)).toEqual(['created', '429 2']);
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
