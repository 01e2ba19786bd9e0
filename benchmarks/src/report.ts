import type { InProcessSize, LoginResult } from './in-process.js';
import type { InstancesResult } from './http/instances.js';
import type { InstructionsSummary } from './http/instructions.js';
import { STORAGE_LABEL, STORAGES, type Storage } from './http/storage.js';
import type { RoundSample, RunResult } from './http/suite.js';
import { median, pairedRatios, spread, type Spread } from './stats.js';

export interface RunSummary {
  readonly name: string;
  readonly kind: 'baseline' | 'scheme' | 'peer';
  readonly family: string;
  /** Where its data is; each storage has its own baseline row. */
  readonly storage: Storage;
  readonly rejected: boolean;
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  /** Paired ratio of req/s to the baseline. */
  readonly ratio: Spread;
  /** Server CPU µs per request above the baseline's, median over the pairs. */
  readonly authMicros: number;
  readonly readsPerRequest: number;
  readonly writesPerRequest: number;
  readonly redisCommandsPerRequest: number;
  /** CPU of the PostgreSQL backends and the Redis server per request, median over the rounds (0 on SQLite). */
  readonly storeMicros: number;
  /** Rounds redone because other processes were busy. */
  readonly redone: number;
}

/** One instance against two on the same storage. */
export interface InstancesSummary {
  readonly name: string;
  readonly storage: Storage;
  readonly oneRequestsPerSecond: number;
  /** Median over the pairs of each instance's req/s when both were loaded. */
  readonly perInstance: readonly [number, number];
  readonly twoRequestsPerSecond: number;
  /** Per pair: both instances' req/s together ÷ the one instance's. */
  readonly ratio: Spread;
  readonly oneBusyCores: number;
  readonly twoBusyCores: number;
}

export interface Report {
  readonly date: string;
  readonly machine: string;
  readonly pinning: string;
  readonly method: string;
  readonly quick: boolean;
  readonly http: readonly RunSummary[];
  /** Two instances on shared storage against one. */
  readonly instances?: readonly InstancesSummary[];
  /** The storages whose configurations ran, and those left out of this run with why. */
  readonly storages?: readonly Storage[];
  readonly skipped?: readonly string[];
  /** Configurations left out because what they require is not installed (their reason is in `skipped`). */
  readonly unavailable?: readonly string[];
  /** Instructions per request counted by callgrind (`--instructions`). */
  readonly instructions?: InstructionsSummary;
  readonly inProcess: readonly InProcessSize[];
  readonly login: LoginResult | null;
}

/** The baseline row's name for a storage: SQLite's keeps its historical name. */
export const baselineName = (storage: Storage) => (storage === 'sqlite' ? 'no auth (baseline)' : `no auth (baseline), ${STORAGE_LABEL[storage]}`);

/** A row per configuration, each storage's after its own baseline's row, storages in the suite's order. */
export function summarize(runs: readonly RunResult[]): RunSummary[] {
  return STORAGES.flatMap((storage) => summarizeGroup(storage, runs.filter((r) => (r.storage ?? 'sqlite') === storage)));
}

function summarizeGroup(storage: Storage, runs: readonly RunResult[]): RunSummary[] {
  const baselineRounds = runs.flatMap((r) => r.pairs.map((p) => p.baseline));
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  // The per-request counts divide by what the server served (older results: what the load generator counted).
  const served = (rounds: readonly RoundSample[]) => sum(rounds.map((s) => s.served ?? s.responses));
  const rows: RunSummary[] = [];
  if (baselineRounds.length) {
    rows.push({
      name: baselineName(storage),
      kind: 'baseline',
      family: 'none',
      storage,
      rejected: false,
      requestsPerSecond: median(baselineRounds.map((s) => s.requestsPerSecond)),
      p50: median(baselineRounds.map((s) => s.p50)),
      p99: median(baselineRounds.map((s) => s.p99)),
      ratio: { median: 1, min: 1, max: 1 },
      authMicros: 0,
      readsPerRequest: sum(baselineRounds.map((s) => s.reads)) / served(baselineRounds),
      writesPerRequest: sum(baselineRounds.map((s) => s.writes)) / served(baselineRounds),
      redisCommandsPerRequest: sum(baselineRounds.map((s) => s.redisCommands ?? 0)) / served(baselineRounds),
      storeMicros: median(baselineRounds.map((s) => s.storeMicrosPerRequest ?? 0)),
      redone: sum(baselineRounds.map((s) => s.redone)),
    });
  }
  for (const run of runs) {
    const subjects = run.pairs.map((p) => p.subject);
    const responses = served(subjects);
    rows.push({
      name: run.name,
      kind: run.kind,
      family: run.family,
      storage,
      rejected: run.rejected,
      requestsPerSecond: median(subjects.map((s) => s.requestsPerSecond)),
      p50: median(subjects.map((s) => s.p50)),
      p99: median(subjects.map((s) => s.p99)),
      ratio: spread(pairedRatios(run.pairs.map((p) => ({ subject: p.subject.requestsPerSecond, baseline: p.baseline.requestsPerSecond })))),
      authMicros: median(authPerPair(run)),
      readsPerRequest: sum(subjects.map((s) => s.reads)) / responses,
      writesPerRequest: sum(subjects.map((s) => s.writes)) / responses,
      redisCommandsPerRequest: sum(subjects.map((s) => s.redisCommands ?? 0)) / responses,
      storeMicros: median(subjects.map((s) => s.storeMicrosPerRequest ?? 0)),
      redone: sum(run.pairs.flatMap((p) => [p.subject.redone, p.baseline.redone])),
    });
  }
  return rows;
}

export function summarizeInstances(results: readonly InstancesResult[]): InstancesSummary[] {
  return results.map((r) => ({
    name: r.name,
    storage: r.storage,
    oneRequestsPerSecond: median(r.pairs.map((p) => p.one.requestsPerSecond)),
    perInstance: [median(r.pairs.map((p) => p.two[0].requestsPerSecond)), median(r.pairs.map((p) => p.two[1].requestsPerSecond))],
    twoRequestsPerSecond: median(r.pairs.map((p) => p.two[0].requestsPerSecond + p.two[1].requestsPerSecond)),
    ratio: spread(r.pairs.map((p) => (p.two[0].requestsPerSecond + p.two[1].requestsPerSecond) / p.one.requestsPerSecond)),
    oneBusyCores: median(r.pairs.map((p) => p.oneBusyCores)),
    twoBusyCores: median(r.pairs.map((p) => p.twoBusyCores)),
  }));
}

export const int = (n: number) => Math.round(n).toLocaleString('en-US');
export const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
export const perRequest = (n: number) => (n === 0 ? '0' : n >= 0.1 ? fixed(n, 2) : n.toPrecision(2));
export const times = (s: Spread) => `${fixed(s.median, 2)}× (${fixed(s.min, 2)}–${fixed(s.max, 2)})`;

/** Named rows, for the comparisons and targets. */
function finder(rows: readonly RunSummary[]) {
  return (name: string) => rows.find((r) => r.name === name);
}

/** A run's auth µs of each pair: its server's CPU per request minus its baseline's in the same pair. */
export const authPerPair = (run: RunResult) => run.pairs.map((p) => p.subject.cpuMicrosPerRequest - p.baseline.cpuMicrosPerRequest);

interface Target {
  readonly text: string;
  readonly measured: string;
  readonly met: boolean;
}

/**
 * The targets the suite is held to (each scheme at its inherent cost), those
 * this run's rows can answer: paired ratios on SQLite, auth µs, the Node and
 * Django peers, and the in-process verify.
 */
export function targets(report: Report): Target[] {
  const row = finder(report.http);
  const out: Target[] = [];
  const ratioAtLeast = (name: string, min: number) => {
    const r = row(name);
    if (r) out.push({ text: `${name} ≥ ${min.toFixed(2)}× baseline`, measured: `${fixed(r.ratio.median, 2)}×`, met: r.ratio.median >= min });
  };
  const authAtMost = (name: string, max: number) => {
    const r = row(name);
    if (r) out.push({ text: `${name} auth ≤ ${max} µs per request`, measured: `${fixed(r.authMicros, 1)} µs`, met: r.authMicros <= max });
  };
  const versus = (ours: string, theirs: string, min: number) => {
    const a = row(ours);
    const b = row(theirs);
    if (a && b) {
      const x = a.ratio.median / b.ratio.median;
      out.push({ text: `${ours} ≥ ${min}× ${theirs.replace('peer: ', '')}`, measured: `${fixed(x, 2)}×`, met: x >= min });
    }
  };
  ratioAtLeast('jwt HS256, stateless', 0.85);
  authAtMost('jwt HS256, stateless', 30);
  ratioAtLeast('jwt HS256, user check', 0.8);
  ratioAtLeast('jwt ES256, user check', 0.65);
  ratioAtLeast('jwt EdDSA, user check', 0.6);
  ratioAtLeast('session', 0.7);
  authAtMost('session', 90);
  const session = row('session');
  if (session) out.push({ text: 'session: 0 writes per request', measured: perRequest(session.writesPerRequest), met: session.writesPerRequest < 0.005 });
  versus('session', 'peer: express-session + SQLite store', 1.4);
  ratioAtLeast('knox', 0.88);
  const token = row('token');
  const knox = row('knox');
  if (knox && token) {
    const gap = knox.authMicros - token.authMicros;
    out.push({ text: 'knox auth within 8 µs of token', measured: `${gap >= 0 ? '+' : ''}${fixed(gap, 1)} µs`, met: gap <= 8 });
  }
  ratioAtLeast('token', 0.92);
  versus('token', 'peer: passport-http-bearer', 1);
  versus('token', 'peer: DRF TokenAuthentication', 8);
  versus('jwt HS256, user check', 'peer: simplejwt JWTAuthentication', 8);
  versus('session', 'peer: DRF SessionAuthentication', 8);

  const sizes = report.inProcess;
  const small = sizes[0];
  const stateless = small?.cases.find((c) => c.name === 'jwt authenticate(), HS256, stateless')?.nsPerCall.median;
  if (small && stateless !== undefined) {
    out.push({
      text: `in-process jwt HS256 verify (stateless authenticate()) ≤ 10 µs, at ${int(small.credentials)} credentials`,
      measured: `${fixed(stateless / 1000, 1)} µs`,
      met: stateless <= 10_000,
    });
  }
  return out;
}

/**
 * A table as latest.md and report.html both show it: cells already formatted,
 * the first `text` columns words (left-aligned), the rest figures.
 */
export interface Table {
  readonly head: readonly string[];
  readonly rows: readonly TableRow[];
  readonly text?: number;
}

export interface TableRow {
  readonly cells: readonly string[];
  /** A no-auth baseline: the reference the other rows are measured against. */
  readonly baseline?: boolean;
}

/** An empty cell is one space, as the committed tables have it. */
export function markdownTable(table: Table): string[] {
  const text = table.text ?? 1;
  const row = (cells: readonly string[]) => `|${cells.map((c) => (c ? ` ${c} ` : ' ')).join('|')}|`;
  return [row(table.head), `|${table.head.map((_, i) => (i < text ? '---' : '---:')).join('|')}|`, ...table.rows.map((r) => row(r.cells))];
}

/** How a row's auth µs reads: latest.md gives the median; report.html adds the pairs' range. */
export type AuthCell = (row: RunSummary) => string;
const authMedian: AuthCell = (r) => (r.kind === 'baseline' ? '0' : fixed(r.authMicros, 1));

/** The HTTP rows on SQLite; with --instructions, the auth's own instructions per request beside req/s. */
export function sqliteTable(report: Report, auth: AuthCell = authMedian): Table {
  const counted = report.instructions ? new Map(report.instructions.rows.map((r) => [r.name, r])) : null;
  const instructionCell = (name: string) => {
    const c = counted?.get(name === baselineName('sqlite') ? 'no auth (baseline)' : name);
    return c ? (c.kind === 'baseline' ? '0' : int(c.authPerRequest)) : '';
  };
  return {
    head: [
      'configuration', 'req/s', 'p50 ms', 'p99 ms', 'paired ratio (min–max)', 'auth µs/request', 'reads / writes per request',
      ...(counted ? ['auth instructions/request'] : []),
    ],
    rows: report.http
      .filter((r) => r.storage === 'sqlite')
      .map((r) => ({
        baseline: r.kind === 'baseline',
        cells: [
          r.name, int(r.requestsPerSecond), fixed(r.p50, 0), fixed(r.p99, 0), times(r.ratio), auth(r),
          `${perRequest(r.readsPerRequest)} / ${perRequest(r.writesPerRequest)}`,
          ...(counted ? [instructionCell(r.name)] : []),
        ],
      })),
  };
}

/** Ours beside what a team would use instead: the Node libraries, and Django's own where they ran. */
const PEER_PAIRS = [
  ['token', 'peer: passport-http-bearer'],
  ['knox', 'peer: passport-http-bearer'],
  ['jwt HS256, stateless', 'peer: express-jwt HS256'],
  ['jwt HS256, user check', 'peer: express-jwt HS256'],
  ['session', 'peer: express-session + SQLite store'],
  ['token', 'peer: DRF TokenAuthentication'],
  ['jwt HS256, user check', 'peer: simplejwt JWTAuthentication'],
  ['session', 'peer: DRF SessionAuthentication'],
] as const;

/** The pairs of PEER_PAIRS this run measured both sides of (no rows: none). */
export function peerTable(report: Report): Table {
  const row = finder(report.http);
  return {
    head: ['ours', 'peer', 'ours ÷ peer (paired ratios)', 'auth µs: ours / peer'],
    text: 2,
    rows: PEER_PAIRS.filter(([a, b]) => row(a) && row(b)).map(([a, b]) => {
      const x = row(a)!;
      const y = row(b)!;
      return { cells: [a, b.replace('peer: ', ''), `${fixed(x.ratio.median / y.ratio.median, 2)}×`, `${fixed(x.authMicros, 1)} / ${fixed(y.authMicros, 1)}`] };
    }),
  };
}

export function markdown(report: Report): string {
  const lines: string[] = [];
  lines.push(`# authbench benchmark${report.quick ? ' (--quick: checks the harness, says nothing about speed)' : ''}`, '');
  lines.push(`Run ${report.date} on ${report.machine}; ${report.pinning}.`, '', report.method, '');

  const sqliteRows = report.http.filter((r) => r.storage === 'sqlite');
  const remoteRows = report.http.filter((r) => r.storage !== 'sqlite');
  if (sqliteRows.length) {
    lines.push('## HTTP: `GET /api/me` through the built app', '');
    lines.push(...markdownTable(sqliteTable(report)));
    lines.push('', redoneLine(sqliteRows), '');

    const peers = peerTable(report);
    if (peers.rows.length) lines.push('### Against what a team would use instead', '', ...markdownTable(peers), '');
  }
  if (report.instructions) lines.push(...instructionsSection(report.instructions));
  if (remoteRows.length) lines.push(...remoteSection(remoteRows));
  if (report.instances?.length) lines.push('## Two instances on one PostgreSQL (and Redis)', '', ...markdownTable(instancesTable(report.instances)), '');
  for (const reason of report.skipped ?? []) lines.push(`Skipped: ${reason}.`, '');

  if (report.inProcess.length) {
    lines.push('## In-process: ns per `authenticate()` call', '', ...markdownTable(inProcessTable(report.inProcess)), '');
  }
  if (report.login) {
    lines.push(
      '## Login',
      '',
      `${report.login.parameters}: ${fixed(report.login.perSecond, 1)} logins/s on one core, ${fixed(report.login.msEach, 1)} ms each. Kept out of every per-request figure.`,
      '',
    );
  }

  const list = targets(report);
  if (list.length && !report.quick) {
    lines.push('## Targets', '', '| target | measured | |', '|---|---:|---|');
    for (const t of list) lines.push(`| ${t.text} | ${t.measured} | ${t.met ? 'met' : '**missed**'} |`);
    lines.push('');
  }
  return lines.join('\n');
}

/** Each case's cost at each stored size, median (min–max), its growth from the smallest size to the largest, and its SQL. */
export function inProcessTable(sizes: readonly InProcessSize[], perCall: (ns: number) => string = int): Table {
  const grows = sizes.length > 1;
  const first = sizes[0]!;
  const last = sizes.at(-1)!;
  return {
    head: [
      'case',
      ...sizes.map((s) => `${int(s.credentials)} credentials`),
      ...(grows ? [`${int(last.credentials)} ÷ ${int(first.credentials)}`] : []),
      'reads / writes per call',
    ],
    rows: first.cases.map((c, k) => {
      const atLast = last.cases[k]!;
      return {
        cells: [
          c.name,
          ...sizes.map((s) => {
            const n = s.cases[k]!.nsPerCall;
            return `${perCall(n.median)} (${perCall(n.min)}–${perCall(n.max)})`;
          }),
          ...(grows ? [`${fixed(atLast.nsPerCall.median / c.nsPerCall.median, 2)}×`] : []),
          `${perRequest(atLast.readsPerCall)} / ${perRequest(atLast.writesPerCall)}`,
        ],
      };
    }),
  };
}

/** Instructions per request (callgrind): each configuration's, the auth's own above the baseline's, and the ratio. */
export function instructionsTable(summary: InstructionsSummary): Table {
  return {
    head: ['configuration', 'instructions/request', 'auth instructions/request', '× baseline'],
    rows: summary.rows.map((r) => ({
      baseline: r.kind === 'baseline',
      cells: [r.name, int(r.perRequest), r.kind === 'baseline' ? '0' : int(r.authPerRequest), `${fixed(r.ratio, 2)}×`],
    })),
  };
}

/** How the instructions were counted, for both renderings. */
export function instructionsMethod(summary: InstructionsSummary): string {
  return (
    `Instructions the server process executed (callgrind's Ir, every thread) over ${int(summary.requests)} requests sent one at a time on one connection, ` +
    `after ${int(summary.warmup)} uncounted warm-up requests, ${int(summary.users)} users' credentials in user order; ` +
    `the auth's own = the configuration's instructions per request minus the no-auth baseline's, counted the same way in the same run. ` +
    `For one build and these inputs it repeats within a few per cent whatever else the machine runs (docs/benchmarks.md). This measure took ${int(summary.seconds)} s.`
  );
}

function instructionsSection(summary: InstructionsSummary): string[] {
  return ['## Instructions per request (callgrind)', '', instructionsMethod(summary), '', ...markdownTable(instructionsTable(summary)), ''];
}

/** What the CPU columns of the PostgreSQL and Redis rows count. */
export const STORAGE_CPU_NOTE =
  'Auth µs is the app process\'s CPU; PostgreSQL + Redis µs is the CPU of the PostgreSQL backends serving it and of the Redis server, on the same machine.';

/** The PostgreSQL and Redis variants (report.html adds their SQLite counterparts), each paired with a baseline on its own storage. */
export function storageTable(rows: readonly RunSummary[], auth: AuthCell = authMedian): Table {
  return {
    head: [
      'configuration', 'req/s', 'p50 ms', 'p99 ms', 'paired ratio (min–max)', 'auth µs/request', 'PostgreSQL + Redis µs/request',
      'SQL reads / writes per request', 'Redis commands per request',
    ],
    rows: rows.map((r) => ({
      baseline: r.kind === 'baseline',
      cells: [
        r.name, int(r.requestsPerSecond), fixed(r.p50, 0), fixed(r.p99, 0), times(r.ratio), auth(r), fixed(r.storeMicros, 1),
        `${perRequest(r.readsPerRequest)} / ${perRequest(r.writesPerRequest)}`, perRequest(r.redisCommandsPerRequest),
      ],
    })),
  };
}

/** Rounds redone because other processes were busy, over some rows. */
export const redoneLine = (rows: readonly RunSummary[]) =>
  `Rounds redone because other processes took more than a tenth of a core: ${rows.reduce((n, r) => n + r.redone, 0)}.`;

function remoteSection(rows: readonly RunSummary[]): string[] {
  return ['## HTTP on PostgreSQL and Redis', '', `Each row is paired with the baseline on its own storage (its row above it). ${STORAGE_CPU_NOTE}`, '', ...markdownTable(storageTable(rows)), '', redoneLine(rows), ''];
}

export function instancesTable(rows: readonly InstancesSummary[]): Table {
  return {
    head: ['configuration', 'one instance req/s', 'two instances req/s (A + B)', 'two ÷ one (min–max)', 'busy cores: one / two'],
    rows: rows.map((r) => ({
      cells: [
        r.name,
        int(r.oneRequestsPerSecond),
        `${int(r.twoRequestsPerSecond)} (${int(r.perInstance[0])} + ${int(r.perInstance[1])})`,
        times(r.ratio),
        `${fixed(r.oneBusyCores, 2)} / ${fixed(r.twoBusyCores, 2)}`,
      ],
    })),
  };
}

/** A horizontal bar chart of the server CPU each configuration adds to a request (SQLite's: the others' is split across processes). */
export function svgChart(report: Report): string {
  const rows = report.http.filter((r) => r.kind !== 'baseline' && r.storage === 'sqlite');
  const barHeight = 22;
  const gap = 6;
  const labelWidth = 300;
  const chartWidth = 420;
  const top = 58;
  const height = top + rows.length * (barHeight + gap) + 30;
  const max = Math.max(1, ...rows.map((r) => r.authMicros));
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const colour = (r: RunSummary) => (r.kind === 'peer' ? '#9aa0a6' : r.rejected ? '#e8a33d' : '#3b6fd4');
  const bars = rows.map((r, i) => {
    const y = top + i * (barHeight + gap);
    const width = Math.max(1, (Math.max(0, r.authMicros) / max) * chartWidth);
    return [
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escape(r.name)}</text>`,
      `<rect x="${labelWidth}" y="${y}" width="${width.toFixed(1)}" height="${barHeight}" fill="${colour(r)}"/>`,
      `<text x="${(labelWidth + width + 6).toFixed(1)}" y="${y + 15}">${fixed(r.authMicros, 0)} µs · ${fixed(r.ratio.median, 2)}×</text>`,
    ].join('');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + chartWidth + 120}" height="${height}" font-family="sans-serif" font-size="13">`,
    '<rect width="100%" height="100%" fill="#ffffff"/>',
    `<text x="12" y="22" font-size="15" font-weight="bold">Server CPU added per request over the no-auth baseline (µs) · paired req/s ratio</text>`,
    ...[
      ['#3b6fd4', 'authbench scheme'],
      ['#e8a33d', 'refused credentials'],
      ['#9aa0a6', 'peer library'],
    ].map(([fill, label], i) => `<rect x="${12 + i * 190}" y="32" width="12" height="12" fill="${fill}"/><text x="${30 + i * 190}" y="43">${label}</text>`),
    ...bars,
    `<text x="12" y="${height - 10}" fill="#5f6368">${escape(`${report.date} · ${report.machine}`)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
