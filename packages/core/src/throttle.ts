import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { deleteInBatches } from './batches.js';
import { ApiError, ValidationError } from './errors.js';
import type { ThrottleCounter, ThrottleStore } from './stores.js';

export interface LoginThrottleOptions {
  readonly store: ThrottleStore;
  /** Failed logins per username allowed without delay. Default 5. */
  readonly userFailures?: number | undefined;
  /** Failed logins and rejected registrations per client address allowed without delay. Default 20. */
  readonly addressFailures?: number | undefined;
  /** Seconds a counter is remembered after its latest failure. Default 900. */
  readonly windowSeconds?: number | undefined;
  /** The longest delay, in seconds. Default 900. */
  readonly maxDelaySeconds?: number | undefined;
  /** Epoch milliseconds; injectable for tests. */
  readonly clock?: (() => number) | undefined;
}

export const LOGIN_THROTTLE_DEFAULTS = { userFailures: 5, addressFailures: 20, windowSeconds: 900, maxDelaySeconds: 900 } as const;

/** DRF's `Throttled`: whole seconds rounded up, ngettext's singular for 1, and `Retry-After`. */
export function throttled(waitSeconds: number): ApiError {
  const wait = Math.max(1, Math.ceil(waitSeconds));
  return new ApiError(
    429,
    { detail: `Request was throttled. Expected available in ${wait} second${wait === 1 ? '' : 's'}.` },
    'throttled',
    { 'Retry-After': String(wait) },
  );
}

interface Limit {
  readonly key: string;
  readonly allowance: number;
}

/**
 * Escalating delays after failed logins, per username and per client
 * address. Past its allowance a key must wait 1 s, then 2, 4, ... (capped)
 * after its latest failure. The check comes before any password hashing, so
 * a throttled attempt costs one indexed read. A success resets the
 * username's counter only: an attacker with an account of their own must not
 * be able to clear their address by logging in.
 */
export class LoginThrottle {
  readonly store: ThrottleStore;
  readonly userFailures: number;
  readonly addressFailures: number;
  readonly windowSeconds: number;
  readonly maxDelaySeconds: number;
  readonly #clock: () => number;
  /**
   * Attempts of this process whose password check is still running, by key.
   * They count as failures until they settle, so a burst of parallel guesses
   * cannot all pass the check before the first one is recorded.
   */
  readonly #inFlight = new Map<string, number>();

  constructor(options: LoginThrottleOptions) {
    const whole = (name: keyof typeof LOGIN_THROTTLE_DEFAULTS, min: number): number => {
      const value = options[name] ?? LOGIN_THROTTLE_DEFAULTS[name];
      if (!Number.isSafeInteger(value) || value < min) throw new TypeError(`LoginThrottle: options.${name} must be a whole number of at least ${min}`);
      return value;
    };
    this.store = options.store;
    this.userFailures = whole('userFailures', 1);
    this.addressFailures = whole('addressFailures', 1);
    this.windowSeconds = whole('windowSeconds', 1);
    this.maxDelaySeconds = whole('maxDelaySeconds', 1);
    this.#clock = options.clock ?? Date.now;
  }

  /** A counter must outlive the delay it imposes, or waiting it out would also wipe it. */
  get #ttlSeconds(): number {
    return Math.max(this.windowSeconds, this.maxDelaySeconds);
  }

  /**
   * @throws the 429 when the username (if given) or the address is in its delay.
   * @param address the client address as the socket (or a trusted proxy) gave it.
   */
  async check(username: string | null, address: string | undefined, now = this.#clock()): Promise<void> {
    const limits = this.#limits(username, address);
    const counters = await this.store.get(limits.map((l) => l.key), now);
    this.#assertOpen(limits, counters, limits.map(() => 0), now);
  }

  /**
   * Runs `verify` (the password check) unless throttled; records a failure
   * for both keys when it returns null, resets the username's on success.
   */
  async login<T>(username: string, address: string | undefined, verify: () => Promise<T | null>): Promise<T | null> {
    const limits = this.#limits(username, address);
    // Counted before the first await, so concurrent attempts see each other.
    const pending = limits.map(({ key }) => this.#inFlight.get(key) ?? 0);
    for (const { key } of limits) this.#inFlight.set(key, (this.#inFlight.get(key) ?? 0) + 1);
    try {
      const now = this.#clock();
      this.#assertOpen(limits, await this.store.get(limits.map((l) => l.key), now), pending, now);
      const user = await verify();
      if (user === null) {
        const failedAt = this.#clock();
        await Promise.all(limits.map(({ key }) => this.store.recordFailure(key, failedAt, this.#ttlSeconds)));
      } else {
        await this.store.reset(limits[0]!.key);
      }
      return user;
    } finally {
      for (const { key } of limits) {
        const left = this.#inFlight.get(key)! - 1;
        if (left === 0) this.#inFlight.delete(key);
        else this.#inFlight.set(key, left);
      }
    }
  }

  /**
   * Runs `create` (a registration) unless the address is throttled; a
   * rejection (ValidationError, which includes "already exists") counts
   * against the address, so usernames cannot be probed through register.
   * Successful registrations never count.
   */
  async register<T>(address: string | undefined, create: () => Promise<T>): Promise<T> {
    await this.check(null, address);
    try {
      return await create();
    } catch (error) {
      if (error instanceof ValidationError) await this.store.recordFailure(addressKey(address), this.#clock(), this.#ttlSeconds);
      throw error;
    }
  }

  /** Deletes expired counters in small batches (the demo's sweep). */
  flushExpired(): Promise<number> {
    const now = this.#clock();
    return deleteInBatches((batch) => this.store.deleteExpired(now, batch));
  }

  #limits(username: string | null, address: string | undefined): Limit[] {
    const byAddress = { key: addressKey(address), allowance: this.addressFailures };
    return username === null ? [byAddress] : [{ key: usernameKey(username), allowance: this.userFailures }, byAddress];
  }

  #assertOpen(limits: readonly Limit[], counters: readonly (ThrottleCounter | null)[], pending: readonly number[], now: number): void {
    let waitMs = 0;
    limits.forEach(({ allowance }, i) => {
      const counter = counters[i] ?? null;
      const failures = (counter?.failures ?? 0) + pending[i]!;
      if (failures < allowance) return;
      const delayMs = Math.min(this.maxDelaySeconds, 2 ** (failures - allowance)) * 1000;
      // A pending attempt will fail (if it does) about now.
      const since = pending[i]! > 0 ? now : (counter?.lastFailure ?? now);
      waitMs = Math.max(waitMs, since + delayMs - now);
    });
    if (waitMs > 0) throw throttled(waitMs / 1000);
  }
}

/** Usernames are keyed by a hash: a fixed length whatever the client sends, and no names in the table. */
export function usernameKey(username: string): string {
  return 'u:' + createHash('sha256').update(username).digest('base64url');
}

/**
 * IPv4 as it is; IPv6 by its /64, which one client typically holds whole
 * (rotating through it must not give fresh counters); an IPv4-mapped IPv6
 * address as the IPv4 one. Anything else shares one `unknown` counter.
 */
export function addressKey(address: string | undefined): string {
  let ip = (address ?? '').trim().split('%', 1)[0]!; // no IPv6 zone id
  if (/^::ffff:/i.test(ip) && isIP(ip.slice(7)) === 4) ip = ip.slice(7);
  const version = isIP(ip);
  if (version === 4) return 'a:' + ip;
  if (version !== 6) return 'a:unknown';
  const groups = (part: string) => (part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])));
  const [head = '', tail] = ip.split('::');
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return 'a:' + all.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':') + '::/64';
}
