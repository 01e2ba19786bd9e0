import type { ThrottleCounter, ThrottleStore } from '@authbench/core';
import { redisCall, type RedisClient } from './client.js';
import { checkPrefix, luaScript, runScript } from './scripts.js';

export interface RedisThrottleStoreOptions {
  /** Put before every key, so several apps (or tests) share one Redis. Default `'authbench:'`. */
  readonly prefix?: string | undefined;
}

/*
 * Key layout, under the prefix P:
 *   P throttle:<key>     hash  f (failures) last (latest failure, epoch ms) exp (expiry, epoch ms)
 *   P throttle-expiry    zset  keys scored by expiry, for deleteExpired
 * Times are the callers' (so an injected clock works, and instances with a
 * little skew agree); each hash also carries a Redis TTL of what is left of
 * it, so a counter nobody sweeps still goes.
 */

// %.0f: Lua's tostring would print large epoch milliseconds in exponent form.
const RECORD = luaScript(`
local P, key, now, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local k = P..'throttle:'..key
local exp = now + ttl
local f, last = 1, now
local cur = redis.call('HMGET', k, 'f', 'last', 'exp')
if cur[1] and tonumber(cur[3]) > now then
  f = tonumber(cur[1]) + 1
  last = math.max(tonumber(cur[2]), now)
  exp = math.max(tonumber(cur[3]), exp)
end
redis.call('HSET', k, 'f', f, 'last', string.format('%.0f', last), 'exp', string.format('%.0f', exp))
redis.call('PEXPIRE', k, math.max(1000, exp - now))
redis.call('ZADD', P..'throttle-expiry', string.format('%.0f', exp), key)
extend(P..'throttle-expiry', math.max(1000, exp - now))
return {f, string.format('%.0f', last)}
`);

const RESET = luaScript(`
redis.call('DEL', ARGV[1]..'throttle:'..ARGV[2])
redis.call('ZREM', ARGV[1]..'throttle-expiry', ARGV[2])
`);

// A key found in the index whose counter was extended since is not expired: its score moved with it.
const DELETE_EXPIRED = luaScript(`
local P, now, batch = ARGV[1], ARGV[2], tonumber(ARGV[3])
local keys = redis.call('ZRANGEBYSCORE', P..'throttle-expiry', '-inf', now, 'LIMIT', 0, batch)
for _, key in ipairs(keys) do
  redis.call('DEL', P..'throttle:'..key)
  redis.call('ZREM', P..'throttle-expiry', key)
end
return #keys
`);

/** Login throttling's failure counters in Redis: every update one Lua script, so concurrent failures from any instance all count. */
export function redisThrottleStore(client: RedisClient, options: RedisThrottleStoreOptions = {}): ThrottleStore {
  const P = checkPrefix(options.prefix ?? 'authbench:');
  const toCounter = (failures: unknown, last: unknown): ThrottleCounter => ({ failures: Number(failures), lastFailure: Number(last) });
  return {
    async recordFailure(key, now, ttlSeconds) {
      const [failures, last] = (await runScript(client, RECORD, [P, key, now, ttlSeconds * 1000])) as [number, string];
      return toCounter(failures, last);
    },
    async get(keys, now) {
      // Concurrent commands go out as one pipeline: one round trip for all the keys.
      const found = await redisCall(() => Promise.all(keys.map((key) => client.hmGet(`${P}throttle:${key}`, ['f', 'last', 'exp']))));
      return found.map(([failures, last, exp]) => (failures && last && exp && Number(exp) > now ? toCounter(failures, last) : null));
    },
    async reset(key) {
      await runScript(client, RESET, [P, key]);
    },
    async deleteExpired(now, batch) {
      return Number(await runScript(client, DELETE_EXPIRED, [P, now, Math.max(0, Math.floor(batch))]));
    },
  };
}
