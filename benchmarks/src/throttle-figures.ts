/**
 * Login throttling under attack, measured on the built demo app (the bench
 * harness's child process, SQLite, AUTH_SCHEME=token, TRUST_PROXY=loopback so
 * that X-Forwarded-For lets this script pose as many client addresses):
 *
 *   A. the owner of a username logging in once a second, with the device
 *      cookie of an earlier login, while a stranger guesses at that username
 *      (from one address, then from a fresh address per guess);
 *   B. registrations accepted from one address, then from 20 rotating ones;
 *   C. a user's login latency alone, then under a flood of registrations
 *      from many addresses.
 *
 * Prints a markdown table. Every loop stops by itself (a deadline and a
 * request count); traffic goes to 127.0.0.1 only.
 *
 *   npm run throttle-figures
 *   npm run throttle-figures -- --attack-seconds 10 --registration-seconds 20 --login-seconds 10
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { readCommandLine } from './args.js';
import { APP_ENTRY, CONFIGS } from './http/configs.js';
import { startServer, type ServerProcess } from './http/server-process.js';
import { createWorkspace } from './http/workspace.js';
import { describeMachine, machineBusyMicros, ownCpuMicros } from './machine.js';
import { median } from './stats.js';

const USAGE = `
usage: npm run throttle-figures -- [options]

  --attack-seconds N        A: how long the stranger guesses, per variant (default 20)
  --guesses-per-second N    A: the stranger's rate (default 10)
  --registration-seconds N  B: how long registrations are sent, per variant (default 60)
  --login-seconds N         C: logins timed, alone and under the flood (default 30)
  --flood-clients N         C: concurrent registering clients (default 32)
  --help                    this text
`;

const USER_AGENT = 'authbench-throttle-figures';
/** A request unanswered this long counts as "no answer" (status 0): no loop can hang. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Requests any one back-to-back loop may send, whatever its duration. */
const MAX_REQUESTS = 1_000_000;
/** B's clients from the one address, and from the 20 rotating ones (more than the hashing turn plus its queue of 16). */
const SINGLE_ADDRESS_CLIENTS = 4;
const ROTATING_ADDRESSES = 20;
/** C: the flood runs this long before the first timed login, to reach its steady state. */
const FLOOD_WARMUP_MS = 2000;

type Counts = Record<string, number>;

interface Answer {
  /** 0 when no answer came (socket error or timeout). */
  readonly status: number;
  readonly ms: number;
  readonly setCookie: readonly string[];
}

async function post(origin: string, path: string, body: unknown, headers: Record<string, string>): Promise<Answer> {
  const started = performance.now();
  try {
    const response = await fetch(`${origin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await response.arrayBuffer(); // read to the end: the connection goes back to the pool
    return { status: response.status, ms: performance.now() - started, setCookie: response.headers.getSetCookie() };
  } catch {
    return { status: 0, ms: performance.now() - started, setCookie: [] };
  }
}

const tally = (counts: Counts, status: number): void => {
  counts[status] = (counts[status] ?? 0) + 1;
};
const secret = () => randomBytes(12).toString('base64url');
/** Fresh IPv4 addresses from 10.0.0.0/8, one per `n`: the throttle keys IPv4 by the whole address. */
const tenNet = (block: number, n: number) => `10.${block + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;

/** `send(i)` every `periodMs` from now until `seconds` have passed (or `max` calls); a slow answer delays the next, never overlaps it. */
async function paced(periodMs: number, seconds: number, max: number, send: (i: number) => Promise<void>): Promise<void> {
  const start = performance.now();
  const end = start + seconds * 1000;
  for (let i = 0; i < max; i++) {
    const at = start + i * periodMs;
    if (at >= end) return;
    const wait = at - performance.now();
    if (wait > 0) await sleep(wait);
    await send(i);
  }
}

/** `clients` loops sending back to back until `seconds` have passed or `max` requests went out in all. */
async function backToBack(clients: number, seconds: number, max: number, send: (i: number) => Promise<void>): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let sent = 0;
  const loop = async () => {
    while (performance.now() < end && sent < max) await send(sent++);
  };
  await Promise.all(Array.from({ length: clients }, loop));
  return sent;
}

interface FloodTask {
  readonly origin: string;
  readonly seconds: number;
  readonly clients: number;
  readonly run: string;
}
interface FloodResult {
  readonly counts: Counts;
  readonly requests: number;
  readonly seconds: number;
}

/** Registrations back to back from `clients` loops, a fresh address each: no address budget applies, only the hashing queue. */
async function flood({ origin, seconds, clients, run }: FloodTask): Promise<FloodResult> {
  const counts: Counts = {};
  const started = performance.now();
  const requests = await backToBack(clients, seconds, MAX_REQUESTS, async (i) => {
    const answer = await post(origin, '/api/auth/register', { username: `flood-${run}-${i}`, password: secret() }, { 'x-forwarded-for': tenNet(3, i) });
    tally(counts, answer.status);
  });
  return { counts, requests, seconds: (performance.now() - started) / 1000 };
}

/** Runs `flood` in a worker thread of this same file. */
function floodInWorker(task: FloodTask): Promise<FloodResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: task });
    worker.once('message', (result: FloodResult) => {
      resolve(result);
      void worker.terminate(); // its idle keep-alive sockets must not hold it
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the flood worker exited with code ${code} before reporting`)));
  });
}

interface Latency {
  readonly n: number;
  readonly median: number;
  readonly p95: number;
  readonly max: number;
}
/** Nearest-rank percentiles: with 20–30 samples, p95 is the second or third slowest. */
function latency(ms: readonly number[]): Latency {
  const sorted = [...ms].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
  return { n: sorted.length, median: median(sorted), p95: rank(0.95), max: sorted.at(-1) ?? Number.NaN };
}

const formatMs = (ms: number) => `${ms < 100 ? ms.toFixed(1) : ms.toFixed(0)} ms`;
const formatLatency = (l: Latency) => `median ${formatMs(l.median)}, p95 ${formatMs(l.p95)}, max ${formatMs(l.max)}`;
/** "200 × 19, 429 × 1"; status 0 shown as "no answer". */
const formatCounts = (counts: Counts) =>
  Object.entries(counts)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([status, n]) => `${status === '0' ? 'no answer' : status} × ${n}`)
    .join(', ') || 'none';

/** CPU other processes than this one and the server used over a stretch: the machine's load, in cores. */
class LoadMeter {
  #busy = 0;
  #own = 0;
  #server = 0;
  #at = 0;
  readonly server: ServerProcess;
  constructor(server: ServerProcess) {
    this.server = server;
  }
  async start(): Promise<void> {
    this.#server = (await this.server.sample()).cpuMicros;
    this.#busy = machineBusyMicros();
    this.#own = ownCpuMicros();
    this.#at = performance.now();
  }
  /** Also checks the server is still up (sample() fails once it has exited). */
  async stop(): Promise<{ others: number; server: number; own: number }> {
    const server = (await this.server.sample()).cpuMicros - this.#server;
    const wall = (performance.now() - this.#at) * 1000;
    const own = ownCpuMicros() - this.#own;
    const others = (machineBusyMicros() - this.#busy - own - server) / wall;
    return { others: Math.max(0, others), server: server / wall, own: own / wall };
  }
}

async function main(): Promise<void> {
  const values = readCommandLine('throttle-figures', USAGE, {
    'attack-seconds': { type: 'string', default: '20' },
    'guesses-per-second': { type: 'string', default: '10' },
    'registration-seconds': { type: 'string', default: '60' },
    'login-seconds': { type: 'string', default: '30' },
    'flood-clients': { type: 'string', default: '32' },
  });
  const whole = (flag: keyof typeof values, max: number): number => {
    const n = Number(values[flag]);
    if (!Number.isInteger(n) || n < 1 || n > max) {
      console.error(`throttle-figures: --${flag} must be a whole number from 1 to ${max}, got "${values[flag]}"`);
      process.exit(2);
    }
    return n;
  };
  const attackSeconds = whole('attack-seconds', 600);
  const guessRate = whole('guesses-per-second', 100);
  const registrationSeconds = whole('registration-seconds', 600);
  const loginSeconds = whole('login-seconds', 600);
  const floodClients = whole('flood-clients', 256);
  const progress = (line: string) => process.stderr.write(`${line}\n`);

  const token = CONFIGS.find((c) => c.kind === 'scheme' && c.name === 'token');
  if (!token) throw new Error('throttle-figures: the bench suite has no token configuration');
  // No users of the workspace's own: the owners register over HTTP, so their hashes have the demo's real Argon2id cost.
  const w = await createWorkspace(0);
  let server: ServerProcess | null = null;
  try {
    // Not pinned: the server has both cores (Argon2 runs on libuv's pool), shared with this load generator.
    server = await startServer('throttle demo', APP_ENTRY, { ...token.env(w), TRUST_PROXY: 'loopback' }, null);
    const origin = `http://127.0.0.1:${server.port}`;
    const meter = new LoadMeter(server);
    const run = Date.now().toString(36);
    const rows: string[][] = [];
    const loads: string[] = [];
    const measure = async <T>(label: string, task: () => Promise<T>): Promise<T> => {
      await meter.start();
      const result = await task();
      const load = await meter.stop();
      loads.push(`${label}: server ${load.server.toFixed(2)}, this script ${load.own.toFixed(2)}, other processes ${load.others.toFixed(2)}`);
      return result;
    };

    /** A user registered over HTTP (from a setup address), logged in once from `address`: its device cookie. */
    const owner = async (name: string, address: string) => {
      const username = `${name}-${run}`;
      const password = secret();
      const registered = await post(origin, '/api/auth/register', { username, password }, { 'x-forwarded-for': '192.0.2.1' });
      if (registered.status !== 201) throw new Error(`setup: registering ${name} answered ${registered.status}`);
      const login = await post(origin, '/api/auth/login', { username, password }, { 'x-forwarded-for': address });
      const cookie = login.setCookie.find((c) => c.startsWith('authbench_device='))?.split(';', 1)[0];
      if (login.status !== 200 || cookie === undefined) throw new Error(`setup: ${name}'s first login answered ${login.status}${cookie ? '' : ' without a device cookie'}`);
      return { username, password, cookie };
    };

    // A. The owner under a stranger's guessing.
    const attack = async (label: string, name: string, strangerAddress: (i: number) => string) => {
      const o = await owner(name, '198.51.100.10');
      const stranger: Counts = {};
      const withCookie: Counts = {};
      const withoutCookie: Counts = {};
      const ownerMs: number[] = [];
      progress(`A ${label}: ${attackSeconds} s`);
      await measure(`A, ${label}`, () =>
        Promise.all([
          paced(1000 / guessRate, attackSeconds, MAX_REQUESTS, async (i) => {
            const a = await post(origin, '/api/auth/login', { username: o.username, password: secret() }, { 'x-forwarded-for': strangerAddress(i) });
            tally(stranger, a.status);
          }),
          // From 1 s on: the stranger has had the time to spend the username's free failures.
          sleep(1000).then(() =>
            paced(1000, attackSeconds - 1, attackSeconds, async () => {
              const a = await post(origin, '/api/auth/login', { username: o.username, password: o.password }, { 'x-forwarded-for': '198.51.100.10', cookie: o.cookie });
              tally(withCookie, a.status);
              ownerMs.push(a.ms);
            }),
          ),
          // The owner on a device never used before (a new address, no cookie): judged with the stranger.
          sleep(1500).then(() =>
            paced(1000, attackSeconds - 1.5, attackSeconds, async () => {
              const a = await post(origin, '/api/auth/login', { username: o.username, password: o.password }, { 'x-forwarded-for': '198.51.100.20' });
              tally(withoutCookie, a.status);
            }),
          ),
        ]),
      );
      const head = `A. ${label}, ${guessRate} wrong passwords/s for ${attackSeconds} s`;
      rows.push([head, 'owner, device cookie, 1 login/s', `${formatCounts(withCookie)}; ${formatLatency(latency(ownerMs))}`]);
      rows.push(['', 'stranger', formatCounts(stranger)]);
      rows.push(['', 'owner from a new address, no cookie, 1 login/s', formatCounts(withoutCookie)]);
    };
    await attack('stranger from one address', 'owner-a1', () => '203.0.113.7');
    await attack('stranger from a fresh address per guess', 'owner-a2', (i) => tenNet(1, i));

    // B. Registrations accepted per address.
    const registrations = async (label: string, prefix: string, clients: number, address: (i: number) => string) => {
      const counts: Counts = {};
      const accepted = new Map<string, number>();
      progress(`B ${label}: ${registrationSeconds} s`);
      const started = performance.now();
      const sent = await measure(`B, ${label}`, () =>
        backToBack(clients, registrationSeconds, MAX_REQUESTS, async (i) => {
          const from = address(i);
          const a = await post(origin, '/api/auth/register', { username: `${prefix}-${run}-${i}`, password: secret() }, { 'x-forwarded-for': from });
          tally(counts, a.status);
          if (a.status === 201) accepted.set(from, (accepted.get(from) ?? 0) + 1);
        }),
      );
      const minutes = (performance.now() - started) / 60_000;
      const ok = counts[201] ?? 0;
      const perAddress = [...accepted.values()];
      const spread = accepted.size > 1 ? `; per address ${Math.min(...perAddress)}–${Math.max(...perAddress)}` : '';
      rows.push([
        `B. ${label}, ${clients} clients back to back for ${registrationSeconds} s`,
        'registrations',
        `${formatCounts(counts)} (${sent} sent); ${(ok / minutes).toFixed(1)} accepted/min${spread}`,
      ]);
    };
    await registrations('one address', 'reg-one', SINGLE_ADDRESS_CLIENTS, () => '198.51.100.30');
    await registrations(`${ROTATING_ADDRESSES} rotating addresses`, 'reg-rotating', ROTATING_ADDRESSES, (i) => `10.2.0.${1 + (i % ROTATING_ADDRESSES)}`);

    // C. Login latency while registrations flood.
    const c = await owner('owner-c', '198.51.100.40');
    const timedLogins = async () => {
      const counts: Counts = {};
      const ms: number[] = [];
      await paced(1000, loginSeconds, loginSeconds, async () => {
        const a = await post(origin, '/api/auth/login', { username: c.username, password: c.password }, { 'x-forwarded-for': '198.51.100.40', cookie: c.cookie });
        tally(counts, a.status);
        ms.push(a.ms);
      });
      return { counts, latency: latency(ms) };
    };
    progress(`C baseline: ${loginSeconds} s`);
    const alone = await measure('C, alone', timedLogins);
    progress(`C under the flood: ${loginSeconds} s`);
    const [flooded, floodResult] = await measure('C, under the flood', () =>
      Promise.all([
        sleep(FLOOD_WARMUP_MS).then(timedLogins),
        floodInWorker({ origin, seconds: FLOOD_WARMUP_MS / 1000 + loginSeconds + 1, clients: floodClients, run }),
      ]),
    );
    rows.push([`C. a user logging in once a second for ${loginSeconds} s`, 'no other load', `${formatCounts(alone.counts)}; ${formatLatency(alone.latency)}`]);
    rows.push([
      '',
      `under a registration flood (${floodClients} clients, a fresh address per request)`,
      `${formatCounts(flooded.counts)}; ${formatLatency(flooded.latency)}; ` +
        `× ${(flooded.latency.median / alone.latency.median).toFixed(1)} median, × ${(flooded.latency.p95 / alone.latency.p95).toFixed(1)} p95`,
    ]);
    rows.push([
      '',
      'the flood',
      `${formatCounts(floodResult.counts)} (${(floodResult.requests / floodResult.seconds).toFixed(0)} requests/s; ` +
        `${((floodResult.counts[201] ?? 0) / floodResult.seconds).toFixed(1)} accepted/s)`,
    ]);

    console.log(`authbench throttle figures: ${describeMachine()}`);
    console.log(`load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}; server not pinned; NODE_ENV=production, built JavaScript, loopback\n`);
    console.log('| Scenario | Who | Result |');
    console.log('|---|---|---|');
    for (const row of rows) console.log(`| ${row.join(' | ')} |`);
    console.log(`\nCPU used over each stretch, in cores (of ${availableParallelism()}):\n${loads.map((l) => `- ${l}`).join('\n')}`);
  } finally {
    await server?.stop();
    await w.remove();
  }
}

if (!isMainThread) {
  // C's flood runs in a worker thread: its thousands of answers a second must not delay
  // the timed logins' own callbacks on the main thread (they share the cores all the same).
  parentPort!.postMessage(await flood(workerData as FloodTask));
} else {
  await main();
}
