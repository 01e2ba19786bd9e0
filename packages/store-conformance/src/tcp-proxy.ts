import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy in front of a real server (PostgreSQL, Redis), so a
 * test can make that server "go down" and "come back" for one app without
 * touching the server every other test shares.
 */
export interface TcpProxy {
  /** The port to point the app at. */
  readonly port: number;
  /** Drops every open connection and refuses new ones, as a stopped server does. */
  cut(): void;
  /** Accepts connections again, as a restarted server does. */
  restore(): void;
  /**
   * Stops forwarding in both directions with every socket left open: a server
   * that stops answering without closing (a frozen process, a black-holed
   * network). Bytes sent meanwhile are lost, so a connection used during the
   * hang stays broken, as after a real partition.
   */
  hang(): void;
  /** Forwards again. */
  resume(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let down = false;
  let hanging = false;
  const server: Server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    open.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk) => hanging || upstream.write(chunk));
    upstream.on('data', (chunk) => hanging || client.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('tcp proxy: no port');
  return {
    port: address.port,
    cut() {
      down = true;
      for (const socket of open) socket.destroy();
      open.clear();
    },
    restore() {
      down = false;
    },
    hang: () => void (hanging = true),
    resume: () => void (hanging = false),
    close: () =>
      new Promise<void>((resolve) => {
        down = true;
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
