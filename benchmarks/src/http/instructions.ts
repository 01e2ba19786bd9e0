/**
 * A cost that repeats: instructions per request, counted by valgrind's
 * callgrind in the server process over a fixed number of requests.
 *
 * req/s and CPU time on a shared 2-core machine move by tenths between runs;
 * the number of instructions a process executes for the same inputs does
 * not depend on what else the machine does. Each server (the configuration,
 * and the no-auth baseline measured the same way in the same run) runs under
 * `valgrind --tool=callgrind --instr-atstart=no`, so start-up is not counted;
 * the harness, not under valgrind, sends it a fixed warm-up and then a fixed
 * number of requests, one at a time on one keep-alive connection, user i's
 * credential as the i-th (the same users in the same order every run), and
 * switches callgrind's instrumentation on just before the measured requests
 * and dumps its counts just after. Instructions per request minus the
 * baseline's is what the credential check executes.
 *
 * V8 still optimises as it always does (the figure is the optimised code's);
 * only its inputs are fixed: the same warm-up, the same requests, its hash
 * and random seeds, and what would otherwise depend on the clock or on
 * thread timing (NODE_OPTIONS says which, and why).
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { APP_ENTRY, baselineEnv, type HttpConfig } from './configs.js';
import type { Headers } from './load.js';
import { startServer, type ServerProcess } from './server-process.js';
import { expectResponse } from './suite.js';
import type { Workspace } from './workspace.js';

/** One server's count. */
export interface InstructionSample {
  readonly name: string;
  readonly kind: 'baseline' | 'scheme' | 'peer';
  readonly family: HttpConfig['family'] | 'none';
  /** Requests counted, after `warmup` requests that were not. */
  readonly requests: number;
  readonly warmup: number;
  /** Distinct credentials, presented in user order, round and round. */
  readonly users: number;
  /** Instructions (callgrind's Ir) the server process executed over the counted requests, every thread. */
  readonly instructions: number;
  readonly perRequest: number;
  /** Instructions per request in each consecutive slice of the counted requests, in order. */
  readonly slices: readonly number[];
  /** Wall-clock seconds for this server: start under valgrind, warm-up, counted requests, stop. */
  readonly seconds: number;
}

export interface InstructionOptions {
  readonly workspace: Workspace;
  /** Configurations to count, each against the baseline counted first. */
  readonly configs: readonly HttpConfig[];
  readonly requests: number;
  readonly warmup: number;
  readonly serverCore: number | null;
  readonly progress: (line: string) => void;
}

/** The configurations `--instructions` counts unless `--only` names others. */
export const INSTRUCTION_CONFIGS: readonly string[] = ['token', 'knox', 'jwt HS256, stateless', 'jwt HS256, user check', 'session'];

/**
 * V8 options for the counted servers. Without them the same server's count
 * moved by 10–25 % from one slice of requests to the next and between runs:
 * V8 schedules garbage collection by the clock (its memory reducer collects
 * when allocation per millisecond drops, which under valgrind's 30–50×
 * slowdown it always seems to, and heap growth follows measured speeds), and
 * background threads finish compiling and marking whenever the scheduler
 * lets them. `--predictable-gc-schedule` fixes heap growth and turns those
 * clock-driven collections off, so collections come at the same points of
 * the same allocations; `--single-threaded` runs compilation and GC on the
 * main thread, so optimised code is installed at the same request every run.
 * Old-generation (mark-compact) collections remain: natively about one per
 * 1,000 requests here, each worth some 50,000 instructions per request of a
 * 2,000-request count, so whether one falls inside the count or not would
 * outweigh a scheme's whole cost. `--initial-old-space-size=1024` lets the
 * old generation grow to 1 GiB before its first one (the servers promote
 * about 11 kB a request: no mark-compact within 2 × 20,000 requests), so the
 * count is what a request executes plus its share of young-generation
 * scavenges, and leaves out the old generation's periodic collections.
 * V8 still optimises. Seeds fix hashing and Math.random.
 */
export const NODE_OPTIONS = ['--hash-seed=1', '--random-seed=1', '--predictable-gc-schedule', '--single-threaded', '--initial-old-space-size=1024'];

const ROUTE = '/api/me';
const exec = promisify(execFile);

/** Why the measure cannot run here, or null when valgrind and callgrind_control are installed. */
export function callgrindMissing(): string | null {
  const works = (command: string, args: string[]) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;
  if (!works('valgrind', ['--version'])) return 'valgrind is not installed (apt-get install valgrind)';
  if (!works('callgrind_control', ['-h'])) return 'callgrind_control is not installed (it comes with valgrind)';
  return null;
}

/** Whether a configuration can be counted: a Node server on SQLite (not a Django peer, whose work is in PostgreSQL neither). */
export const countable = (c: HttpConfig) => c.start === undefined && c.storage === 'sqlite';

/** Counts the baseline, then each configuration, one server at a time. */
export async function measureInstructions(options: InstructionOptions): Promise<InstructionSample[]> {
  const { workspace: w } = options;
  const dir = mkdtempSync(join(w.dir, 'callgrind-'));
  try {
    const total = options.configs.length + 1;
    const samples: InstructionSample[] = [];
    options.progress(`[instructions 1/${total}] no auth (baseline)`);
    samples.push(
      await count(options, dir, {
        name: 'no auth (baseline)',
        kind: 'baseline',
        family: 'none',
        entry: APP_ENTRY,
        env: baselineEnv(w),
        headers: [{}],
        username: w.users[0]!.username,
      }),
    );
    for (const [i, config] of options.configs.entries()) {
      options.progress(`[instructions ${i + 2}/${total}] ${config.name}`);
      if (!countable(config)) throw new Error(`instructions: ${config.name} is not a Node server on SQLite`);
      // The credentials come from the same configuration running normally (logins under valgrind take minutes);
      // every scheme's credential lives in the shared database or is signed with the workspace's secrets.
      const plain = await startServer(config.name, config.entry, config.env(w), options.serverCore);
      let headers: Headers[];
      try {
        headers = await config.credentials(plain, w);
      } finally {
        await plain.stop();
      }
      samples.push(
        await count(options, dir, { name: config.name, kind: config.kind, family: config.family, entry: config.entry, env: config.env(w), headers }),
      );
    }
    return samples;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Subject {
  readonly name: string;
  readonly kind: InstructionSample['kind'];
  readonly family: InstructionSample['family'];
  readonly entry: string;
  readonly env: Record<string, string>;
  readonly headers: readonly Headers[];
  /** The baseline answers every request as this user. */
  readonly username?: string;
}

async function count(options: InstructionOptions, parent: string, subject: Subject): Promise<InstructionSample> {
  const { workspace: w, requests, warmup } = options;
  const t0 = performance.now();
  const dir = mkdtempSync(join(parent, 'server-'));
  const outFile = join(dir, 'callgrind.out');
  const slices: number[] = [];
  const server = await startServer(subject.name, subject.entry, subject.env, options.serverCore, {
    wrapper: ['valgrind', '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${outFile}`, '--dump-instr=no', '--dump-line=no'],
    nodeOptions: NODE_OPTIONS,
    startTimeoutMs: 300_000,
  });
  try {
    // Checked before counting, as the HTTP rounds are: the first and last credential get their own user.
    const last = subject.headers.length - 1;
    await expectResponse(server, subject.headers[0]!, 200, subject.username ?? w.users[0]!.username);
    await expectResponse(server, subject.headers[last]!, 200, subject.username ?? w.users[last]!.username);
    const connection = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await send(server, connection, subject.headers, warmup);
      await callgrind(server, '--instr=on');
      for (const size of sliceSizes(requests)) {
        await callgrind(server, '--zero');
        await send(server, connection, subject.headers, size);
        await callgrind(server, '--dump=counted');
        slices.push(readTotal(lastDump(dir, 'callgrind.out')) / size);
      }
      await callgrind(server, '--instr=off');
    } finally {
      connection.destroy();
    }
    const instructions = slices.reduce((sum, perRequest, i) => sum + perRequest * sliceSizes(requests)[i]!, 0);
    await server.stop();
    return {
      name: subject.name,
      kind: subject.kind,
      family: subject.family,
      requests,
      warmup,
      users: subject.headers.length,
      instructions,
      perRequest: instructions / requests,
      slices,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await server.stop();
  }
}

/** The counted requests in SLICES consecutive slices (the last takes the remainder). */
const SLICES = 5;
export function sliceSizes(requests: number): number[] {
  const slices = Math.min(SLICES, requests);
  const size = Math.floor(requests / slices);
  return Array.from({ length: slices }, (_, i) => (i === slices - 1 ? requests - size * (slices - 1) : size));
}

/** `count` GETs, one after the other on one keep-alive connection, credential i % n as the i-th; any other status than 200 stops the run. */
async function send(server: ServerProcess, agent: Agent, headers: readonly Headers[], count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: ROUTE, agent, headers: headers[i % headers.length] }, (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      });
      req.once('error', reject);
      req.end();
    });
    if (status !== 200) throw new Error(`${server.name}: request ${i + 1} answered ${status}, expected 200`);
  }
}

/** One callgrind_control command to the server under valgrind (through vgdb; it waits for callgrind's answer). */
async function callgrind(server: ServerProcess, command: string): Promise<void> {
  await exec('callgrind_control', [command, String(server.pid)], { timeout: 60_000 });
}

/** The newest numbered dump (`callgrind.out.1`, …) callgrind wrote in `dir`. */
function lastDump(dir: string, base: string): string {
  const dumps = readdirSync(dir)
    .map((f) => ({ f, n: Number(f.slice(base.length + 1)) }))
    .filter(({ f, n }) => f.startsWith(`${base}.`) && Number.isInteger(n) && n > 0)
    .sort((a, b) => b.n - a.n);
  if (!dumps.length) throw new Error(`instructions: callgrind wrote no dump in ${dir}`);
  return join(dir, dumps[0]!.f);
}

/** The total of callgrind's first event (Ir, the only one collected) in a dump. */
export function readTotal(file: string): number {
  return parseTotal(readFileSync(file, 'utf8'));
}

export function parseTotal(text: string): number {
  const events = /^events:[ \t]*(.*)$/m.exec(text)?.[1]?.trim();
  if (events !== 'Ir') throw new Error(`instructions: expected a dump of Ir, got events "${events ?? ''}"`);
  const total = /^totals:\s*(\d+)/m.exec(text) ?? /^summary:\s*(\d+)/m.exec(text);
  if (!total) throw new Error('instructions: the dump has no totals line');
  return Number(total[1]);
}

/** Per configuration: its instructions per request, the auth's own (minus the baseline's), and the ratio. */
export interface InstructionRow {
  readonly name: string;
  readonly kind: InstructionSample['kind'];
  readonly perRequest: number;
  readonly authPerRequest: number;
  readonly ratio: number;
}

export interface InstructionsSummary {
  readonly requests: number;
  readonly warmup: number;
  readonly users: number;
  /** Wall-clock seconds for the whole measure. */
  readonly seconds: number;
  readonly rows: readonly InstructionRow[];
}

export function summarizeInstructions(samples: readonly InstructionSample[], seconds: number): InstructionsSummary | undefined {
  const baseline = samples.find((s) => s.kind === 'baseline');
  if (!baseline) return undefined;
  return {
    requests: baseline.requests,
    warmup: baseline.warmup,
    users: Math.max(...samples.map((s) => s.users)),
    seconds,
    rows: samples.map((s) => ({
      name: s.name,
      kind: s.kind,
      perRequest: s.perRequest,
      authPerRequest: s.perRequest - baseline.perRequest,
      ratio: s.perRequest / baseline.perRequest,
    })),
  };
}
