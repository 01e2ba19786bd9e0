import { machineBusyMicros, ownCpuMicros, waitForQuiet } from '../machine.js';
import { APP_ENTRY, baselineEnv, CONFIGS, type HttpConfig } from './configs.js';
import { runLoad, type Headers } from './load.js';
import { startServer, type ServerProcess } from './server-process.js';
import { storeCpuBetween, type Storage } from './storage.js';
import type { Workspace } from './workspace.js';

/** One timed round against one server. */
export interface RoundSample {
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly responses: number;
  /** The server process's CPU time per response, µs (user + system, every thread). */
  readonly cpuMicrosPerRequest: number;
  /** Responses the server finished during the round, by its own count (absent in older results). */
  readonly served?: number;
  readonly reads: number;
  readonly writes: number;
  /** Commands the server sent to Redis (absent in results from before the storage variants). */
  readonly redisCommands?: number;
  /**
   * CPU the PostgreSQL backends serving the server and the Redis server used
   * during the round, µs per response; 0 on SQLite, whose work is in the
   * server's own CPU.
   */
  readonly storeMicrosPerRequest?: number;
  /** CPU used by every other process during the round, in cores. */
  readonly otherCores: number;
  /** How many times the round was redone because other processes were busy. */
  readonly redone: number;
}

export interface Pair {
  readonly baseline: RoundSample;
  readonly subject: RoundSample;
}

export interface RunResult {
  readonly name: string;
  readonly kind: 'scheme' | 'peer';
  readonly family: HttpConfig['family'];
  /** Where its data is, and so which baseline it was paired with (absent: SQLite). */
  readonly storage?: Storage;
  /** Refused credentials only: what spraying guesses costs the server. */
  readonly rejected: boolean;
  readonly status: number;
  readonly pairs: readonly Pair[];
}

/** What every HTTP run takes: rounds, their length and load, and which configurations. */
export interface RunOptions {
  readonly workspace: Workspace;
  readonly pairs: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly connections: number;
  /** Wait for, and redo rounds disturbed by, other processes using more than this many cores; null skips the checks. */
  readonly quietLimitCores: number | null;
  /** Configuration names to run; all when empty. */
  readonly only: readonly string[];
  /** The storages whose configurations run. */
  readonly storages: readonly Storage[];
  readonly progress: (line: string) => void;
}

export interface SuiteOptions extends RunOptions {
  readonly serverCore: number | null;
}

const ROUTE = '/api/me';
const MAX_REDO = 3;

/**
 * Every configuration paired with the no-auth baseline: rounds alternate
 * between the two servers (which goes first alternates too), so drift in the
 * machine's speed hits both halves of a pair alike.
 */
export async function runHttpSuite(options: SuiteOptions): Promise<RunResult[]> {
  const { workspace: w } = options;
  const configs = selectConfigs(options.only, options.storages);
  const results: RunResult[] = [];
  let index = 0;
  // One baseline per storage, on that storage, so that a pair's two servers differ in the credential check only.
  for (const storage of options.storages) {
    const group = configs.filter((c) => c.storage === storage);
    if (group.length === 0) continue;
    const baseline = await startServer(`baseline (${storage})`, APP_ENTRY, baselineEnv(w, storage), options.serverCore);
    try {
      index = await runGroup(options, baseline, group, index, configs.length, results);
    } finally {
      await baseline.stop();
    }
  }
  return results;
}

/**
 * The configurations `--only` and `--storage` select, in the suite's order,
 * leaving out those whose requirement (`requires`) is not installed:
 * `unavailableConfigs` names them.
 */
export function selectConfigs(only: readonly string[], storages: readonly Storage[]): HttpConfig[] {
  return namedConfigs(only, storages).filter((c) => c.requires?.available() !== false);
}

/** What `--only` and `--storage` select but cannot run here, because what it `requires` is not installed. */
export function unavailableConfigs(only: readonly string[], storages: readonly Storage[]): HttpConfig[] {
  return namedConfigs(only, storages).filter((c) => c.requires?.available() === false);
}

function namedConfigs(only: readonly string[], storages: readonly Storage[]): HttpConfig[] {
  const named = only.length ? CONFIGS.filter((c) => only.includes(c.name)) : CONFIGS;
  if (named.length === 0) throw new Error(`--only matched no configuration; there are: ${CONFIGS.map((c) => c.name).join('; ')}`);
  return named.filter((c) => storages.includes(c.storage));
}

async function runGroup(
  options: SuiteOptions,
  baseline: ServerProcess,
  configs: readonly HttpConfig[],
  index: number,
  total: number,
  results: RunResult[],
): Promise<number> {
  const { workspace: w } = options;
  {
    const baselineHeaders: Headers[] = [{}];
    await expectResponse(baseline, {}, 200, w.users[0]!.username);
    await warmUp(baseline, baselineHeaders, options);
    await settle([baseline]);
    for (const config of configs) {
      index++;
      const server = config.start ? await config.start(w, options.serverCore) : await startServer(config.name, config.entry, config.env(w), options.serverCore);
      try {
        const valid = await config.credentials(server, w);
        const forged = valid.map((h, i) => config.forge(h, i));
        // A benchmark of error pages is worthless: check both answers before timing.
        for (const i of [0, valid.length - 1]) {
          await expectResponse(server, valid[i]!, 200, w.users[i]!.username);
          await expectResponse(server, forged[i]!, config.rejectedStatus);
        }
        const variants = [{ rejected: false, headers: valid, status: 200 }];
        if (config.timeRejected) variants.push({ rejected: true, headers: forged, status: config.rejectedStatus });
        for (const variant of variants) {
          const name = variant.rejected ? `${config.name}, refused credential` : config.name;
          if (options.quietLimitCores !== null) await waitForQuiet(options.quietLimitCores, 30_000);
          await warmUp(server, variant.headers, options);
          const pairs: Pair[] = [];
          for (let p = 0; p < options.pairs; p++) {
            options.progress(`[${index}/${total}] ${name}: pair ${p + 1}/${options.pairs}`);
            const remote = config.storage !== 'sqlite';
            // Both servers idle first: requests in flight when the last burst stopped are still being served.
            const b = async () => (await settle([server, baseline]), round(baseline, baselineHeaders, 200, options, remote));
            const s = async () => (await settle([server, baseline]), round(server, variant.headers, variant.status, options, remote));
            if (p % 2 === 0) {
              const baselineSample = await b();
              pairs.push({ baseline: baselineSample, subject: await s() });
            } else {
              const subject = await s();
              pairs.push({ subject, baseline: await b() });
            }
          }
          results.push({ name, kind: config.kind, family: config.family, storage: config.storage, rejected: variant.rejected, status: variant.status, pairs });
        }
      } finally {
        await server.stop();
      }
    }
  }
  return index;
}

export async function warmUp(server: ServerProcess, headers: readonly Headers[], options: SuiteOptions): Promise<void> {
  const load = await runLoad({ port: server.port, path: ROUTE, headers, connections: options.connections, seconds: options.warmupSeconds });
  if (load.errors > 0) throw new Error(`${server.name}: ${load.errors} connection errors during warm-up`);
}

/**
 * Waits until each server has answered what the last burst left in flight
 * (autocannon stops counting at the deadline, not the server serving): one
 * request queued behind them. Negligible after a 4 s round; after a --quick
 * round of a slow server, that backlog can outlast the next round.
 */
export async function settle(servers: readonly ServerProcess[]): Promise<void> {
  await Promise.all(servers.map(async (s) => void (await (await fetch(`http://127.0.0.1:${s.port}${ROUTE}`)).arrayBuffer())));
}

export async function expectResponse(server: ServerProcess, headers: Headers, status: number, username?: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${server.port}${ROUTE}`, { headers });
  const text = await response.text(); // a peer may refuse in plain text (passport: "Unauthorized")
  const body = response.headers.get('content-type')?.startsWith('application/json') ? (JSON.parse(text) as { username?: string }) : {};
  if (response.status !== status || (username !== undefined && body.username !== username)) {
    throw new Error(`${server.name}: expected ${status}${username ? ` for ${username}` : ''}, got ${response.status} ${text.slice(0, 200)}`);
  }
}

/**
 * One timed burst, redone (up to three times) when other processes took more
 * than the quiet limit. With `remote`, the PostgreSQL backends' and Redis's
 * CPU is measured too, and is not counted as other processes'.
 */
async function round(server: ServerProcess, headers: readonly Headers[], status: number, options: SuiteOptions, remote = false): Promise<RoundSample> {
  for (let redone = 0; ; redone++) {
    const before = await server.sample();
    const store0 = remote ? await options.workspace.sampleStore() : null;
    const busy0 = machineBusyMicros();
    const own0 = ownCpuMicros();
    const t0 = performance.now();
    const load = await runLoad({ port: server.port, path: ROUTE, headers, connections: options.connections, seconds: options.seconds });
    const elapsedMicros = (performance.now() - t0) * 1000;
    const busy1 = machineBusyMicros();
    const own1 = ownCpuMicros();
    const storeCpu = store0 ? storeCpuBetween(store0, await options.workspace.sampleStore()) : 0;
    const after = await server.sample();
    const serverCpu = after.cpuMicros - before.cpuMicros;
    const others = Math.max(0, (busy1 - busy0 - (own1 - own0) - serverCpu - storeCpu) / elapsedMicros);

    const wrong = Object.entries(load.statuses).filter(([code]) => Number(code) !== status);
    if (load.errors > 0 || load.timeouts > 0 || wrong.length > 0 || load.responses === 0) {
      throw new Error(
        `${server.name}: expected only ${status} responses, got ${JSON.stringify(load.statuses)}, ${load.errors} errors, ${load.timeouts} timeouts`,
      );
    }
    if (options.quietLimitCores !== null && others > options.quietLimitCores && redone < MAX_REDO) continue;
    return {
      requestsPerSecond: load.requestsPerSecond,
      p50: load.p50,
      p99: load.p99,
      responses: load.responses,
      cpuMicrosPerRequest: serverCpu / load.responses,
      served: after.served - before.served,
      reads: after.reads - before.reads,
      writes: after.writes - before.writes,
      redisCommands: after.redisCommands - before.redisCommands,
      storeMicrosPerRequest: storeCpu / load.responses,
      otherCores: others,
      redone,
    };
  }
}
