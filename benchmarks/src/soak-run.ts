/**
 * The soak: one scheme of the built demo app (the bench harness's child
 * process, on loopback) at full load for a bounded time, with valid, invalid
 * and revoked credentials mixed. Every answer whose status is not the one
 * its kind must get is an error; the server's memory is sampled throughout
 * to see whether it grows.
 */
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { SignJWT, decodeJwt } from 'jose';
import { APP_ENTRY, CONFIGS, mapConcurrently, type HttpConfig } from './http/configs.js';
import type { Headers } from './http/load.js';
import { startServer, type ServerProcess } from './http/server-process.js';
import { createWorkspace, type Workspace } from './http/workspace.js';
import type { UserId } from '@authbench/core';

export const SOAK_SCHEMES = ['token', 'knox', 'jwt', 'session'] as const;
export type SoakScheme = (typeof SOAK_SCHEMES)[number];

/** Memory is flat when the last third's mean is within the larger of these above the first third's. */
export const MEMORY_TOLERANCE = { bytes: 20 * 2 ** 20, fraction: 0.1 } as const;
/** Below this, a run says nothing about memory growth and its memory is not judged. */
export const MIN_MEMORY_SECONDS = 20;

export interface SoakOptions {
  readonly scheme: SoakScheme;
  readonly seconds: number;
  readonly connections: number;
  /** The core the server is pinned to, or null. */
  readonly serverCore: number | null;
  readonly progress?: (line: string) => void;
}

/** One kind of request in the mix: what is sent, and the one status it must get. */
interface Kind {
  readonly name: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly expected: number;
  /** Requests of this kind per cycle of the mix. */
  readonly weight: number;
  /** Sent in turn. */
  readonly variants: readonly Variant[];
}

interface Variant {
  readonly headers: Headers;
  readonly body?: string;
}

export interface KindResult {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly expected: number;
  readonly responses: number;
  /** Responses with another status than `expected`. */
  readonly wrong: number;
  readonly statuses: Readonly<Record<string, number>>;
  /** Requests of this kind that got no answer within autocannon's 10 s. */
  readonly timeouts: number;
  /** The first wrong answer, to explain it. */
  readonly firstWrong: string | null;
}

export interface MemorySample {
  /** Since the load started. */
  readonly seconds: number;
  readonly rss: number;
  readonly heapUsed: number;
}

export interface Growth {
  /** Mean over the first third of the samples after warm-up, in bytes. */
  readonly start: number;
  /** Mean over the last third. */
  readonly end: number;
  readonly growth: number;
  /** Least-squares slope over the samples after warm-up, bytes per minute. */
  readonly slopePerMinute: number;
  readonly flat: boolean;
}

export interface MemoryReport {
  readonly warmupSeconds: number;
  readonly rss: Growth;
  readonly heap: Growth;
  /** 'too short': the run was under MIN_MEMORY_SECONDS, so memory is reported but not judged. */
  readonly verdict: 'flat' | 'growing' | 'too short';
}

export interface SchemeSoak {
  readonly scheme: SoakScheme;
  readonly seconds: number;
  readonly connections: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  /** Wrong statuses, socket errors and timeouts. */
  readonly errors: number;
  readonly wrongStatus: number;
  readonly serverErrors: number;
  readonly socketErrors: number;
  readonly timeouts: number;
  /** Latency in ms over the run (autocannon's whole-millisecond histogram). */
  readonly latency: { readonly p50: number; readonly p99: number; readonly max: number };
  /** The slowest response: its kind, and when it came (seconds since the load started). */
  readonly slowest: { readonly ms: number; readonly kind: string; readonly atSeconds: number } | null;
  /** Why the server could not be sampled (it exited), or null. */
  readonly serverFailure: string | null;
  readonly memory: MemoryReport;
  readonly samples: readonly MemorySample[];
  readonly kinds: readonly KindResult[];
  readonly ok: boolean;
}

const USERS = 100;
/** Users 0–59 stay logged in, 60–74 log out, 75–89 log out everywhere, 90–99 expire (or rotate, for jwt). */
const GROUPS = { valid: [0, 60], logout: [60, 75], logoutAll: [75, 90], special: [90, 100] } as const;
const range = ([from, to]: readonly [number, number]) => Array.from({ length: to - from }, (_, i) => from + i);
const PAST = '2000-01-01T00:00:00.000Z';
const USER_AGENT = 'authbench-soak';

/** The bench suite's configuration for the scheme as the demo ships it: its env, forgeries and refusal status. */
function configOf(scheme: SoakScheme): HttpConfig {
  const config = CONFIGS.find((c) => c.kind === 'scheme' && c.family === scheme);
  if (!config) throw new Error(`soak: the bench suite has no configuration for ${scheme}`);
  return config;
}

async function call(server: ServerProcess, method: string, path: string, headers: Headers, body?: unknown) {
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`, {
    method,
    headers: { 'user-agent': USER_AGENT, ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown>, response };
}

async function expectStatus(server: ServerProcess, expected: number, method: string, path: string, headers: Headers, body?: unknown) {
  const result = await call(server, method, path, headers, body);
  if (result.status !== expected) {
    throw new Error(`${server.name}: setup ${method} ${path} answered ${result.status}, not ${expected}: ${JSON.stringify(result.json)}`);
  }
  return result;
}

interface Login {
  readonly headers: Headers;
  /** For a logout: the session's CSRF token. */
  readonly logoutHeaders: Headers;
  readonly body: Record<string, unknown>;
}

async function logIn(server: ServerProcess, w: Workspace, user: number, scheme: SoakScheme): Promise<Login> {
  const { json, response } = await expectStatus(server, 200, 'POST', '/api/auth/login', {}, { username: w.users[user]!.username, password: w.password });
  if (scheme === 'session') {
    const cookies = response.headers.getSetCookie().map((c) => c.split(';', 1)[0]!);
    const session = cookies.find((c) => c.startsWith('sessionid='));
    const csrf = cookies.find((c) => c.startsWith('csrftoken='));
    if (!session || !csrf) throw new Error(`${server.name}: login set no sessionid or csrftoken cookie`);
    const headers = { cookie: session };
    return { headers, logoutHeaders: { ...headers, 'x-csrftoken': csrf.slice('csrftoken='.length) }, body: json };
  }
  const credential = scheme === 'jwt' ? `Bearer ${String(json['access'])}` : `Token ${String(json['token'])}`;
  return { headers: { authorization: credential }, logoutHeaders: { authorization: credential }, body: json };
}

/** Logs each of `users` in once, a few at a time. */
function logInMany(server: ServerProcess, w: Workspace, users: readonly number[], scheme: SoakScheme): Promise<Login[]> {
  return mapConcurrently(users.length, 4, (i) => logIn(server, w, users[i]!, scheme));
}

const pool = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));
const get = (name: string, expected: number, weight: number, variants: readonly Variant[]): Kind => ({ name, method: 'GET', path: '/api/me', expected, weight, variants });
const post = (name: string, path: string, expected: number, weight: number, variants: readonly Variant[]): Kind => ({ name, method: 'POST', path, expected, weight, variants });
const json = (headers: Headers, body: unknown): Variant => ({ headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const asVariants = (logins: readonly Login[]): Variant[] => logins.map((l) => ({ headers: l.headers }));

/**
 * Creates the scheme's credentials on the running server, revokes some, and
 * returns the mix. Refusals on /api/me are the scheme's refusal status
 * (401 with its challenge; 403 for session, which has none, as DRF).
 */
async function prepareMix(scheme: SoakScheme, server: ServerProcess, w: Workspace, config: HttpConfig): Promise<Kind[]> {
  const refused = config.rejectedStatus;
  // Token logins return the user's one key, so a second login adds nothing; the others get two
  // logins for users who log out once, and the surviving one must still work.
  const twice = scheme !== 'token';
  const valid = await logInMany(server, w, range(GROUPS.valid), scheme);
  const logoutUsers = range(GROUPS.logout);
  const [loggedOut, survivors] = [await logInMany(server, w, logoutUsers, scheme), twice ? await logInMany(server, w, logoutUsers, scheme) : []];
  const logoutAllUsers = range(GROUPS.logoutAll);
  const loggedOutEverywhere = [...(await logInMany(server, w, logoutAllUsers, scheme)), ...(twice ? await logInMany(server, w, logoutAllUsers, scheme) : [])];
  const special = await logInMany(server, w, range(GROUPS.special), scheme);

  for (const l of loggedOut) await expectStatus(server, 204, 'POST', '/api/auth/logout', l.logoutHeaders);
  // One logout-all per user: the other login of the same user is already gone after it.
  for (const l of loggedOutEverywhere.slice(0, logoutAllUsers.length)) await expectStatus(server, 204, 'POST', '/api/auth/logoutall', l.logoutHeaders);

  const anyValid = valid[0]!.headers;
  const forged = pool(500, (i) => ({ headers: config.forge(valid[i % valid.length]!.headers, i) }));
  const kinds: Kind[] = [
    get('valid', 200, 12, asVariants([...valid, ...survivors])),
    get('no credentials', refused, 1, [{ headers: {} }]),
    get('forged, right shape', refused, 2, forged),
  ];
  // simplejwt's access tokens live to their expiry after a logout: the jwt case sends them apart.
  if (scheme !== 'jwt') {
    kinds.push(get('revoked: logout', refused, 2, asVariants(loggedOut)), get('revoked: logoutall', refused, 1, asVariants(loggedOutEverywhere)));
  }
  const logoutForged = post('forged credential', '/api/auth/logout', refused, 1, forged.slice(0, 50));

  switch (scheme) {
    case 'token':
    case 'knox': {
      const length = scheme === 'token' ? 40 : 64;
      const key = String(valid[0]!.body['token']);
      kinds.push(
        get('malformed header', refused, 1, [{ headers: { authorization: 'Token' } }, { headers: { authorization: `Token ${key} extra` } }, { headers: { authorization: 'Token  \t ' } }]),
        get('wrong alphabet', refused, 1, [
          { headers: { authorization: `Token ${'g'.repeat(length)}` } },
          { headers: { authorization: `Token ${key.toUpperCase()}` } },
          { headers: { authorization: `Token ${'é'.repeat(length)}` } },
          { headers: { authorization: `Token ${key.slice(0, -1)}` } },
        ]),
        logoutForged,
      );
      if (scheme === 'knox') {
        // Expired in the database (knox deletes an expired token when it is presented, so later it is unknown).
        expireSpecialGroup(w, 'UPDATE knox_tokens SET expiry = ? WHERE user_id = ?');
        kinds.push(get('expired', refused, 1, asVariants(special)));
      } else {
        kinds[0] = get('valid', 200, 12, asVariants([...valid, ...special]));
      }
      break;
    }
    case 'jwt': {
      const access = (l: Login) => l.headers['authorization']!.slice('Bearer '.length);
      const refresh = (l: Login) => String(l.body['refresh']);
      // A refreshed login: its first refresh token is spent, and presenting it again revokes the login.
      const rotated: string[] = [];
      for (const l of special) {
        await expectStatus(server, 200, 'POST', '/api/auth/refresh', {}, { refresh: refresh(l) });
        rotated.push(refresh(l));
      }
      const secret = new TextEncoder().encode(w.jwtSecret);
      const now = Math.floor(Date.now() / 1000);
      const expired = await Promise.all(
        valid.slice(0, 20).map(async (l) => {
          const claims = decodeJwt(access(l));
          const token = await new SignJWT({ ...claims, iat: now - 7200, exp: now - 3600, jti: randomBytes(16).toString('hex') })
            .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
            .sign(secret);
          return { headers: { authorization: `Bearer ${token}` } };
        }),
      );
      const forgedRefresh = (l: Login, i: number) => config.forge({ authorization: `Bearer ${refresh(l)}` }, i)['authorization']!.slice('Bearer '.length);
      const token = access(valid[0]!);
      kinds.push(
        // No revocation check per request by default (JWT_CHECK_REVOCATION), as simplejwt: still 200.
        get('access token of a logged-out login', 200, 1, asVariants([...loggedOut, ...loggedOutEverywhere])),
        get('expired', refused, 1, expired),
        get('malformed header', refused, 1, [
          { headers: { authorization: 'Bearer' } },
          { headers: { authorization: `Bearer ${token} extra` } },
          { headers: { authorization: 'Bearer not-a-jwt' } },
          { headers: { authorization: 'Bearer a.b.c' } },
          { headers: { authorization: `Bearer ${token.split('.').slice(0, 2).join('.')}` } },
        ]),
        // In the signed part: a signature re-encoded in standard base64 (+, /, =) is the same
        // signature and is accepted, by jose as by PyJWT (both decode leniently); docs/reliability.md.
        get('wrong alphabet', refused, 1, [
          { headers: { authorization: `Bearer +${token.slice(1)}` } },
          { headers: { authorization: `Bearer ${token.replace('.', '=.')}` } },
          { headers: { authorization: `Bearer ${'é'.repeat(20)}.${'é'.repeat(20)}.${'é'.repeat(20)}` } },
          { headers: { authorization: `Bearer ${'!'.repeat(token.length)}` } },
        ]),
        logoutForged,
        post('rotated (spent) refresh token', '/api/auth/refresh', 401, 1, rotated.map((r) => json({}, { refresh: r }))),
        post('refresh token of a logged-out login', '/api/auth/refresh', 401, 1, [...loggedOut, ...loggedOutEverywhere].map((l) => json({}, { refresh: refresh(l) }))),
        post('forged signature', '/api/auth/refresh', 401, 1, valid.slice(0, 50).map((l, i) => json({}, { refresh: forgedRefresh(l, i) }))),
        post('access token as refresh token', '/api/auth/refresh', 401, 1, valid.slice(0, 20).map((l) => json({}, { refresh: access(l) }))),
        post('bad body', '/api/auth/refresh', 400, 1, [
          json({}, {}),
          json({}, { refresh: '' }),
          json({}, { refresh: null }),
          json({}, { refresh: ['a'] }),
          { headers: { 'content-type': 'application/json' }, body: '{"refresh":' },
        ]),
      );
      break;
    }
    case 'session': {
      const [, id] = anyValid['cookie']!.split('=');
      expireSpecialGroup(w, 'UPDATE sessions SET expires = ? WHERE user_id = ?');
      kinds.push(
        get('expired', refused, 1, asVariants(special)),
        get('malformed cookie', refused, 1, [
          { headers: { cookie: 'sessionid=' } },
          { headers: { cookie: 'sessionid' } },
          { headers: { cookie: 'sessionid=garbage' } },
          { headers: { cookie: 'sessionid=s%3A' } },
          { headers: { cookie: 'sessionid=%E0%A4%A' } },
          { headers: { cookie: `sessionid=${id!.slice(0, -3)}` } },
        ]),
        get('wrong alphabet', refused, 1, [
          { headers: { cookie: `sessionid=s%3A${'!'.repeat(32)}.${'*'.repeat(43)}` } },
          { headers: { cookie: `sessionid=s%3A${'é'.repeat(32)}.${'é'.repeat(43)}` } },
        ]),
        // No Origin over plain HTTP passes the origin check (as Django); the anonymous caller is refused.
        logoutForged,
        post('valid session, no CSRF token', '/api/auth/logout', refused, 1, valid.slice(0, 20).map((l) => ({ headers: l.headers }))),
      );
      break;
    }
  }
  return kinds.filter((k) => k.variants.length > 0);
}

/**
 * Expires the special group's credentials behind the server's back, in the
 * workspace's own SQLite file: cheaper than a short TTL, which would expire
 * the valid credentials too.
 */
function expireSpecialGroup(w: Workspace, sql: string): void {
  const users = range(GROUPS.special).map((i) => w.users[i]!.id);
  const db = new Database(w.databasePath);
  try {
    db.pragma('busy_timeout = 5000');
    const statement = db.prepare<[string, UserId]>(sql);
    db.transaction(() => users.forEach((id) => statement.run(PAST, id)))();
  } finally {
    db.close();
  }
}

/**
 * Counts each timeout against the kind of request that went unanswered, and
 * keeps the slowest answer. With
 * one request in flight per connection, that is the connection's current
 * request when it sends again (autocannon reconnects and sends the next one
 * before it reports the timeout).
 */
function watchClients(counts: readonly { timeouts: number }[], slowest: { ms: number; kind: number; at: number }, t0: number) {
  return (c: autocannon.Client) => {
    // 'request' and 'timeout' and the iterator are autocannon's, missing from its typings.
    const client = c as unknown as EventEmitter & { requestIterator: { currentRequest: { kindIndex?: number } } };
    let previous: number | undefined;
    client.on('request', () => (previous = client.requestIterator.currentRequest.kindIndex));
    client.on('timeout', () => {
      if (previous !== undefined) counts[previous]!.timeouts++;
    });
    // Emitted before the next request is set up, so the current request is the one answered.
    client.on('response', (_status: number, _bytes: number, ms: number) => {
      if (ms > slowest.ms) Object.assign(slowest, { ms, kind: client.requestIterator.currentRequest.kindIndex ?? -1, at: performance.now() - t0 });
    });
  };
}

/** Smooth weighted round-robin: each kind appears `weight` times per cycle, spread out rather than in runs. */
export function interleave<T extends { readonly weight: number }>(items: readonly T[]): T[] {
  const total = items.reduce((sum, k) => sum + k.weight, 0);
  const credit = items.map(() => 0);
  const order: T[] = [];
  for (let n = 0; n < total; n++) {
    let best = 0;
    items.forEach((k, i) => {
      credit[i]! += k.weight;
      if (credit[i]! > credit[best]!) best = i;
    });
    credit[best]! -= total;
    order.push(items[best]!);
  }
  return order;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function growth(samples: readonly MemorySample[], value: (s: MemorySample) => number, judged: boolean): Growth {
  const third = Math.max(1, Math.floor(samples.length / 3));
  const start = mean(samples.slice(0, third).map(value));
  const end = mean(samples.slice(-third).map(value));
  const t = samples.map((s) => s.seconds);
  const y = samples.map(value);
  const tm = mean(t);
  const ym = mean(y);
  const den = t.reduce((a, ti) => a + (ti - tm) ** 2, 0);
  const slope = den === 0 ? 0 : t.reduce((a, ti, i) => a + (ti - tm) * (y[i]! - ym), 0) / den;
  const limit = Math.max(MEMORY_TOLERANCE.bytes, MEMORY_TOLERANCE.fraction * start);
  return { start, end, growth: end - start, slopePerMinute: slope * 60, flat: !judged || end - start < limit };
}

/**
 * Memory growth: the samples after warm-up (the first sixth of the run, when
 * the JIT, caches and heap are still settling) split in thirds, the last
 * third's mean against the first's.
 */
export function analyzeMemory(samples: readonly MemorySample[], seconds: number): MemoryReport {
  const warmupSeconds = seconds / 6;
  let settled: readonly MemorySample[] = samples.filter((s) => s.seconds >= warmupSeconds);
  if (settled.length < 3) settled = samples;
  if (settled.length === 0) settled = [{ seconds: 0, rss: 0, heapUsed: 0 }]; // the server failed at once: serverFailure says so
  const judged = seconds >= MIN_MEMORY_SECONDS;
  const rss = growth(settled, (s) => s.rss, judged);
  const heap = growth(settled, (s) => s.heapUsed, judged);
  return { warmupSeconds, rss, heap, verdict: !judged ? 'too short' : rss.flat && heap.flat ? 'flat' : 'growing' };
}

/** Starts the scheme's server on a fresh workspace, prepares the mix, and drives it for `seconds`. */
export async function soakScheme({ scheme, seconds, connections, serverCore, progress = () => {} }: SoakOptions): Promise<SchemeSoak> {
  const config = configOf(scheme);
  const w = await createWorkspace(USERS);
  let server: ServerProcess | undefined;
  try {
    // The soak sends rotated refresh tokens at once and expects reuse's 401: no grace window.
    const env = scheme === 'jwt' ? { ...config.env(w), JWT_REFRESH_GRACE: '0' } : config.env(w);
    server = await startServer(`soak ${scheme}`, APP_ENTRY, env, serverCore);
    progress(`${scheme}: logging ${USERS} users in, revoking some`);
    const kinds = await prepareMix(scheme, server, w, config);
    const counts = kinds.map(() => ({ responses: 0, wrong: 0, statuses: {} as Record<string, number>, timeouts: 0, firstWrong: null as string | null }));
    const requests = interleave(kinds.map((kind, k) => ({ kind, k, weight: kind.weight }))).map(({ kind, k }) => {
      let next = 0;
      const c = counts[k]!;
      return {
        kindIndex: k,
        method: kind.method,
        path: kind.path,
        setupRequest: (request: autocannon.Request) => {
          const v = kind.variants[next++ % kind.variants.length]!;
          return { ...request, headers: { ...v.headers }, ...(v.body !== undefined && { body: v.body }) };
        },
        onResponse: (status: number, body: string) => {
          c.responses++;
          c.statuses[status] = (c.statuses[status] ?? 0) + 1;
          if (status === kind.expected) return;
          c.wrong++;
          c.firstWrong ??= `${status} ${body.slice(0, 300)}`;
        },
      };
    });

    progress(`${scheme}: ${seconds} s at ${connections} connections, ${kinds.length} kinds of request`);
    const samples: MemorySample[] = [];
    const interval = Math.min(2, Math.max(0.25, seconds / 30)) * 1000;
    let running = true;
    let serverFailure: string | null = null;
    const t0 = performance.now();
    const slowest = { ms: 0, kind: -1, at: 0 };
    // Sampled while the load runs; nothing forces a GC, so the heap is what the run left.
    const sampler = (async () => {
      while (running) {
        try {
          const s = await server!.sample();
          samples.push({ seconds: (performance.now() - t0) / 1000, rss: s.rss, heapUsed: s.heapUsed });
        } catch (error) {
          serverFailure = (error as Error).message;
          return;
        }
        await sleep(interval);
      }
    })();
    const result = await autocannon({ url: `http://127.0.0.1:${server.port}`, connections, duration: seconds, requests, setupClient: watchClients(counts, slowest, t0) });
    running = false;
    await sampler;

    const kindResults: KindResult[] = kinds.map((k, i) => ({ name: k.name, method: k.method, path: k.path, expected: k.expected, ...counts[i]! }));
    const wrongStatus = kindResults.reduce((sum, k) => sum + k.wrong, 0);
    const serverErrors = kindResults.reduce((sum, k) => sum + Object.entries(k.statuses).reduce((s, [code, n]) => s + (code.startsWith('5') ? n : 0), 0), 0);
    const timeouts = result.timeouts;
    const latency = { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max };
    const socketErrors = result.errors - timeouts; // autocannon counts timeouts among its errors
    const memory = analyzeMemory(samples, seconds);
    const requestCount = kindResults.reduce((sum, k) => sum + k.responses, 0);
    const errors = wrongStatus + socketErrors + timeouts;
    return {
      scheme,
      seconds: result.duration,
      connections,
      requests: requestCount,
      requestsPerSecond: requestCount / result.duration,
      errors,
      wrongStatus,
      serverErrors,
      socketErrors,
      timeouts,
      latency,
      slowest: slowest.kind < 0 ? null : { ms: Math.round(slowest.ms), kind: kinds[slowest.kind]!.name, atSeconds: Math.round(slowest.at / 100) / 10 },
      serverFailure,
      memory,
      samples,
      kinds: kindResults,
      ok: errors === 0 && serverErrors === 0 && serverFailure === null && memory.verdict !== 'growing',
    };
  } finally {
    await server?.stop();
    w.remove();
  }
}

const MiB = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const signed = (bytes: number) => `${bytes >= 0 ? '+' : '−'}${MiB(Math.abs(bytes))}`;
const grouped = (n: number) => Math.round(n).toLocaleString('en-US');

function table(header: readonly string[], rows: readonly (readonly string[])[], right: (col: number) => boolean): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => (right(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right(i) ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** The per-scheme table: a Markdown table, so that docs/reliability.md can hold it verbatim. */
export function formatSummary(results: readonly SchemeSoak[]): string {
  const rows = results.map((r) => [
    r.scheme,
    `${r.seconds} s`,
    grouped(r.requests),
    grouped(r.requestsPerSecond),
    grouped(r.errors),
    grouped(r.serverErrors),
    `${MiB(r.memory.rss.start)} → ${MiB(r.memory.rss.end)} (${signed(r.memory.rss.growth)})`,
    `${MiB(r.memory.heap.start)} → ${MiB(r.memory.heap.end)} (${signed(r.memory.heap.growth)})`,
    r.memory.verdict,
    r.ok ? 'ok' : `FAIL${r.serverFailure ? ' (server exited)' : ''}`,
  ]);
  const header = ['scheme', 'time', 'requests', 'req/s', 'errors', '5xx', 'RSS MiB', 'heap MiB', 'memory', 'verdict'];
  return table(header, rows, (i) => i >= 1 && i <= 5);
}

/** Responses per kind of request and scheme, with the status each kind must get. */
export function formatMix(results: readonly SchemeSoak[]): string {
  const label = (k: KindResult) => `${k.method} ${k.path}: ${k.name}`;
  const labels: string[] = [];
  for (const r of results) for (const k of r.kinds) if (!labels.includes(label(k))) labels.push(label(k));
  // GETs first, then each POST route's kinds together.
  labels.sort((a, b) => Number(a.startsWith('POST')) - Number(b.startsWith('POST')) || (a.startsWith('POST') ? a.split(':')[0]!.localeCompare(b.split(':')[0]!) : 0));
  const rows = labels.map((name) => {
    return [
      name,
      ...results.map((r) => {
        const k = r.kinds.find((x) => label(x) === name);
        if (!k) return '–';
        return `${grouped(k.responses)} × ${k.expected}${k.wrong > 0 ? ` (${grouped(k.wrong)} wrong)` : ''}`;
      }),
    ];
  });
  return table(['request', ...results.map((r) => r.scheme)], rows, (i) => i > 0);
}

/** Latency per scheme, and the slowest answer: a long tail shows here before it becomes timeouts. */
export function formatLatency(results: readonly SchemeSoak[]): string {
  return results
    .map((r) => {
      const slowest = r.slowest ? `; slowest ${grouped(r.slowest.ms)} ms (${r.slowest.kind}, answered ${r.slowest.atSeconds} s into the run)` : '';
      return `${r.scheme}: p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, max ${grouped(r.latency.max)} ms${slowest}`;
    })
    .join('\n');
}

/** Every wrong answer's kind and first example, for a failing run. */
export function formatFailures(results: readonly SchemeSoak[]): string {
  const lines: string[] = [];
  for (const r of results) {
    if (r.serverFailure) lines.push(`${r.scheme}: ${r.serverFailure}`);
    if (r.socketErrors || r.timeouts) lines.push(`${r.scheme}: ${r.socketErrors} socket errors, ${r.timeouts} timeouts; latency p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms`);
    for (const k of r.kinds) {
      if (k.timeouts > 0) lines.push(`${r.scheme}: ${k.method} ${k.path} ${k.name}: ${k.timeouts} timed out`);
      if (k.wrong > 0) lines.push(`${r.scheme}: ${k.method} ${k.path} ${k.name}: ${k.wrong} not ${k.expected} (${JSON.stringify(k.statuses)}), first: ${k.firstWrong}`);
    }
    if (r.memory.verdict === 'growing') {
      lines.push(`${r.scheme}: memory grows: RSS ${signed(r.memory.rss.growth)} MiB (${MiB(r.memory.rss.slopePerMinute)} MiB/min), heap ${signed(r.memory.heap.growth)} MiB (${MiB(r.memory.heap.slopePerMinute)} MiB/min)`);
    }
  }
  return lines.join('\n');
}
