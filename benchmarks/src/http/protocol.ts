/** Messages between the harness and a server child over the IPC channel. */

/** child → parent, once, when the server accepts connections. */
export interface ListeningMessage {
  readonly type: 'listening';
  readonly port: number;
}

/** parent → child: report your counters now. */
export interface SampleRequest {
  readonly type: 'sample';
}

/** child → parent: the server process's CPU time (all threads) and statement counts so far. */
export interface SampleMessage {
  readonly type: 'sample';
  readonly cpuMicros: number;
  /**
   * Responses the server has finished, counted on its side: the denominator
   * of the per-request counts, since requests still in flight when a round
   * ends are served (and their statements counted) after the load generator
   * has stopped counting responses.
   */
  readonly served: number;
  /** SQL statements, SQLite's and PostgreSQL's together (a server uses one database). */
  readonly reads: number;
  readonly writes: number;
  /** Commands sent to Redis. */
  readonly redisCommands: number;
  /** process.memoryUsage() in bytes, for the soak's memory-growth check (no GC forced). */
  readonly rss: number;
  readonly heapUsed: number;
}

export type ChildMessage = ListeningMessage | SampleMessage;
