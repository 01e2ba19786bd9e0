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
      authMicros: median(run.pairs.map((p) => p.subject.cpuMicrosPerRequest - p.baseline.cpuMicrosPerRequest)),
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

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const perRequest = (n: number) => (n === 0 ? '0' : n >= 0.1 ? fixed(n, 2) : n.toPrecision(2));
const times = (s: Spread) => `${fixed(s.median, 2)}× (${fixed(s.min, 2)}–${fixed(s.max, 2)})`;

/** Named rows, for the comparisons and targets. */
function finder(rows: readonly RunSummary[]) {
  return (name: string) => rows.find((r) => r.name === name);
}

interface Target {
  readonly text: string;
  readonly measured: string;
  readonly met: boolean;
}

/** The issue's targets that this run's rows can answer. */
export function targets(report: Report): Target[] {
  const row = finder(report.http);
  const out: Target[] = [];
  const ratioAtLeast = (name: string, min: number) => {
    const r = row(name);
    if (r) out.push({ text: `${name} ≥ ${min.toFixed(2)}× baseline`, measured: `${fixed(r.ratio.median, 2)}×`, met: r.ratio.median >= min });
  };
  const versus = (ours: string, theirs: string, min: number) => {
    const a = row(ours);
    const b = row(theirs);
    if (a && b) {
      const x = a.ratio.median / b.ratio.median;
      out.push({ text: `${ours} ≥ ${min}× ${theirs.replace('peer: ', '')}`, measured: `${fixed(x, 2)}×`, met: x >= min });
    }
  };
  ratioAtLeast('token', 0.9);
  const token = row('token');
  if (token) out.push({ text: 'token auth ≤ 35 µs per request', measured: `${fixed(token.authMicros, 1)} µs`, met: token.authMicros <= 35 });
  versus('token', 'peer: passport-http-bearer', 1.3);
  ratioAtLeast('knox', 0.85);
  const knox = row('knox');
  if (knox && token) {
    const gap = token.ratio.median - knox.ratio.median;
    out.push({ text: 'knox within 0.05× of token', measured: `${fixed(gap, 2)}× below`, met: gap <= 0.05 });
  }
  ratioAtLeast('jwt HS256, stateless', 0.65);
  versus('jwt HS256, stateless', 'peer: express-jwt HS256', 2.5);
  ratioAtLeast('jwt HS256, user check', 0.62);
  ratioAtLeast('jwt ES256, user check', 0.5);
  ratioAtLeast('session', 0.6);
  const session = row('session');
  if (session) {
    out.push({ text: 'session ≤ 0.01 writes per request', measured: perRequest(session.writesPerRequest), met: session.writesPerRequest <= 0.01 });
  }
  versus('session', 'peer: express-session + SQLite store', 1.15);
  const base = report.http.find((r) => r.kind === 'baseline' && r.storage === 'sqlite');
  const context = base ? ` (baseline ${fixed(base.p99 / base.p50, 1)}×)` : '';
  for (const r of report.http.filter((r) => r.kind === 'scheme' && !r.rejected && r.storage === 'sqlite')) {
    out.push({ text: `${r.name}: p99 ≤ 3× p50`, measured: `${fixed(r.p99 / r.p50, 1)}×${context}`, met: r.p99 <= 3 * r.p50 });
  }

  const sizes = report.inProcess;
  const at = (size: InProcessSize | undefined, name: string) => size?.cases.find((c) => c.name.startsWith(name))?.nsPerCall.median;
  const small = sizes[0];
  const big = sizes[sizes.length - 1];
  if (small) {
    const bare = at(small, 'bare prepared lookup')!;
    const tokenNs = at(small, 'token authenticate()')!;
    const knoxNs = at(small, 'knox authenticate()')!;
    const jose = at(small, 'jose jwtVerify() alone, HS256')!;
    const stateless = at(small, 'jwt authenticate(), HS256, stateless')!;
    const label = `at ${int(small.credentials)} credentials`;
    out.push({ text: `in-process token ≤ 1.25× the bare lookup, ${label}`, measured: `${fixed(tokenNs / bare, 2)}×`, met: tokenNs <= 1.25 * bare });
    out.push({ text: `in-process knox ≤ token + 5 µs, ${label}`, measured: `+${fixed((knoxNs - tokenNs) / 1000, 1)} µs`, met: knoxNs - tokenNs <= 5000 });
    out.push({ text: `in-process jwt stateless ≤ 1.1× jwtVerify alone, ${label}`, measured: `${fixed(stateless / jose, 2)}×`, met: stateless <= 1.1 * jose });
  }
  if (small && big && big !== small) {
    for (const name of ['token authenticate()', 'knox authenticate()', 'session']) {
      const growth = at(big, name)! / at(small, name)!;
      out.push({
        text: `in-process ${name.replace(' authenticate()', '')}: cost at ${int(big.credentials)} ≤ 1.5× cost at ${int(small.credentials)}`,
        measured: `${fixed(growth, 2)}×`,
        met: growth <= 1.5,
      });
    }
  }
  return out;
}

export function markdown(report: Report): string {
  const lines: string[] = [];
  lines.push(`# authbench benchmark${report.quick ? ' (--quick: checks the harness, says nothing about speed)' : ''}`, '');
  lines.push(`Run ${report.date} on ${report.machine}; ${report.pinning}.`, '', report.method, '');

  const sqliteRows = report.http.filter((r) => r.storage === 'sqlite');
  const remoteRows = report.http.filter((r) => r.storage !== 'sqlite');
  if (sqliteRows.length) {
    lines.push('## HTTP: `GET /api/me` through the built app', '');
    // With --instructions, the auth's own instructions per request beside req/s (the section below has the method).
    const counted = report.instructions ? new Map(report.instructions.rows.map((r) => [r.name, r])) : null;
    const instructionCell = (name: string) => {
      const c = counted?.get(name === baselineName('sqlite') ? 'no auth (baseline)' : name);
      return c ? ` ${c.kind === 'baseline' ? '0' : int(c.authPerRequest)} |` : ' |';
    };
    lines.push(`| configuration | req/s | p50 ms | p99 ms | paired ratio (min–max) | auth µs/request | reads / writes per request |${counted ? ' auth instructions/request |' : ''}`);
    lines.push(`|---|---:|---:|---:|---:|---:|---:|${counted ? '---:|' : ''}`);
    for (const r of sqliteRows) {
      const auth = r.kind === 'baseline' ? '0' : fixed(r.authMicros, 1);
      lines.push(
        `| ${r.name} | ${int(r.requestsPerSecond)} | ${fixed(r.p50, 0)} | ${fixed(r.p99, 0)} | ${times(r.ratio)} | ${auth} | ${perRequest(r.readsPerRequest)} / ${perRequest(r.writesPerRequest)} |${counted ? instructionCell(r.name) : ''}`,
      );
    }
    const redone = sqliteRows.reduce((n, r) => n + r.redone, 0);
    lines.push('', `Rounds redone because other processes took more than a tenth of a core: ${redone}.`, '');

    const row = finder(report.http);
    const pairs = [
      ['token', 'peer: passport-http-bearer'],
      ['knox', 'peer: passport-http-bearer'],
      ['jwt HS256, stateless', 'peer: express-jwt HS256'],
      ['jwt HS256, user check', 'peer: express-jwt HS256'],
      ['session', 'peer: express-session + SQLite store'],
      ['token', 'peer: DRF TokenAuthentication'],
      ['jwt HS256, user check', 'peer: simplejwt JWTAuthentication'],
      ['session', 'peer: DRF SessionAuthentication'],
    ] as const;
    const compared = pairs.filter(([a, b]) => row(a) && row(b));
    if (compared.length) {
      lines.push('### Against what a team would use instead', '');
      lines.push('| ours | peer | ours ÷ peer (paired ratios) | auth µs: ours / peer |', '|---|---|---:|---:|');
      for (const [a, b] of compared) {
        const x = row(a)!;
        const y = row(b)!;
        lines.push(`| ${a} | ${b.replace('peer: ', '')} | ${fixed(x.ratio.median / y.ratio.median, 2)}× | ${fixed(x.authMicros, 1)} / ${fixed(y.authMicros, 1)} |`);
      }
      lines.push('');
    }
  }
  if (report.instructions) lines.push(...instructionsTable(report.instructions));
  if (remoteRows.length) lines.push(...remoteTable(remoteRows));
  if (report.instances?.length) lines.push(...instancesTable(report.instances));
  for (const reason of report.skipped ?? []) lines.push(`Skipped: ${reason}.`, '');

  if (report.inProcess.length) {
    const sizes = report.inProcess;
    lines.push('## In-process: ns per `authenticate()` call', '');
    const grows = sizes.length > 1;
    lines.push(
      `| case | ${sizes.map((s) => `${int(s.credentials)} credentials`).join(' | ')}${grows ? ` | ${int(sizes.at(-1)!.credentials)} ÷ ${int(sizes[0]!.credentials)}` : ''} | reads / writes per call |`,
    );
    lines.push(`|---|${sizes.map(() => '---:').join('|')}|${grows ? '---:|' : ''}---:|`);
    for (const [k, c] of sizes[0]!.cases.entries()) {
      const cells = sizes.map((s) => {
        const n = s.cases[k]!.nsPerCall;
        return `${int(n.median)} (${int(n.min)}–${int(n.max)})`;
      });
      const growth = grows ? ` | ${fixed(sizes.at(-1)!.cases[k]!.nsPerCall.median / c.nsPerCall.median, 2)}×` : '';
      const last = sizes.at(-1)!.cases[k]!;
      lines.push(`| ${c.name} | ${cells.join(' | ')}${growth} | ${perRequest(last.readsPerCall)} / ${perRequest(last.writesPerCall)} |`);
    }
    lines.push('');
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

/** Instructions per request (callgrind): each configuration's, the auth's own above the baseline's, and the ratio. */
function instructionsTable(summary: InstructionsSummary): string[] {
  const lines = ['## Instructions per request (callgrind)', ''];
  lines.push(
    `Instructions the server process executed (callgrind's Ir, every thread) over ${int(summary.requests)} requests sent one at a time on one connection, ` +
      `after ${int(summary.warmup)} uncounted warm-up requests, ${int(summary.users)} users' credentials in user order; ` +
      `the auth's own = the configuration's instructions per request minus the no-auth baseline's, counted the same way in the same run. ` +
      `For one build and these inputs it repeats within a few per cent whatever else the machine runs (docs/benchmarks.md). This measure took ${int(summary.seconds)} s.`,
    '',
  );
  lines.push('| configuration | instructions/request | auth instructions/request | × baseline |', '|---|---:|---:|---:|');
  for (const r of summary.rows) {
    lines.push(`| ${r.name} | ${int(r.perRequest)} | ${r.kind === 'baseline' ? '0' : int(r.authPerRequest)} | ${fixed(r.ratio, 2)}× |`);
  }
  lines.push('');
  return lines;
}

/** The PostgreSQL and Redis variants, each paired with a baseline on its own storage. */
function remoteTable(rows: readonly RunSummary[]): string[] {
  const lines = ['## HTTP on PostgreSQL and Redis', ''];
  lines.push(
    'Each row is paired with the baseline on its own storage (its row above it). Auth µs is the app process\'s CPU; ' +
      'PostgreSQL + Redis µs is the CPU of the PostgreSQL backends serving it and of the Redis server, on the same machine.',
    '',
  );
  lines.push('| configuration | req/s | p50 ms | p99 ms | paired ratio (min–max) | auth µs/request | PostgreSQL + Redis µs/request | SQL reads / writes per request | Redis commands per request |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const auth = r.kind === 'baseline' ? '0' : fixed(r.authMicros, 1);
    lines.push(
      `| ${r.name} | ${int(r.requestsPerSecond)} | ${fixed(r.p50, 0)} | ${fixed(r.p99, 0)} | ${times(r.ratio)} | ${auth} | ${fixed(r.storeMicros, 1)} | ${perRequest(r.readsPerRequest)} / ${perRequest(r.writesPerRequest)} | ${perRequest(r.redisCommandsPerRequest)} |`,
    );
  }
  lines.push('', `Rounds redone because other processes took more than a tenth of a core: ${rows.reduce((n, r) => n + r.redone, 0)}.`, '');
  return lines;
}

function instancesTable(rows: readonly InstancesSummary[]): string[] {
  const lines = ['## Two instances on one PostgreSQL (and Redis)', ''];
  lines.push('| configuration | one instance req/s | two instances req/s (A + B) | two ÷ one (min–max) | busy cores: one / two |');
  lines.push('|---|---:|---:|---:|---:|');
  for (const r of rows) {
    lines.push(
      `| ${r.name} | ${int(r.oneRequestsPerSecond)} | ${int(r.twoRequestsPerSecond)} (${int(r.perInstance[0])} + ${int(r.perInstance[1])}) | ${times(r.ratio)} | ${fixed(r.oneBusyCores, 2)} / ${fixed(r.twoBusyCores, 2)} |`,
    );
  }
  lines.push('');
  return lines;
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
