import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sqlCounts } from '../sql-counter.js';
import { storeCounts } from '../store-counter.js';
import type { ChildMessage, SampleRequest } from './protocol.js';

/**
 * The server side of the harness: listens on an ephemeral loopback port,
 * tells the parent which, and answers its samples of CPU time and statement
 * counts. Samples are taken between rounds, never during one.
 */
export function serveForBenchmark(server: Server, close: () => void = () => {}): void {
  const send = (message: ChildMessage) => process.send?.(message);
  let served = 0;
  server.on('request', (_req, res) => res.once('finish', () => served++));
  server.listen(0, '127.0.0.1', () => send({ type: 'listening', port: (server.address() as AddressInfo).port }));
  process.on('message', (message: SampleRequest) => {
    if (message.type !== 'sample') return;
    const { user, system } = process.cpuUsage();
    const { rss, heapUsed } = process.memoryUsage();
    const sql = sqlCounts();
    const store = storeCounts();
    send({ type: 'sample', cpuMicros: user + system, served, reads: sql.reads + store.pgReads, writes: sql.writes + store.pgWrites, redisCommands: store.redisCommands, rss, heapUsed });
  });
  // The parent going away ends the server, and the process with it (a
  // library's own timers must not keep it alive).
  process.on('disconnect', () => {
    server.close(() => {
      close();
      process.exit(0);
    });
    server.closeAllConnections();
  });
}
