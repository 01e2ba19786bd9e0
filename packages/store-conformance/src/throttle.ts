import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ThrottleStore } from '@authbench/core';

export interface ThrottleStoreUnderTest {
  readonly throttle: ThrottleStore;
  close(): Promise<void> | void;
}

const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);
const SECOND = 1000;
const TTL = 900;

/** Login throttling's counters: atomic increments, expiry after the latest failure, batched sweeping. */
export function describeThrottleStoreConformance(engine: string, open: () => Promise<ThrottleStoreUnderTest>): void {
  describe(`${engine} throttle store conformance`, () => {
    let store: ThrottleStoreUnderTest;
    let throttle: ThrottleStore;
    beforeEach(async () => {
      store = await open();
      throttle = store.throttle;
    });
    afterEach(async () => {
      await store.close();
    });

    it('counts failures from 1, returning the count and the latest failure time', async () => {
      expect(await throttle.recordFailure('u:alice', T0, TTL)).toEqual({ failures: 1, lastFailure: T0 });
      expect(await throttle.recordFailure('u:alice', T0 + SECOND, TTL)).toEqual({ failures: 2, lastFailure: T0 + SECOND });
      expect(await throttle.recordFailure('a:192.0.2.1', T0 + SECOND, TTL)).toEqual({ failures: 1, lastFailure: T0 + SECOND });
      expect(await throttle.get(['u:alice', 'a:192.0.2.1'], T0 + 2 * SECOND)).toEqual([
        { failures: 2, lastFailure: T0 + SECOND },
        { failures: 1, lastFailure: T0 + SECOND },
      ]);
    });

    it('get answers in the order asked, null for unknown keys, and takes any number of keys', async () => {
      await throttle.recordFailure('k1', T0, TTL);
      await throttle.recordFailure('k2', T0, TTL);
      await throttle.recordFailure('k2', T0, TTL);
      expect(await throttle.get(['k2', 'nope', 'k1'], T0)).toEqual([
        { failures: 2, lastFailure: T0 },
        null,
        { failures: 1, lastFailure: T0 },
      ]);
      expect(await throttle.get(['k1'], T0)).toEqual([{ failures: 1, lastFailure: T0 }]);
      expect(await throttle.get([], T0)).toEqual([]);
    });

    it('a counter lives ttl seconds after its latest failure, then reads as absent and restarts at 1', async () => {
      await throttle.recordFailure('k', T0, TTL);
      await throttle.recordFailure('k', T0 + 600 * SECOND, TTL); // moves the expiry to T0 + 1500 s
      expect(await throttle.get(['k'], T0 + 1499 * SECOND)).toEqual([{ failures: 2, lastFailure: T0 + 600 * SECOND }]);
      expect(await throttle.get(['k'], T0 + 1500 * SECOND)).toEqual([null]); // expired at the instant
      expect(await throttle.recordFailure('k', T0 + 1500 * SECOND, TTL)).toEqual({ failures: 1, lastFailure: T0 + 1500 * SECOND });
    });

    it('keeps the latest failure time when a late call carries an older clock (another instance)', async () => {
      await throttle.recordFailure('k', T0 + 10 * SECOND, TTL);
      expect(await throttle.recordFailure('k', T0 + 9 * SECOND, TTL)).toEqual({ failures: 2, lastFailure: T0 + 10 * SECOND });
    });

    it('reset forgets one key only', async () => {
      await throttle.recordFailure('k1', T0, TTL);
      await throttle.recordFailure('k2', T0, TTL);
      await throttle.reset('k1');
      await throttle.reset('never-seen');
      expect(await throttle.get(['k1', 'k2'], T0)).toEqual([null, { failures: 1, lastFailure: T0 }]);
      expect(await throttle.recordFailure('k1', T0, TTL)).toEqual({ failures: 1, lastFailure: T0 });
    });

    it('concurrent failures are all counted: 40 at once give 1..40 and a counter of 40', async () => {
      const results = await Promise.all(Array.from({ length: 40 }, () => throttle.recordFailure('hot', T0, TTL)));
      expect(results.map((r) => r.failures).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(await throttle.get(['hot'], T0)).toEqual([{ failures: 40, lastFailure: T0 }]);
    });

    it('takes long keys and any characters as they are', async () => {
      const keys = ['u:' + 'x'.repeat(300), "a:it's \u00e9\u{1F600}", 'a:2001:db8::/64'];
      for (const key of keys) await throttle.recordFailure(key, T0, TTL);
      expect(await throttle.get(keys, T0)).toEqual(keys.map(() => ({ failures: 1, lastFailure: T0 })));
    });

    it('deleteExpired deletes at most `batch` expired counters per call, never a live one', async () => {
      for (const key of ['e1', 'e2', 'e3']) await throttle.recordFailure(key, T0, 1);
      await throttle.recordFailure('at-now', T0, 60); // expires exactly at T0 + 60 s
      await throttle.recordFailure('live', T0, TTL);
      const now = T0 + 60 * SECOND;
      expect(await throttle.deleteExpired(now, 3)).toBe(3);
      expect(await throttle.deleteExpired(now, 3)).toBe(1);
      expect(await throttle.deleteExpired(now, 3)).toBe(0);
      expect(await throttle.get(['e1', 'at-now', 'live'], T0)).toEqual([null, null, { failures: 1, lastFailure: T0 }]);
    });
  });
}
