import type { Request } from 'express';

/**
 * The address login throttling counts against. Without a trusted proxy, the
 * socket's peer. Behind `trustProxy` proxies, the X-Forwarded-For entry that
 * many places from the right: each proxy appends the address it saw, so the
 * entries to the left of it were written by the client and may be forged
 * (taking the left-most would let an attacker pick a fresh address, or
 * someone else's, per request).
 */
export function clientAddress(req: Request, trustProxy: number): string | undefined {
  const peer = req.socket.remoteAddress;
  if (trustProxy <= 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  // Fewer entries than proxies: the first proxy saw the client itself.
  return hops[Math.max(0, hops.length - trustProxy)] ?? peer;
}
