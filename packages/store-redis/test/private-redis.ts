import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';

/**
 * A redis-server of a test's own, on a free loopback port, keeping nothing on
 * disk: for what the shared server must never undergo (filled to its memory
 * limit, kept busy). The caller stops it in afterAll.
 */
export interface PrivateRedis {
  readonly url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** Starts redis-server and resolves once it answers PING; rejects when it cannot be started (not installed, say). */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  await Promise.race([once(child, 'spawn'), once(child, 'error').then(([error]) => Promise.reject(error as Error))]);
  const url = `redis://127.0.0.1:${port}`;
  // Plain node-redis, not connectRedis: that is what some of these tests examine.
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) break; // it could not start (the port was taken since)
    const probe = createClient({ url, socket: { reconnectStrategy: false } });
    probe.on('error', () => {});
    const up = await probe
      .connect()
      .then(() => probe.ping())
      .then((reply) => reply === 'PONG', () => false);
    if (probe.isOpen) probe.destroy();
    if (up) return { url, stop };
    await sleep(50);
  }
  await stop();
  throw new Error(`redis-server on port ${port} did not start`);
}
