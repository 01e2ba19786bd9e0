import { BlockList, isIP } from 'node:net';

/** Whether an address is one of the proxies in front of the app, whose forwarding headers are believed. */
export type ProxyTrust = (address: string) => boolean;

/** No proxy in front: the socket's peer is the client. */
export const NO_PROXIES: ProxyTrust = () => false;

// The names Express's `trust proxy` takes for the usual private ranges.
const NAMED: Record<string, readonly string[]> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** `::ffff:1.2.3.4` as `1.2.3.4`, the zone id dropped: one spelling per address. */
function canonical(address: string): string {
  const ip = address.trim().split('%', 1)[0]!;
  return /^::ffff:/i.test(ip) && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/**
 * The proxies to trust, as Express's `trust proxy` names them: addresses,
 * CIDR ranges, and `loopback`, `linklocal`, `uniquelocal`.
 * @throws TypeError naming the first entry that is none of these.
 */
export function trustedProxies(entries: readonly string[]): ProxyTrust {
  if (entries.length === 0) return NO_PROXIES;
  const list = new BlockList();
  for (const entry of entries.flatMap((e) => NAMED[e.trim().toLowerCase()] ?? [e.trim()])) {
    const [address = '', bits, extra] = entry.split('/');
    const type = isIP(address) === 4 ? 'ipv4' : isIP(address) === 6 ? 'ipv6' : null;
    const prefix = bits === undefined ? (type === 'ipv4' ? 32 : 128) : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    if (type === null || extra !== undefined || !(prefix >= 0 && prefix <= (type === 'ipv4' ? 32 : 128))) {
      throw new TypeError(`"${entry}" is not an IP address, a CIDR range, loopback, linklocal or uniquelocal`);
    }
    list.addSubnet(address, prefix, type);
  }
  return (address) => {
    const ip = canonical(address);
    const type = isIP(ip);
    return type !== 0 && list.check(ip, type === 4 ? 'ipv4' : 'ipv6');
  };
}

/** An X-Forwarded-For entry as an address: a port some proxies add (`1.2.3.4:5678`, `[::1]:80`) dropped. */
function entryAddress(entry: string): string {
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(entry);
  if (v4) return v4[1]!;
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  return canonical(v6 ? v6[1]! : entry);
}

/**
 * The client's address, as Express's `req.ip` finds it: from the socket's
 * peer, walk X-Forwarded-For from the right while each address is a trusted
 * proxy; the first one that is not is the client. Entries to its left were
 * written by the client and may be forged, so they are never read. A peer
 * that is not a trusted proxy is the client, whatever it forwarded.
 */
export function forwardedClient(peer: string | undefined, forwardedFor: string | readonly string[] | undefined, trust: ProxyTrust): string | undefined {
  if (peer === undefined || !trust(peer)) return peer === undefined ? undefined : canonical(peer);
  const header = typeof forwardedFor === 'string' ? forwardedFor : (forwardedFor ?? []).join(',');
  const hops = header.split(',').map((e) => e.trim()).filter((e) => e !== '');
  let client = canonical(peer);
  for (let i = hops.length - 1; i >= 0; i--) {
    client = entryAddress(hops[i]!);
    if (!trust(client)) return client;
  }
  return client;
}
