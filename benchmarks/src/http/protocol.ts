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
  readonly reads: number;
  readonly writes: number;
}

export type ChildMessage = ListeningMessage | SampleMessage;
