import { createServer, type AddressInfo, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from '@authbench/core';
import { openSqliteStore } from '@authbench/store-sqlite';
import { connectRedis, isConnectionError, isUnavailable, type RedisClient } from '../src/client.js';
import { redisJwtStore } from '../src/jwt.js';
import { redisSessionStore } from '../src/sessions.js';
import { redisThrottleStore } from '../src/throttle.js';
import { startPrivateRedis, type PrivateRedis } from './private-redis.js';

/**
 * How the client meets a server that cannot serve. The replies come from a
 * redis-server of this file's own (a free port, nothing on disk, stopped in
 * afterAll), filled to its memory limit and kept busy, which the shared one
 * must never be. Without redis-server those tests are skipped with the reason
 * printed, except under CI=true, where it fails the run.
 */
async function startOrReason(): Promise<PrivateRedis | string> {
  try {
    return await startPrivateRedis();
  } catch (error) {
    return (error as Error).message || String(error);
  }
}

const started = await startOrReason();
const noServer = typeof started === 'string' ? started : null;
if (noServer && process.env['CI'] === 'true') throw new Error(`a private redis-server cannot be started (${noServer}); CI needs it`);
if (noServer) console.warn(`store-redis client tests on a private server skipped: redis-server cannot be started (${noServer})`);
const server = typeof started === 'string' ? null : started;

const clients: RedisClient[] = [];
afterAll(async () => {
  for (const client of clients) client.destroy();
  await server?.stop();
});

async function connect(): Promise<RedisClient> {
  const client = await connectRedis(server!.url);
  clients.push(client);
  return client;
}

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('connectRedis', () => {
  it('fails within its timeout on a server that accepts and never answers, and closes the connection', async () => {
    // What a wrong port, a proxy with no backend or a hung Redis looks like: node-redis's own
    // connect timeout ends at the TCP connect, and its handshake would wait forever.
    const accepted: Socket[] = [];
    const silent = createServer((socket) => {
      accepted.push(socket);
      socket.on('data', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const began = performance.now();
      const error = await connectRedis(`redis://127.0.0.1:${port}`, { connectTimeoutMs: 500 }).then(
        () => null,
        (reason: unknown) => reason,
      );
      const took = performance.now() - began;
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toBe('Redis did not answer within 500 ms');
      // The same kind of failure as a refused connection: the demo's start-up reports it in one line.
      expect(isConnectionError(error)).toBe(true);
      expect(took).toBeGreaterThanOrEqual(490);
      expect(took).toBeLessThan(5000);

      // The client was destroyed: its socket closes and it does not come back.
      await sleep(300);
      expect(accepted).toHaveLength(1);
      expect(accepted[0]!.readableEnded || accepted[0]!.destroyed).toBe(true);
    } finally {
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe('isUnavailable', () => {
  it('reads as "cannot serve now" the replies of a Redis loading, busy, full, read-only or cut off, and nothing else', () => {
    const replies: [string, boolean][] = [
      ['LOADING Redis is loading the dataset in memory', true],
      ['BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.', true],
      ["OOM command not allowed when used memory > 'maxmemory'. script: 0123, on @user_script:4.", true],
      ["READONLY You can't write against a read only replica.", true],
      ['MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to \'no\'.', true],
      ['TRYAGAIN Multiple keys request during rehashing of slot', true],
      ['CLUSTERDOWN The cluster is down', true],
      ['NOREPLICAS Not enough good replicas to write.', true],
      ['MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.', true],
      // The request's own faults stay 500s.
      ['WRONGTYPE Operation against a key holding the wrong kind of value', false],
      ['ERR authbench: login id already stored', false],
      ['NOSCRIPT No matching script. Please use EVAL.', false],
      ['ERR unknown command', false],
    ];
    for (const [message, expected] of replies) expect([message, isUnavailable(new Error(message))]).toEqual([message, expected]);
  });
});

describe.skipIf(server === null)('a Redis that answers but cannot serve is a 503, as one that does not answer', () => {
  const user = { username: 'alice', email: '', passwordHash: 'x' };

  it('out of memory: jwt, session and throttle writes are 503s that write nothing, and go through once there is room', async () => {
    const client = await connect();
    const users = openSqliteStore(':memory:').users;
    const { id } = await users.create(user);
    const jwt = redisJwtStore(client, { prefix: 'oom:' });
    const sessions = redisSessionStore(client, users, { prefix: 'oom:' });
    const throttle = redisThrottleStore(client, { prefix: 'oom:' });
    const now = Date.now();
    const writes: [string, () => Promise<unknown>][] = [
      [
        'jwt createLogin',
        () =>
          jwt.createLogin(
            { id: 'L1', userId: id, created: iso(now), client: 'ua', expiresAt: iso(now + HOUR), lastRefreshed: null, revokedAt: null },
            { jti: 'L1-1', loginId: 'L1', userId: id, createdAt: iso(now), expiresAt: iso(now + HOUR) },
          ),
      ],
      ['session set', () => sessions.set({ sid: 's1', userId: id, data: '{}', expires: iso(now + HOUR), created: iso(now), client: 'ua', lastUsed: iso(now) })],
      ['throttle recordFailure', () => throttle.recordFailure('u:alice', now, 900)],
    ];

    // Any used memory is over a limit of one byte; the default policy, noeviction, refuses writes.
    await client.configSet('maxmemory', '1');
    try {
      for (const [what, write] of writes) {
        const error = await write().then(() => null, (reason: unknown) => reason);
        expect(error, what).toBeInstanceOf(ServiceUnavailableError);
        expect(((error as ServiceUnavailableError).cause as Error).message, what).toMatch(/^OOM /);
      }
      // A script refused at its first write has written nothing: no half-stored login or session.
      expect(await client.dbSize()).toBe(0);
    } finally {
      await client.configSet('maxmemory', '0');
    }

    for (const [, write] of writes) await write();
    expect(await jwt.isLoginLive('L1')).toBe(true);
    expect((await sessions.listByUser(id, iso(now))).map((s) => s.sid)).toEqual(['s1']);
    expect(await throttle.get(['u:alice'], now)).toEqual([{ failures: 1, lastFailure: now }]);
  });

  it('busy in a script: the hot-path reads are 503s, and answer again once it ends', async () => {
    // Every client connects first: a handshake during the busy script would be refused too.
    const client = await connect();
    const blocker = await connect();
    const admin = await connect();
    const users = openSqliteStore(':memory:').users;
    const { id } = await users.create(user);
    const jwt = redisJwtStore(client, { prefix: 'busy:' });
    const sessions = redisSessionStore(client, users, { prefix: 'busy:' });
    const throttle = redisThrottleStore(client, { prefix: 'busy:' });
    const now = Date.now();
    await jwt.createLogin(
      { id: 'L1', userId: id, created: iso(now), client: 'ua', expiresAt: iso(now + HOUR), lastRefreshed: null, revokedAt: null },
      { jti: 'L1-1', loginId: 'L1', userId: id, createdAt: iso(now), expiresAt: iso(now + HOUR) },
    );
    await sessions.set({ sid: 's1', userId: id, data: '{}', expires: iso(now + HOUR), created: iso(now), client: 'ua', lastUsed: iso(now) });

    // A script that runs until killed: past busy-reply-threshold, every other command is answered BUSY.
    await admin.configSet('busy-reply-threshold', '100');
    const running = blocker.eval('while true do end', { keys: [], arguments: [] }).then(
      () => null,
      (reason: unknown) => reason,
    );
    await sleep(300);
    try {
      await expect(jwt.isLoginLive('L1')).rejects.toBeInstanceOf(ServiceUnavailableError);
      await expect(sessions.get('s1', iso(now))).rejects.toBeInstanceOf(ServiceUnavailableError);
      await expect(throttle.get(['u:alice'], now)).rejects.toBeInstanceOf(ServiceUnavailableError);
    } finally {
      await admin.scriptKill();
    }
    expect(String(await running)).toMatch(/killed/i);
    expect(await jwt.isLoginLive('L1')).toBe(true);
    expect((await sessions.get('s1', iso(now)))?.user?.username).toBe('alice');
  });
});
