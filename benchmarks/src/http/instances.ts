import { machineBusyMicros, waitForQuiet } from '../machine.js';
import { CONFIGS, TWO_INSTANCE_CONFIGS } from './configs.js';
import { runLoad, type Headers, type LoadResult } from './load.js';
import { startServer, type ServerProcess } from './server-process.js';
import type { Storage } from './storage.js';
import { expectResponse, settle, type RunOptions } from './suite.js';

/** One instance's share of a round. */
export interface InstanceSample {
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly responses: number;
}

/** One instance alone, then both together (or the other way round), seconds apart. */
export interface InstancesPair {
  readonly one: InstanceSample;
  readonly two: readonly [InstanceSample, InstanceSample];
  /** Cores the whole machine kept busy during each round: how close to saturation it was. */
  readonly oneBusyCores: number;
  readonly twoBusyCores: number;
}

export interface InstancesResult {
  readonly name: string;
  readonly storage: Storage;
  readonly pairs: readonly InstancesPair[];
}

/** `connections` is split evenly across the two instances when both are loaded. */
export interface InstancesOptions extends RunOptions {
  /** The cores the app processes may use (a taskset list), or null when not pinned. */
  readonly cores: string | null;
}

const ROUTE = '/api/me';

/**
 * Two app processes on the same PostgreSQL (and Redis) against one of them
 * alone: the load generator drives one instance with every connection, then
 * both with half each, alternating which comes first. Instance A serves the
 * one-instance rounds too, so the two arms differ only in the second process.
 */
export async function runTwoInstances(options: InstancesOptions): Promise<InstancesResult[]> {
  const { workspace: w } = options;
  const configs = CONFIGS.filter(
    (c) => TWO_INSTANCE_CONFIGS.includes(c.name) && options.storages.includes(c.storage) && (options.only.length === 0 || options.only.includes(c.name)),
  );
  const results: InstancesResult[] = [];
  for (const [k, config] of configs.entries()) {
    const env = config.env(w);
    const servers: ServerProcess[] = [];
    try {
      servers.push(await startServer(`${config.name} (instance A)`, config.entry, env, options.cores));
      servers.push(await startServer(`${config.name} (instance B)`, config.entry, env, options.cores));
      const [a, b] = servers as [ServerProcess, ServerProcess];
      // Credentials issued by A; B honouring them shows the instances share their storage.
      const headers = await config.credentials(a, w);
      const last = headers.length - 1;
      await expectResponse(a, headers[0]!, 200, w.users[0]!.username);
      await expectResponse(b, headers[0]!, 200, w.users[0]!.username);
      await expectResponse(b, headers[last]!, 200, w.users[last]!.username);
      if (options.quietLimitCores !== null) await waitForQuiet(options.quietLimitCores, 30_000);
      const half = Math.max(1, Math.floor(options.connections / 2));
      await Promise.all([a, b].map((s) => load(s, headers, half, options.warmupSeconds)));

      const pairs: InstancesPair[] = [];
      for (let p = 0; p < options.pairs; p++) {
        options.progress(`[two instances ${k + 1}/${configs.length}] ${config.name}: pair ${p + 1}/${options.pairs}`);
        // Each arm starts with both instances idle (see settle): A serves both arms, back to back.
        const one = async () => (await settle([a, b]), measured(() => Promise.all([load(a, headers, options.connections, options.seconds)])));
        const two = async () => (
          await settle([a, b]), measured(() => Promise.all([load(a, headers, half, options.seconds), load(b, headers, options.connections - half, options.seconds)]))
        );
        let single: Awaited<ReturnType<typeof one>>;
        let double: Awaited<ReturnType<typeof two>>;
        if (p % 2 === 0) {
          single = await one();
          double = await two();
        } else {
          double = await two();
          single = await one();
        }
        pairs.push({ one: single.samples[0]!, two: [double.samples[0]!, double.samples[1]!], oneBusyCores: single.busyCores, twoBusyCores: double.busyCores });
      }
      results.push({ name: config.name, storage: config.storage, pairs });
    } finally {
      for (const server of servers) await server.stop();
    }
  }
  return results;
}

async function measured<T extends LoadResult[]>(run: () => Promise<T>): Promise<{ samples: InstanceSample[]; busyCores: number }> {
  const busy0 = machineBusyMicros();
  const t0 = performance.now();
  const loads = await run();
  const busyCores = (machineBusyMicros() - busy0) / ((performance.now() - t0) * 1000);
  return {
    samples: loads.map((l) => ({ requestsPerSecond: l.requestsPerSecond, p50: l.p50, p99: l.p99, responses: l.responses })),
    busyCores,
  };
}

/** One burst at one instance; anything but 200s stops the run, as in the suite. */
async function load(server: ServerProcess, headers: readonly Headers[], connections: number, seconds: number): Promise<LoadResult> {
  const result = await runLoad({ port: server.port, path: ROUTE, headers, connections, seconds });
  const wrong = Object.keys(result.statuses).filter((code) => code !== '200');
  if (result.errors > 0 || result.timeouts > 0 || wrong.length > 0 || result.responses === 0) {
    throw new Error(`${server.name}: expected only 200 responses, got ${JSON.stringify(result.statuses)}, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return result;
}
