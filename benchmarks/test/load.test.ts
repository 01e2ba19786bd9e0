import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runLoad } from '../src/http/load.js';

/** A server that closes every connection after its response, as gunicorn's sync worker (the Django peers) does. */
describe('runLoad', () => {
  it('opens a new connection after a Connection: close response instead of counting a reset', async () => {
    const server = createServer((_req, res) => {
      res.setHeader('connection', 'close');
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const load = await runLoad({ port, path: '/', headers: [{}], connections: 10, seconds: 0.5 });
      expect(load.responses).toBeGreaterThan(10);
      expect(load.errors).toBe(0);
      expect(load.statuses).toEqual({ '200': load.responses });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
