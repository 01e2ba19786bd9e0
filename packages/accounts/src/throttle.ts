import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { ApiError, deleteInBatches, OptionError, ValidationError, type ThrottleCounter, type ThrottleStore } from '@authbench/core';

export interface LoginThrottleOptions {
  readonly store: ThrottleStore;
  /** Failed logins per username allowed without delay. Default 5. */
  readonly userFailures?: number | undefined;
  /** Failed logins and rejected registrations per client address allowed without delay. Default 20. */
  readonly addressFailures?: number | undefined;
  /** Seconds a counter is remembered once the delay its latest failure imposed is over. Default 900. */
  readonly windowSeconds?: number | undefined;
  /**
   * Successful registrations per client address allowed without delay; past
   * it each waits as a failure would (1 s, doubling, capped). Default 10.
   */
  readonly registrationsPerAddress?: number | undefined;
  /** The longest delay, in seconds. Default 900. */
  readonly maxDelaySeconds?: number | undefined;
  /** Epoch milliseconds; injectable for tests. */
  readonly clock?: (() => number) | undefined;
}

export const LOGIN_THROTTLE_DEFAULTS = { userFailures: 5, addressFailures: 20, registrationsPerAddress: 10, windowSeconds: 900, maxDelaySeconds: 900 } as const;

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

/** This process's attempts at one key. */
interface InFlight {
  /** Attempts between arrival and answer: the entry is dropped at 0. */
  attempts: number;
  /** Attempts let through whose outcome is not known yet (the password check or the registration is running). */
  running: number;
  /** Running attempts that have settled so far. */
  settled: number;
  /** Resolves when the next running attempt settles. */
  next: Promise<void>;
  wake: () => void;
}

function signal(): Pick<InFlight, 'next' | 'wake'> {
  let wake!: () => void;
  const next = new Promise<void>((resolve) => (wake = resolve));
  return { next, wake };
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
  readonly registrationsPerAddress: number;
  readonly windowSeconds: number;
  readonly maxDelaySeconds: number;
  readonly #clock: () => number;
  /** By key: see #admit. */
  readonly #inFlight = new Map<string, InFlight>();
  /**
   * Failures this process could not write (the store refused the write but
   * may still answer reads and resets, as Redis out of memory does), by key.
   * They count with the stored ones until they expire: without them, every
   * guess would get its password check while writes fail.
   */
  readonly #unwritten = new Map<string, ThrottleCounter & { expiresAt: number }>();

  constructor(options: LoginThrottleOptions) {
    const whole = (name: keyof typeof LOGIN_THROTTLE_DEFAULTS, min: number): number => {
      const value = options[name] ?? LOGIN_THROTTLE_DEFAULTS[name];
      if (!Number.isSafeInteger(value) || value < min) throw new OptionError('LoginThrottle', name, `a whole number of at least ${min}`, value);
      return value;
    };
    this.store = options.store;
    this.userFailures = whole('userFailures', 1);
    this.addressFailures = whole('addressFailures', 1);
    this.registrationsPerAddress = whole('registrationsPerAddress', 1);
    this.windowSeconds = whole('windowSeconds', 1);
    this.maxDelaySeconds = whole('maxDelaySeconds', 1);
    this.#clock = options.clock ?? Date.now;
  }

  /**
   * @throws the 429 when the username (if given) or the address is in its delay.
   * @param address the client address as the socket (or a trusted proxy) gave it.
   */
  async check(username: string | null, address: string | undefined, now = this.#clock()): Promise<void> {
    const limits = this.#limits(username, address);
    this.#assertOpen(limits, await this.#counters(limits, now), now);
  }

  /**
   * Runs `verify` (the password check) unless throttled; records a failure
   * for both keys when it returns null, resets the username's on success.
   *
   * @param device a device that has logged in as this user before (a device
   *   cookie, or a credential of the user's that the request carries): as
   *   OWASP advises, its attempts are counted on a counter of its own, with
   *   the username's allowance, and the username and address counters that
   *   strangers fill do not hold it back. So guessing at a username locks
   *   out strangers, never its owner's devices.
   */
  login<T>(username: string, address: string | undefined, verify: () => Promise<T | null>, device?: string | null): Promise<T | null> {
    const limits = device ? [{ key: deviceKey(device), allowance: this.userFailures }] : this.#limits(username, address);
    return this.#attempt(limits, async (record) => {
      const user = await verify();
      if (user === null) await record();
      else {
        await this.store.reset(limits[0]!.key);
        this.#unwritten.delete(limits[0]!.key);
      }
      return user;
    });
  }

  /**
   * Runs `create` (a registration) unless the address is throttled; a
   * rejection (ValidationError, which includes "already exists") counts
   * against the address's failures, so usernames cannot be probed through
   * register; a success counts against the address's registration budget
   * (`registrationsPerAddress`), each one being a password hash.
   */
  register<T>(address: string | undefined, create: () => Promise<T>): Promise<T> {
    const [byAddress] = this.#limits(null, address);
    const registrations = { key: 'r' + byAddress!.key.slice(1), allowance: this.registrationsPerAddress };
    return this.#attempt([byAddress!, registrations], async (record) => {
      let created: T;
      try {
        created = await create();
      } catch (error) {
        if (error instanceof ValidationError) await record([0]);
        throw error;
      }
      await record([1]);
      return created;
    });
  }

  /** Deletes expired counters in small batches (the demo's sweep). */
  flushExpired(): Promise<number> {
    const now = this.#clock();
    for (const [key, counter] of this.#unwritten) if (counter.expiresAt <= now) this.#unwritten.delete(key);
    return deleteInBatches((batch) => this.store.deleteExpired(now, batch));
  }

  /**
   * Runs `run` once #admit lets it, counted as running on its keys until it
   * settles. `record` counts one on the limits at the indexes given (all by default).
   */
  async #attempt<T>(limits: readonly Limit[], run: (record: (which?: readonly number[]) => Promise<void>) => Promise<T>): Promise<T> {
    // Joined before the first await, so concurrent attempts see each other.
    const flights = limits.map(({ key }) => this.#join(key));
    let admitted = false;
    try {
      // This process's view of the count a failure makes (another instance's may add to it): it sets the counter's life.
      const counts = await this.#admit(limits, flights);
      admitted = true;
      return await run(async (which = limits.map((_, i) => i)) => {
        const failedAt = this.#clock();
        // Every write finished (or failed) before the attempt counts as settled: one key's
        // failure must not let waiters read the other's counter before its write lands.
        const chosen = which.map((i) => limits[i]!);
        const ttls = which.map((i) => this.#ttlSeconds(counts[i]!, limits[i]!.allowance));
        const written = await Promise.allSettled(chosen.map(({ key }, k) => this.store.recordFailure(key, failedAt, ttls[k]!)));
        written.forEach((w, k) => {
          if (w.status === 'rejected') this.#keepUnwritten(chosen[k]!.key, failedAt, ttls[k]!);
        });
        const failed = written.find((w) => w.status === 'rejected');
        if (failed) throw failed.reason;
      });
    } finally {
      limits.forEach(({ key }, i) => this.#leave(key, flights[i]!, admitted));
    }
  }

  /**
   * Waits for an attempt's turn, then counts it as running; returns, by key,
   * the count its failure would make. Known failures decide the delay (the
   * 429). Attempts still running may yet fail, so while they could take a key
   * past its allowance (or any runs on a key already past it) this one waits
   * for them to settle and is judged again: a burst of guesses gets no more
   * than the allowance through, yet parallel logins that succeed are not
   * refused for outcomes not known yet. The wait is bounded by the attempts
   * running when it began: after that many have settled, a still-blocked
   * attempt gets the 429 (1 s), so waiters cannot pile up behind newcomers.
   */
  async #admit(limits: readonly Limit[], flights: readonly InFlight[]): Promise<number[]> {
    let waitUntil: number[] | undefined;
    for (;;) {
      const before = flights.map((f) => f.settled);
      const now = this.#clock();
      const counters = await this.#counters(limits, now);
      this.#assertOpen(limits, counters, now);
      const failures = counters.map((c) => c?.failures ?? 0);
      // One that settled during the read may be missing from `counters`: still count it.
      const pending = flights.map((f, i) => f.running + f.settled - before[i]!);
      const blocked = limits.map(({ allowance }, i) => pending[i]! > 0 && failures[i]! + pending[i]! >= allowance);
      if (!blocked.includes(true)) {
        for (const f of flights) f.running++;
        return failures.map((n, i) => n + pending[i]! + 1);
      }
      waitUntil ??= flights.map((f) => f.settled + f.running);
      // Judged on a read begun after those settled, and blocked still: by newer attempts.
      if (flights.every((_, i) => !blocked[i] || before[i]! >= waitUntil![i]!)) throw throttled(1);
      // Unless something settled during the read (then judge again at once), wait for the next settle.
      if (flights.every((f, i) => f.settled === before[i])) await Promise.race(flights.filter((_, i) => blocked[i]).map((f) => f.next));
    }
  }

  /** The stored counters, with the failures this process could not write added in. */
  async #counters(limits: readonly Limit[], now: number): Promise<(ThrottleCounter | null)[]> {
    const stored = await this.store.get(limits.map((l) => l.key), now);
    if (this.#unwritten.size === 0) return stored;
    return limits.map(({ key }, i) => {
      const local = this.#unwritten.get(key);
      if (!local || local.expiresAt <= now) return stored[i] ?? null;
      const counter = stored[i];
      return { failures: (counter?.failures ?? 0) + local.failures, lastFailure: Math.max(counter?.lastFailure ?? 0, local.lastFailure) };
    });
  }

  #keepUnwritten(key: string, failedAt: number, ttlSeconds: number): void {
    const old = this.#unwritten.get(key);
    const failures = old && old.expiresAt > failedAt ? old.failures + 1 : 1;
    this.#unwritten.set(key, { failures, lastFailure: failedAt, expiresAt: failedAt + ttlSeconds * 1000 });
  }

  #join(key: string): InFlight {
    let flight = this.#inFlight.get(key);
    if (!flight) this.#inFlight.set(key, (flight = { attempts: 0, running: 0, settled: 0, ...signal() }));
    flight.attempts++;
    return flight;
  }

  #leave(key: string, flight: InFlight, ran: boolean): void {
    if (ran) {
      flight.running--;
      flight.settled++;
      const { wake } = flight;
      Object.assign(flight, signal());
      wake();
    }
    if (--flight.attempts === 0) this.#inFlight.delete(key);
  }

  #limits(username: string | null, address: string | undefined): Limit[] {
    const byAddress = { key: addressKey(address), allowance: this.addressFailures };
    return username === null ? [byAddress] : [{ key: usernameKey(username), allowance: this.userFailures }, byAddress];
  }

  /** The wait after the `failures`th failure: none within the allowance, then 1 s doubling, capped. */
  #delaySeconds(failures: number, allowance: number): number {
    return failures < allowance ? 0 : Math.min(this.maxDelaySeconds, 2 ** (failures - allowance));
  }

  /**
   * A counter outlives the delay it imposes by the window: were it to expire
   * when the delay ends, an attacker waiting out the cap would get the free
   * allowance and the short delays back each time. So while failures go on
   * the cap holds; after a quiet window past the delay the counter is gone.
   */
  #ttlSeconds(failures: number, allowance: number): number {
    return this.windowSeconds + this.#delaySeconds(failures, allowance);
  }

  #assertOpen(limits: readonly Limit[], counters: readonly (ThrottleCounter | null)[], now: number): void {
    let waitMs = 0;
    limits.forEach(({ allowance }, i) => {
      const counter = counters[i];
      if (counter && counter.failures >= allowance) waitMs = Math.max(waitMs, counter.lastFailure + this.#delaySeconds(counter.failures, allowance) * 1000 - now);
    });
    if (waitMs > 0) throw throttled(waitMs / 1000);
  }
}

/** Usernames are keyed by a hash: a fixed length whatever the client sends, and no names in the table. */
export function usernameKey(username: string): string {
  return 'u:' + createHash('sha256').update(username).digest('base64url');
}

/** A trusted device's own counter: keyed by a hash of its id, never the id (a cookie's nonce). */
export function deviceKey(device: string): string {
  return 'd:' + createHash('sha256').update(device).digest('base64url');
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
