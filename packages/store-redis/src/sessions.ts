import { RedisStore } from 'connect-redis';
import type { SessionRecord, SessionStore, UserId, UserRepository } from '@authbench/core';
import { redisCall, type RedisClient } from './client.js';
import { checkPrefix, deleteMatching, lifetimeMs, luaScript, msOf, runScript, userIdJson } from './scripts.js';

export interface RedisSessionStoreOptions {
  /** Put before every key, so several apps (or tests) share one Redis. Default `'authbench:'`. */
  readonly prefix?: string | undefined;
}

/** A session as connect-redis stores it: the record without its sid, which is in the key. */
type StoredSession = Omit<SessionRecord, 'sid'>;

/*
 * Key layout, under the prefix P:
 *   P sess:<sid>             string  the session, JSON, in connect-redis's format: read, listed and deleted by its RedisStore
 *   P sess-user:<userId>     zset    the user's sids scored by expiry (ms): what connect-redis lacks;
 *                                    <userId> is the id's JSON (see userIdJson), 42 and "42" apart
 *   P sess-expiry            zset    every sid scored by expiry, for deleteExpired
 * A session's TTL is `expires - lastUsed`; an index's only grows, to its
 * longest-lived member's. A user's index drops the sids expired by the
 * writer's now whenever it is written, so it stays bounded with no sweeper;
 * members whose session has gone (destroyed, expired by Redis, or now
 * someone else's) are pruned when read.
 *
 * A session is written with its index entries in one script: a session
 * outside its user's index would survive logout-all and a password change.
 */

// Shared Lua: a sid in the expiry index and its user's, each scored by the session's expiry (ms);
// and the JSON of a user id read from a session exactly as userIdJson writes it in JS
// (JSON.stringify: a whole number's digits; a string quoted, its quote, backslash and control
// characters escaped, in the short form where JSON has one), so both name the same index.
// cjson.encode would not do: it also escapes '/'. '' for an anonymous session.
const INDEX = String.raw`
local ESCAPES = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
local function escape(c) return ESCAPES[c] or string.format('\\u%04x', string.byte(c)) end
local function userIdJson(id)
  if type(id) == 'number' then return string.format('%d', id) end
  if type(id) == 'string' then return '"' .. string.gsub(id, '[%z\1-\31"\\]', escape) .. '"' end
  return ''
end
local function index(P, sid, userId, expMs, ttl, now)
  local expiry = P..'sess-expiry'
  redis.call('ZADD', expiry, expMs, sid)
  extend(expiry, ttl)
  if userId ~= '' then
    local user = P..'sess-user:'..userId
    redis.call('ZREMRANGEBYSCORE', user, '-inf', now)
    redis.call('ZADD', user, expMs, sid)
    extend(user, ttl)
  end
end
`;

// ARGV: P, sid, the session as connect-redis writes it (JSON), expiry ms, ttl ms, the userId's JSON or '',
// the previous userId's JSON or '', now (lastUsed) ms. Should the script stop halfway (Redis keeps what
// a script wrote before an error), an index entry with no session behind it is harmless, a
// session outside its user's index is not: so the index first, and the previous owner's last.
const SET = luaScript(`${INDEX}
local P, sid = ARGV[1], ARGV[2]
index(P, sid, ARGV[6], ARGV[4], ARGV[5], ARGV[8])
redis.call('SET', P..'sess:'..sid, ARGV[3], 'PX', ARGV[5])
if ARGV[7] ~= '' and ARGV[7] ~= ARGV[6] then redis.call('ZREM', P..'sess-user:'..ARGV[7], sid) end
return 1
`);

// ARGV: P, sid, expires, now, expiry ms, ttl ms, now ms. A read-modify-write in one step: a touch racing a
// logout must not write the destroyed session back (the SQL stores' UPDATE does not insert either).
const TOUCH = luaScript(`${INDEX}
local P, sid = ARGV[1], ARGV[2]
local key = P..'sess:'..sid
local raw = redis.call('GET', key)
if not raw then return 0 end
local s = cjson.decode(raw)
s.expires = ARGV[3]
s.lastUsed = ARGV[4]
index(P, sid, userIdJson(s.userId), ARGV[5], ARGV[6], ARGV[7])
redis.call('SET', key, cjson.encode(s), 'PX', ARGV[6])
return 1
`);

// ARGV: P, now (ISO), now ms, batch. A session whose stored expiry is later than its score is not
// expired (its index entry is stale): it is dropped from the index, not deleted (its TTL still holds).
// Counts index entries, including sessions Redis had already expired, so "less than batch" means done.
const DELETE_EXPIRED = luaScript(`${INDEX}
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
    local userId = s and userIdJson(s.userId) or ''
    if userId ~= '' then redis.call('ZREM', P..'sess-user:'..userId, sid) end
    n = n + 1
  end
end
return n
`);

const bySid = (a: SessionRecord, b: SessionRecord) => (a.sid < b.sid ? -1 : a.sid > b.sid ? 1 : 0);

/**
 * @param users where a session's user is read on each request: only `findById` is used, so the
 *   built-in store, `Accounts` or an application's own repository all do.
 */
export function redisSessionStore(client: RedisClient, users: Pick<UserRepository, 'findById'>, options: RedisSessionStoreOptions = {}): SessionStore {
  const P = checkPrefix(options.prefix ?? 'authbench:');
  const userKey = (userId: UserId) => `${P}sess-user:${userIdJson(userId)}`;
  // express-session's store, unchanged, for what it does alone: GET, DEL, and SCAN for all/length/clear.
  // Writes are scripts (SET, TOUCH) that index the session in the same step.
  const connect = new RedisStore({ client, prefix: `${P}sess:` });
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
  const ofUser = async (userId: UserId, fromMs: number | null): Promise<SessionRecord[]> => {
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
      // The scripts write a number's index key with Lua's %d: a whole number's digits, as JSON's.
      if (typeof record.userId === 'number' && !Number.isSafeInteger(record.userId)) {
        throw new TypeError(`redis session store: a number user id must be a whole number, got ${record.userId}`);
      }
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
      // The record's own lifetime from its last write, whatever clock wrote it; JSON as connect-redis writes it.
      await runScript(client, SET, [
        P, record.sid, JSON.stringify(stored), msOf(record.expires), lifetimeMs(record.lastUsed, record.expires),
        record.userId === null ? '' : userIdJson(record.userId),
        previous === null || previous.userId === null ? '' : userIdJson(previous.userId),
        msOf(record.lastUsed),
      ]);
    },
    async touch(sid, expires, now) {
      await runScript(client, TOUCH, [P, sid, expires, now, msOf(expires), lifetimeMs(now, expires), msOf(now)]);
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
