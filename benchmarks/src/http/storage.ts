import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { createClient } from 'redis';

/**
 * Where a configuration keeps its data: the SQLite file; PostgreSQL for
 * everything; or PostgreSQL with Redis for jwt logins and sessions (and,
 * when a configuration asks, the lookup cache).
 */
export type Storage = 'sqlite' | 'postgres' | 'redis';
export const STORAGES: readonly Storage[] = ['sqlite', 'postgres', 'redis'];
export const STORAGE_LABEL: Record<Storage, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL', redis: 'PostgreSQL + Redis' };

export interface ServerUrls {
  readonly postgres: string;
  readonly redis: string;
}

/** The servers this machine runs for the tests; BENCH_DATABASE_URL / BENCH_REDIS_URL or the flags override them. */
export const DEFAULT_URLS: ServerUrls = {
  postgres: process.env['BENCH_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
  redis: process.env['BENCH_REDIS_URL'] ?? process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
};

/** Why a server cannot be used, or null when it answers. Messages of pg and node-redis never carry the password. */
export async function probePostgres(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    const { message, code } = error as Error & { code?: string };
    return `PostgreSQL does not answer: ${message || code || 'no answer'}`;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function probeRedis(url: string): Promise<string | null> {
  const client = createClient({ url, socket: { connectTimeout: 3000, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    const { message, code } = error as Error & { code?: string };
    return `Redis does not answer: ${message || code || 'no answer'}`;
  } finally {
    client.destroy();
  }
}

/** `url` with query parameters set (pg reads `options` and `application_name` from the connection string). */
export function withParams(url: string, params: Record<string, string>): string {
  const parsed = new URL(url);
  for (const [k, v] of Object.entries(params)) parsed.searchParams.set(k, v);
  return parsed.toString();
}

/** CPU time of the PostgreSQL backends serving the servers under test and of the Redis server, at one moment. */
export interface StoreCpuSample {
  /** Backend pid → CPU µs so far. */
  readonly backends: ReadonlyMap<number, number>;
  /** The Redis server's CPU µs so far (the whole server), or 0 without Redis. */
  readonly redis: number;
}

const TICK_MICROS = (() => {
  const hz = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim());
  return 1e6 / (Number.isFinite(hz) && hz > 0 ? hz : 100);
})();

/** utime + stime of a process from /proc, in µs; null once it has exited (or off Linux). */
function processCpuMicros(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MICROS;
  } catch {
    return null;
  }
}

/**
 * Samples the CPU the database servers spend for the servers under test:
 * every PostgreSQL backend whose application_name is the run's (the servers
 * connect with it; the harness's own connection does not), read from
 * /proc because they run on this machine, and Redis's own count from
 * INFO cpu (the whole server: anyone else using it during a round is counted too).
 */
export class StoreCpuMeter {
  constructor(
    private readonly admin: pg.Client | null,
    private readonly redis: ReturnType<typeof createClient> | null,
    private readonly applicationName: string,
  ) {}

  async sample(): Promise<StoreCpuSample> {
    const backends = new Map<number, number>();
    if (this.admin) {
      const { rows } = await this.admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [this.applicationName]);
      for (const { pid } of rows) {
        const cpu = processCpuMicros(pid);
        if (cpu !== null) backends.set(pid, cpu);
      }
    }
    let redis = 0;
    if (this.redis) {
      const info = await this.redis.info('cpu');
      const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
      redis = (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
    }
    return { backends, redis };
  }
}

/**
 * CPU spent between two samples. A backend that appeared in between counts
 * from zero (its start-up included); one that exited in between is lost,
 * which the pool's 10 s idle timeout makes rare: rounds are seconds apart.
 */
export function storeCpuBetween(before: StoreCpuSample, after: StoreCpuSample): number {
  let micros = after.redis - before.redis;
  for (const [pid, cpu] of after.backends) micros += cpu - (before.backends.get(pid) ?? 0);
  return Math.max(0, micros);
}
