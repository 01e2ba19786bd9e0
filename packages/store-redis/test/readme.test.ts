import { afterAll, expect, it, vi } from 'vitest';
import { connectRedis, type RedisClient } from '../src/client.js';
import { deleteMatching } from '../src/scripts.js';
import { readmeExample } from '../../../readme-example.js';

// The README's first ```ts block: it type-checks, and prints what its comments say.
const { file, typeErrors, printed } = readmeExample(import.meta.url);

/**
 * The Redis this machine runs on its standard loopback port, as the store's own tests use, under
 * a prefix of this run's, deleted after. Without it the run is skipped with the reason printed,
 * except under CI=true, where it fails.
 */
const URL_ = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const SHOWN = URL_.replace(/\/\/[^@/]*@/, '//***@');
const PREFIX = `t:readme:${process.pid}:${Date.now().toString(36)}:`;

async function connectOrReason(): Promise<RedisClient | string> {
  try {
    return await connectRedis(URL_);
  } catch (error) {
    return (error as Error).message || String(error);
  }
}

const connected = await connectOrReason();
const unreachable = typeof connected === 'string' ? connected : null;
if (unreachable && process.env['CI'] === 'true') throw new Error(`Redis at ${SHOWN} does not answer (${unreachable}); CI needs it`);
if (unreachable) console.warn(`store-redis README example skipped: Redis at ${SHOWN} does not answer (${unreachable})`);

afterAll(async () => {
  if (typeof connected === 'string') return;
  await deleteMatching(connected, `${PREFIX}*`);
  await connected.close();
});

// A whole program of every package's source: seconds on a quiet machine, a minute or more on a loaded one.
it('type-checks', { timeout: 300_000 }, () => {
  expect(typeErrors()).toEqual([]);
});

it.skipIf(unreachable)('runs against Redis, and prints what its comments say', async () => {
  vi.stubEnv('REDIS_URL', URL_);
  vi.stubEnv('REDIS_PREFIX', PREFIX);
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await import(file);
    expect(log.mock.calls).toEqual([[['laptop', 'phone']], [2], [[]]]);
  } finally {
    log.mockRestore();
    vi.unstubAllEnvs();
  }
  expect(await (connected as RedisClient).keys(`${PREFIX}*`)).toEqual([]); // deleteUser left nothing
});
