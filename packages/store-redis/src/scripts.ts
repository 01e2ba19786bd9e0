import { createHash } from 'node:crypto';
import type { UserId } from '@authbench/core';
import { redisCall, type RedisClient } from './client.js';

/**
 * A Lua script run by EVALSHA. The client is the app's shared one (see
 * client.ts), so scripts are not registered on it: the digest is computed
 * here and, when the server does not know it yet (first call, a restart, a
 * SCRIPT FLUSH), EVAL sends the source once and the server caches it.
 */
export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

/**
 * Helpers every script starts with. An index key (a sorted set of members,
 * each with its own lifetime) only ever extends its TTL, so it lives as long
 * as its longest-lived member and then vanishes by itself. PTTL is -1 for a
 * key without TTL and -2 for a missing one: both below any lifetime.
 */
const PRELUDE = `
local function extend(key, ms)
  if redis.call('PTTL', key) < tonumber(ms) then redis.call('PEXPIRE', key, ms) end
end
`;

export function luaScript(body: string): LuaScript {
  const source = PRELUDE + body;
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Runs a script through `redisCall` (a 503 when Redis is away). The jwt,
 * session and throttle scripts derive their keys inside from the prefix (a
 * family's keys are only known after reading its login), so they pass no
 * `keys`: fine on one server, not on a cluster.
 */
export function runScript(
  client: RedisClient,
  script: LuaScript,
  args: readonly (string | number)[],
  keys: readonly string[] = [],
  timeoutMs?: number,
): Promise<unknown> {
  const options = { keys: [...keys], arguments: args.map(String) };
  return redisCall(async () => {
    try {
      return await client.evalSha(script.sha, options);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return await client.eval(script.source, options);
      throw error;
    }
  }, timeoutMs);
}

/** Milliseconds since the epoch of an ISO-8601 instant: the score of every index. */
export function msOf(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new TypeError('not an ISO-8601 instant');
  return ms;
}

/**
 * A key's TTL in ms: the record's remaining lifetime measured on the record's
 * own clock (`to - from`), never against Date.now(), so a record written with
 * an injected clock lives as long as it would have at that time. At least one
 * second, so an already-expired record is still written and then goes.
 */
export function lifetimeMs(from: string, to: string): number {
  return Math.max(1000, msOf(to) - msOf(from));
}

/** The prefix is used in SCAN patterns too, so it may hold no glob characters. */
export function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || /[*?[\]\\]/.test(prefix)) {
    throw new TypeError('options.prefix must be a string without the glob characters * ? [ ] \\');
  }
  return prefix;
}

/** Deletes every key matching `pattern`, one SCAN page at a time (never KEYS, never FLUSHDB). */
export async function deleteMatching(client: RedisClient, pattern: string): Promise<number> {
  return redisCall(async () => {
    let deleted = 0;
    for await (const keys of client.scanIterator({ MATCH: pattern, COUNT: 200 })) {
      if (keys.length > 0) deleted += await client.del(keys);
    }
    return deleted;
  });
}

/**
 * A user id as Redis keeps it, in a key or a field: its JSON, so 42 and "42"
 * stay two users and each reads back (JSON.parse) as its own type. A whole
 * number's JSON is its digits, the layout from before string ids, so keys
 * written then are still found.
 * @throws TypeError for a number that is not finite (its JSON would be null).
 */
export function userIdJson(id: UserId): string {
  if (typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id))) return JSON.stringify(id);
  throw new TypeError(`a user id must be a string or a finite number, got ${String(id)}`);
}
