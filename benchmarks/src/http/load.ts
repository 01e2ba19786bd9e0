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
