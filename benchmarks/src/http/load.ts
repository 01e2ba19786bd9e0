import autocannon from 'autocannon';

/** Request headers for one request; the load rotates through many, as many clients would send. */
export type Headers = Readonly<Record<string, string>>;

export interface LoadResult {
  readonly responses: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  /** Latency percentiles in ms (autocannon's whole-millisecond histogram). */
  readonly p50: number;
  readonly p99: number;
  /** Responses by status code. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly errors: number;
  readonly timeouts: number;
}

export interface LoadOptions {
  readonly port: number;
  readonly path: string;
  readonly headers: readonly Headers[];
  readonly connections: number;
  readonly seconds: number;
}

/** One timed burst of GETs at `connections` concurrent connections, credentials taken in turn. */
export async function runLoad({ port, path, headers, connections, seconds }: LoadOptions): Promise<LoadResult> {
  let next = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'GET',
        path,
        setupRequest: (request) => ({ ...request, headers: headers[next++ % headers.length] as Record<string, string> }),
      },
    ],
    setupClient: honourConnectionClose,
  });
  const statuses: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = (stat as { count: number }).count;
  const responses = result.requests.total;
  return {
    responses,
    seconds: result.duration,
    requestsPerSecond: responses / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/**
 * autocannon writes its next request on the same socket even when the
 * response said `Connection: close`, and counts the reset that follows as a
 * connection error. A server that does not keep connections alive (gunicorn's
 * sync worker, for the Django peers) would then fail every round. Here a
 * client opens a new connection after such a response instead, as HTTP
 * clients do; keep-alive responses (all of ours) go on as before.
 */
function honourConnectionClose(client: unknown): void {
  const c = client as {
    on(event: 'headers', listener: (info: { shouldKeepAlive?: boolean }) => void): void;
    _doRequest(this: unknown): void;
    _destroyConnection(): void;
    _connect(): void;
  };
  let closing = false;
  c.on('headers', (info) => (closing = info.shouldKeepAlive === false));
  const doRequest = c._doRequest;
  c._doRequest = function (this: typeof c) {
    if (!closing) return doRequest.call(this);
    closing = false;
    this._destroyConnection();
    this._connect(); // connects and sends the next request
  };
}
