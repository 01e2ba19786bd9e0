import { RedisStore } from 'connect-redis';
import type { SessionData } from 'express-session';
import type { SessionRecord, SessionStore, UserStore } from '@authbench/core';
import { redisCall, type RedisClient } from './client.js';
import { checkPrefix, deleteMatching, lifetimeMs, luaScript, msOf, runScript } from './scripts.js';

export interface RedisSessionStoreOptions {
  /** Put before every key, so several apps (or tests) share one Redis. Default `'authbench:'`. */
  readonly prefix?: string | undefined;
}

/** A session as connect-redis stores it: the record without its sid, which is in the key. */
type StoredSession = Omit<SessionRecord, 'sid'>;

/*
 * Key layout, under the prefix P:
 *   P sess:<sid>             string  the session, JSON, written and read by connect-redis's RedisStore
 *   P sess-user:<userId>     zset    the user's sids scored by expiry (ms): what connect-redis lacks
 *   P sess-expiry            zset    every sid scored by expiry, for deleteExpired
 * A session's TTL is `expires - lastUsed`; an index's only grows, to its
 * longest-lived member's. Index members whose session has gone (Redis
 * expired it, or it now belongs to someone else) are pruned when read.
 */

// ARGV: P, sid, expiry ms, ttl ms, userId or '', the previous userId or ''.
const INDEX = luaScript(`
local P, sid = ARGV[1], ARGV[2]
local expiry = P..'sess-expiry'
redis.call('ZADD', expiry, ARGV[3], sid)
extend(expiry, ARGV[4])
if ARGV[6] ~= '' and ARGV[6] ~= ARGV[5] then redis.call('ZREM', P..'sess-user:'..ARGV[6], sid) end
if ARGV[5] ~= '' then
  local user = P..'sess-user:'..ARGV[5]
  redis.call('ZADD', user, ARGV[3], sid)
  extend(user, ARGV[4])
end
return 1
`);

// ARGV: P, sid, expires, now, expiry ms, ttl ms. A read-modify-write in one step: a touch racing a
// logout must not write the destroyed session back (the SQL stores' UPDATE does not insert either).
const TOUCH = luaScript(`
local P, sid = ARGV[1], ARGV[2]
local key = P..'sess:'..sid
local raw = redis.call('GET', key)
if not raw then return 0 end
local s = cjson.decode(raw)
s.expires = ARGV[3]
s.lastUsed = ARGV[4]
redis.call('SET', key, cjson.encode(s), 'PX', ARGV[6])
local expiry = P..'sess-expiry'
redis.call('ZADD', expiry, ARGV[5], sid)
extend(expiry, ARGV[6])
if type(s.userId) == 'number' then
  local user = P..'sess-user:'..string.format('%d', s.userId)
  redis.call('ZADD', user, ARGV[5], sid)
  extend(user, ARGV[6])
end
return 1
`);

// ARGV: P, now (ISO), now ms, batch. A session whose stored expiry is later than its score was
// rewritten and not yet re-indexed: it is dropped from the index, not deleted (its TTL still holds).
// Counts index entries, including sessions Redis had already expired, so "less than batch" means done.
const DELETE_EXPIRED = luaScript(`
local P = ARGV[1]
local expiry = P..'sess-expiry'
local n = 0
for _, sid in ipairs(redis.call('ZRANGEBYSCORE', expiry, '-inf', ARGV[3], 'LIMIT', 0, ARGV[4])) do
  local key = P..'sess:'..sid
  local raw = redis.call('GET', key)
  local s = raw and cjson.decode(raw)
  redis.call('ZREM', expiry, sid)
  if not (s and type(s.expires) == 'string' and s.expires > ARGV[2]) then
    redis.call('DEL', key)
    if s and type(s.userId) == 'number' then redis.call('ZREM', P..'sess-user:'..string.format('%d', s.userId), sid) end
    n = n + 1
  end
end
return n
`);

const bySid = (a: SessionRecord, b: SessionRecord) => (a.sid < b.sid ? -1 : a.sid > b.sid ? 1 : 0);

export function redisSessionStore(client: RedisClient, users: UserStore, options: RedisSessionStoreOptions = {}): SessionStore {
  const P = checkPrefix(options.prefix ?? 'authbench:');
  const userKey = (userId: number) => `${P}sess-user:${userId}`;
  // express-session's store, unchanged: it owns the session keys (GET, SET EX, DEL, SCAN for all/length/clear).
  const connect = new RedisStore({
    client,
    prefix: `${P}sess:`,
    // The record's own lifetime from its last write, whatever clock wrote it (in whole seconds: SET EX).
    ttl: (sess: SessionData) => {
      const stored = sess as unknown as StoredSession;
      return Math.ceil(lifetimeMs(stored.lastUsed, stored.expires) / 1000);
    },
  });
  const read = async (sid: string): Promise<StoredSession | null> => ((await redisCall(() => connect.get(sid))) as StoredSession | null) ?? null;
  const toRecord = (sid: string, s: StoredSession): SessionRecord => ({
    sid,
    userId: s.userId,
    data: s.data,
    expires: s.expires,
    created: s.created,
    client: s.client,
    lastUsed: s.lastUsed,
  });
  const destroy = async (sid: string) => {
    await redisCall(() => connect.destroy(sid));
    await redisCall(() => client.zRem(`${P}sess-expiry`, sid));
  };
  /** The user's indexed sessions that are still theirs; the others are pruned from the index. */
  const ofUser = async (userId: number, fromMs: number | null): Promise<SessionRecord[]> => {
    const key = userKey(userId);
    const sids = await redisCall(() =>
      fromMs === null ? client.zRange(key, 0, -1) : client.zRangeByScore(key, `(${fromMs}`, '+inf'),
    );
    const stored = await Promise.all(sids.map(read)); // concurrent commands go out as one pipeline
    const stale = sids.filter((_, i) => stored[i]?.userId !== userId);
    if (stale.length > 0) await redisCall(() => client.zRem(key, stale));
    return stored.flatMap((s, i) => (s && s.userId === userId ? [toRecord(sids[i]!, s)] : []));
  };

  const all = async (now: string): Promise<SessionRecord[]> => {
    const found = (await redisCall(() => connect.all())) as (StoredSession & { id: string })[];
    return found
      .filter((s) => s.expires > now)
      .map(({ id, ...s }) => toRecord(id, s))
      .sort((a, b) => (a.created === b.created ? bySid(a, b) : a.created < b.created ? -1 : 1));
  };

  return {
    // The hot path: one GET through connect-redis, then the user.
    async get(sid, now) {
      const stored = await read(sid);
      if (!stored || stored.expires <= now) return null;
      if (stored.userId === null) return { ...toRecord(sid, stored), user: null };
      const user = await users.findById(stored.userId);
      // The users live elsewhere: a deleted user's session is gone, as the SQL stores' cascade makes it.
      return user ? { ...toRecord(sid, stored), user } : null;
    },
    async set(record) {
      // The creation time is kept on replace, as the SQL stores' upsert keeps it.
      const previous = await read(record.sid);
      const stored: StoredSession = {
        userId: record.userId,
        data: record.data,
        expires: record.expires,
        created: previous?.created ?? record.created,
        client: record.client,
        lastUsed: record.lastUsed,
      };
      await redisCall(() => connect.set(record.sid, stored as unknown as SessionData));
      await runScript(client, INDEX, [
        P, record.sid, msOf(record.expires), lifetimeMs(record.lastUsed, record.expires), record.userId ?? '', previous?.userId ?? '',
      ]);
    },
    async touch(sid, expires, now) {
      await runScript(client, TOUCH, [P, sid, expires, now, msOf(expires), lifetimeMs(now, expires)]);
    },
    destroy,
    async listByUser(userId, now) {
      const live = (await ofUser(userId, msOf(now))).filter((s) => s.expires > now);
      return live.sort((a, b) => (a.created === b.created ? bySid(a, b) : a.created < b.created ? 1 : -1));
    },
    // Every session of the user, expired or not, as the SQL stores' DELETE … WHERE user_id.
    async destroyByUser(userId) {
      const sessions = await ofUser(userId, null);
      await Promise.all(sessions.map((s) => destroy(s.sid)));
      if (sessions.length > 0) await redisCall(() => client.zRem(userKey(userId), sessions.map((s) => s.sid)));
      return sessions.length;
    },
    all,
    // connect-redis's length counts keys; a key may outlive its logical expiry by up to a second (or, with an injected clock, more).
    async length(now) {
      return (await all(now)).length;
    },
    async clear() {
      await redisCall(() => connect.clear());
      await deleteMatching(client, `${P}sess-user:*`);
      await redisCall(() => client.del(`${P}sess-expiry`));
    },
    async deleteExpired(now, batch) {
      return Number(await runScript(client, DELETE_EXPIRED, [P, now, msOf(now), Math.max(0, Math.floor(batch))]));
    },
  };
}
