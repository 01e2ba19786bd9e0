import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus, platform, release, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';

/** What the report says about where it ran. */
export function describeMachine(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const probe = new Database(':memory:');
  const sqlite = (probe.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  probe.close();
  const memory = Math.round(totalmem() / 2 ** 30);
  return `${cpus().length} cores (${model}), ${memory} GiB, ${platform()} ${release()}, Node ${process.version}, SQLite ${sqlite}`;
}

/** CPU pinning: the server on one core, this process (the load generator) on another. */
export interface Pinning {
  /** The core for servers, or null when pinning is not possible here. */
  readonly serverCore: number | null;
  readonly description: string;
}

/**
 * Pins this process to core 1 and reserves core 0 for the servers, when
 * `taskset` exists and there are at least two cores. Without pinning, the
 * server and the load generator compete for the same cores and the figures
 * say less.
 */
export function pinCores(): Pinning {
  const cores = availableParallelism();
  const hasTaskset = platform() === 'linux' && spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
  if (!hasTaskset || cores < 2) {
    return { serverCore: null, description: `not pinned (${hasTaskset ? 'one core' : 'no taskset'}): server and load generator share ${cores} core(s)` };
  }
  const pinned = spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' }).status === 0;
  if (!pinned) return { serverCore: null, description: 'not pinned: taskset could not set this process' };
  return { serverCore: 0, description: 'server pinned to core 0 and load generator to core 1 (taskset)' };
}

/** Busy CPU time of the whole machine so far, in µs (every core, every process). */
export function machineBusyMicros(): number {
  let ms = 0;
  for (const cpu of cpus()) ms += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq;
  return ms * 1000;
}

/** This process's own CPU time so far, in µs. */
export function ownCpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * Waits until processes other than this one use under `limitCores` of CPU
 * over a one-second sample, for at most `maxWaitMs`.
 * @returns the last sample's load from other processes, in cores.
 */
export async function waitForQuiet(limitCores: number, maxWaitMs: number): Promise<number> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const busy0 = machineBusyMicros();
    const own0 = ownCpuMicros();
    const t0 = performance.now();
    await sleep(1000);
    const elapsedMicros = (performance.now() - t0) * 1000;
    const others = (machineBusyMicros() - busy0 - (ownCpuMicros() - own0)) / elapsedMicros;
    if (others <= limitCores || Date.now() >= deadline) return Math.max(0, others);
  }
}
