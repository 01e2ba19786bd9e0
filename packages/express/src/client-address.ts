import type { Request } from 'express';
import { forwardedClient, type ProxyTrust } from '@authbench/core';

/**
 * The address login throttling counts against: the socket's peer, or behind
 * trusted proxies the address they forwarded (core's `forwardedClient`).
 */
export function clientAddress(req: Request, trust: ProxyTrust): string | undefined {
  return forwardedClient(req.socket.remoteAddress, req.headers['x-forwarded-for'], trust);
}
