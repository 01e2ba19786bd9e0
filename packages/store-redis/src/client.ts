import { createClient } from 'redis';
import { ServiceUnavailableError } from '@authbench/core';

/** The client every Redis piece here shares: node-redis, RESP2, strings in and out. */
export type RedisClient = ReturnType<typeof createClient>;

export interface RedisConnectOptions {
  /**
   * How long the first connection (TCP connect, handshake, PING) may take
   * before it counts as failed; also each reconnection's TCP connect. Default 2000 ms.
   */
  readonly connectTimeoutMs?: number | undefined;
}

/**
 * Connects to `url` (`redis://…`) and resolves once the server answers PING,
 * or rejects within the connect timeout.
 *
 * Two settings make an outage visible instead of silent:
 * - no offline queue: while the connection is down a command fails at once
 *   (and becomes a 503) rather than waiting, holding the request open;
 * - reconnection with a capped backoff, forever: when the server returns the
 *   client comes back by itself, with no restart of the app.
 */
export async function connectRedis(url: string, options: RedisConnectOptions = {}): Promise<RedisClient> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 2000;
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: connectTimeoutMs,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000),
    },
  });
  // Without a listener, a dropped connection would be an uncaught 'error' event.
  client.on('error', () => {});
  reviveWhenWedged(client);
  try {
    await connectOnce(client, connectTimeoutMs);
  } catch (error) {
    client.destroy();
    throw error;
  }
  return client;
}

/**
 * The first connection must succeed: at start-up a missing server is an error,
 * not a retry loop. `connectTimeout` covers only the TCP connect; node-redis
 * then waits for its handshake (CLIENT SETINFO, HELLO, SELECT) forever on a
 * server that accepts and never answers, so the whole of it, PING included,
 * has the same deadline.
 */
async function connectOnce(client: RedisClient, timeoutMs: number): Promise<void> {
  const firstError = new Promise<never>((_, reject) => client.once('error', reject));
  const ready = (async () => {
    await Promise.race([client.connect(), firstError]);
    await client.ping();
  })();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisTimeoutError(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([ready, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * node-redis 5.9 can report itself ready on a socket that closed during its
 * handshake, and then never reconnects: every command waits forever. What
 * accepts a connection and drops it causes this (a load balancer in front of
 * Redis, a Redis at its client limit). So every time the client says it is
 * ready, it must answer a PING within a second, or it is torn down and
 * connected afresh.
 */
function reviveWhenWedged(client: RedisClient): void {
  client.on('ready', () => {
    const answered = client.ping().then(
      () => true,
      () => true, // an error is an answer: the socket is alive, or the client reconnects by itself
    );
    const timeout = new Promise<false>((resolve) => setTimeout(resolve, 1000, false).unref());
    void Promise.race([answered, timeout]).then((alive) => {
      if (alive || !client.isOpen) return;
      client.destroy();
      client.connect().catch(() => {}); // failures go to the 'error' listener; the strategy keeps retrying
    });
  });
}

/** How long a request waits for Redis before counting it as away. */
export const COMMAND_TIMEOUT_MS = 2000;

class RedisTimeoutError extends Error {
  override readonly name = 'RedisTimeoutError';
  constructor(message = 'Redis did not answer in time') {
    super(message);
  }
}

/**
 * Runs one Redis operation for a request; a connection that is down, drops
 * mid-command, or does not answer within `timeoutMs` (node-redis itself
 * would wait forever on a server that accepts and never answers), or a reply
 * that says Redis cannot serve now, becomes a 503 the client may retry.
 * Errors of the command itself (a script bug, a wrong type) stay what they are.
 */
export async function redisCall<T>(operation: () => Promise<T>, timeoutMs = COMMAND_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisTimeoutError()), timeoutMs);
  });
  try {
    return await Promise.race([operation(), deadline]);
  } catch (error) {
    throw isUnavailable(error) ? new ServiceUnavailableError('Redis', error) : error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Error replies of a Redis that answers but cannot serve now: loading its data,
 * busy in a script, out of memory, a read-only replica, a replica cut from its
 * master, a cluster in flux, too few replicas, a failing snapshot refusing
 * writes. Each passes without anything being wrong with the request. In Redis 7
 * an error raised inside a script keeps its code at the front.
 */
const UNAVAILABLE_REPLY = /^(LOADING|BUSY|OOM|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|MISCONF)\b/;

/** Whether Redis is away or cannot serve now (a 503), rather than the request being wrong (a 500). */
export function isUnavailable(error: unknown): boolean {
  return isConnectionError(error) || (error instanceof Error && UNAVAILABLE_REPLY.test(error.message));
}

export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof RedisTimeoutError) return true;
  // node-redis: ClientClosedError, ClientOfflineError, SocketClosedUnexpectedlyError,
  // ConnectionTimeoutError, ReconnectStrategyError; and the socket's own codes.
  if (/^(ClientClosed|ClientOffline|SocketClosedUnexpectedly|ConnectionTimeout|SocketTimeout|ReconnectStrategy|Disconnects)/.test(error.constructor.name)) {
    return true;
  }
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT';
}
