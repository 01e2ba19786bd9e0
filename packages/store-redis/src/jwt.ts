import type { JwtLoginRecord, JwtSpendResult, JwtStore, UserId } from '@authbench/core';
import { redisCall, type RedisClient } from './client.js';
import { checkPrefix, lifetimeMs, luaScript, msOf, runScript, userIdJson } from './scripts.js';

export interface RedisJwtStoreOptions {
  /** Put before every key, so several apps (or tests) share one Redis. Default `'authbench:'`. */
  readonly prefix?: string | undefined;
}

/** The Redis JwtStore, plus the cascade a database would run when a user is deleted. */
export interface RedisJwtStore extends JwtStore {
  /**
   * Deletes every login of the user with its refresh tokens. The users live
   * in another store, so its `delete` must call this (SQL stores cascade).
   * @returns how many logins were deleted.
   */
  deleteUser(userId: UserId): Promise<number>;
}

/*
 * Key layout, under the prefix P:
 *   P jwt:login:<id>      hash   userId created client expiresAt lastRefreshed revokedAt ('' is null)
 *   P jwt:out:<jti>       hash   loginId userId createdAt expiresAt state (live|rotated|blacklisted) blacklistedAt,
 *                                and once rotated: successor (its jti) rotatedMs (when, in ms), for the grace window
 *   P jwt:jtis:<id>       zset   the jtis of a login scored by expiry (ms), so deleting it takes its tokens along
 *   P jwt:user:<userId>   zset   login ids scored by expiry (ms)
 *   (<userId> and the userId fields are the id's JSON, see userIdJson: the
 *   scripts only ever copy it, from an argument or a field, never build it.)
 *   P jwt:expiry:logins   zset   login ids scored by expiry, for deleteExpired
 *   P jwt:expiry:tokens   zset   jtis scored by expiry, for deleteExpired
 * A token's TTL is its lifetime; a login's is its newest token's, and only
 * grows, so a login (and its revocation) outlives every token of its family:
 * a token whose login has gone is unknown, and unknown is refused.
 *
 * A login's jtis and a user's logins drop their expired members (scored at or
 * before the writer's now) whenever they are written, and live as long as
 * their longest-lived member: a login refreshed for months, or a user who logs
 * in every day, keeps them bounded with no sweeper (the expiry indexes are the
 * sweep's own).
 */

// Shared Lua: the token's state joined with its login's (the SQL stores' JOIN), and inserting a token.
const COMMON = `
-- Adds a member to a per-login or per-user index, dropping those expired by now (ms).
local function prunedAdd(key, expMs, member, ttl, now)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  redis.call('ZADD', key, expMs, member)
  extend(key, ttl)
end
local function tokenState(P, jti)
  local t = redis.call('HMGET', P..'jwt:out:'..jti, 'loginId', 'state')
  if not t[1] then return nil end
  local revokedAt = redis.call('HGET', P..'jwt:login:'..t[1], 'revokedAt')
  if not revokedAt then return nil end
  return t[1], t[2], revokedAt
end
local function insertToken(P, now, jti, loginId, userId, createdAt, expiresAt, expMs, ttl)
  local k = P..'jwt:out:'..jti
  if redis.call('EXISTS', k) == 1 then return redis.error_reply('ERR authbench: refresh token id already stored') end
  redis.call('HSET', k, 'loginId', loginId, 'userId', userId, 'createdAt', createdAt, 'expiresAt', expiresAt,
    'state', 'live', 'blacklistedAt', '')
  redis.call('PEXPIRE', k, ttl)
  prunedAdd(P..'jwt:jtis:'..loginId, expMs, jti, ttl, now)
  local index = P..'jwt:expiry:tokens'
  redis.call('ZADD', index, expMs, jti)
  extend(index, ttl)
end
-- A login in its user's index and in the expiry index, scored by its expiry; both live as long as their longest member.
local function indexLogin(P, now, userId, id, expMs, ttl)
  prunedAdd(P..'jwt:user:'..userId, expMs, id, ttl, now)
  local index = P..'jwt:expiry:logins'
  redis.call('ZADD', index, expMs, id)
  extend(index, ttl)
end
local function deleteLogin(P, id)
  local lk = P..'jwt:login:'..id
  local userId = redis.call('HGET', lk, 'userId')
  local existed = redis.call('DEL', lk)
  local jtis = P..'jwt:jtis:'..id
  local tokens = P..'jwt:expiry:tokens'
  for _, jti in ipairs(redis.call('ZRANGE', jtis, 0, -1)) do
    redis.call('DEL', P..'jwt:out:'..jti)
    redis.call('ZREM', tokens, jti)
  end
  redis.call('DEL', jtis)
  redis.call('ZREM', P..'jwt:expiry:logins', id)
  if userId then redis.call('ZREM', P..'jwt:user:'..userId, id) end
  return existed
end
`;

// ARGV: P, login id, userId, created, client, expiresAt, expiry ms, ttl ms, then the first token as insertToken
// takes it, then created in ms (the now that prunes the indexes).
const CREATE_LOGIN = luaScript(`${COMMON}
local P, id, userId, now = ARGV[1], ARGV[2], ARGV[3], ARGV[16]
local lk = P..'jwt:login:'..id
if redis.call('EXISTS', lk) == 1 then return redis.error_reply('ERR authbench: login id already stored') end
local err = insertToken(P, now, ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13], ARGV[14], ARGV[15])
if err then return err end
redis.call('HSET', lk, 'userId', userId, 'created', ARGV[4], 'client', ARGV[5], 'expiresAt', ARGV[6],
  'lastRefreshed', '', 'revokedAt', '')
redis.call('PEXPIRE', lk, ARGV[8])
extend(P..'jwt:jtis:'..id, ARGV[8])
indexLogin(P, now, userId, id, ARGV[7], ARGV[8])
return 'OK'
`);

// ARGV: P, jti, now, login ttl ms (now to the successor's expiry), then the successor as insertToken takes
// it, then now in ms, then the grace window's start in ms ('' for none). A repeat answers
// {'repeat', jti, loginId, userId, createdAt, expiresAt} of the successor.
const ROTATE = luaScript(`${COMMON}
local P, jti, now, nowMs, graceSince = ARGV[1], ARGV[2], ARGV[3], ARGV[12], ARGV[13]
local loginId, state, revokedAt = tokenState(P, jti)
if not loginId or revokedAt ~= '' then return 'revoked' end
local lk = P..'jwt:login:'..loginId
if state ~= 'live' then
  if state ~= 'rotated' then return 'revoked' end
  if graceSince ~= '' then
    -- Rotated within the window, its successor untouched since (live, unexpired by the jtis index): the same refresh again.
    local r = redis.call('HMGET', P..'jwt:out:'..jti, 'successor', 'rotatedMs')
    if r[1] and r[2] and tonumber(r[2]) > tonumber(graceSince) then
      local s = redis.call('HMGET', P..'jwt:out:'..r[1], 'loginId', 'userId', 'createdAt', 'expiresAt', 'state')
      local expMs = redis.call('ZSCORE', P..'jwt:jtis:'..loginId, r[1])
      if s[1] == loginId and s[5] == 'live' and expMs and tonumber(expMs) > tonumber(nowMs) then
        return {'repeat', r[1], s[1], s[2], s[3], s[4]}
      end
    end
  end
  redis.call('HSET', lk, 'revokedAt', now) -- reuse of a rotated token: the family is compromised
  return 'reused'
end
local err = insertToken(P, nowMs, ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11])
if err then return err end
-- Keeps its TTL: remembered while presentable.
redis.call('HSET', P..'jwt:out:'..jti, 'state', 'rotated', 'blacklistedAt', now, 'successor', ARGV[5], 'rotatedMs', nowMs)
redis.call('HSET', lk, 'expiresAt', ARGV[9], 'lastRefreshed', now)
extend(lk, ARGV[4])
extend(P..'jwt:jtis:'..loginId, ARGV[4])
indexLogin(P, nowMs, redis.call('HGET', lk, 'userId'), loginId, ARGV[10], ARGV[4])
return 'spent'
`);

// ARGV: P, jti, now. Only a live token changes: a rotated one stays rotated, so its reuse is still detected.
const BLACKLIST = luaScript(`
local k = ARGV[1]..'jwt:out:'..ARGV[2]
local state = redis.call('HGET', k, 'state')
if not state then return 0 end
if state == 'live' then redis.call('HSET', k, 'state', 'blacklisted', 'blacklistedAt', ARGV[3]) end
return 1
`);

// ARGV: P, jti.
const IS_REFRESH_USABLE = luaScript(`${COMMON}
local loginId, state, revokedAt = tokenState(ARGV[1], ARGV[2])
if loginId and state == 'live' and revokedAt == '' then return 1 end
return 0
`);

// ARGV: P, jti or '', login id or ''.
const IS_REVOKED = luaScript(`${COMMON}
if ARGV[2] ~= '' then
  local loginId, state, revokedAt = tokenState(ARGV[1], ARGV[2])
  if loginId and (state ~= 'live' or revokedAt ~= '') then return 1 end
end
if ARGV[3] ~= '' then
  local revokedAt = redis.call('HGET', ARGV[1]..'jwt:login:'..ARGV[3], 'revokedAt')
  if revokedAt and revokedAt ~= '' then return 1 end
end
return 0
`);

// ARGV: P, userId, login id, now.
const REVOKE_LOGIN = luaScript(`
local lk = ARGV[1]..'jwt:login:'..ARGV[3]
local l = redis.call('HMGET', lk, 'userId', 'revokedAt')
if l[1] ~= ARGV[2] or l[2] ~= '' then return 0 end
redis.call('HSET', lk, 'revokedAt', ARGV[4])
return 1
`);

// ARGV: P, userId, now. Revokes expired-but-unflushed logins the index still holds too, as the SQL stores do
// (those expired before its last write are already out of it, and have no usable token); prunes logins Redis expired.
const REVOKE_ALL = luaScript(`
local P = ARGV[1]
local user = P..'jwt:user:'..ARGV[2]
local n = 0
for _, id in ipairs(redis.call('ZRANGE', user, 0, -1)) do
  local lk = P..'jwt:login:'..id
  local revokedAt = redis.call('HGET', lk, 'revokedAt')
  if not revokedAt then redis.call('ZREM', user, id)
  elseif revokedAt == '' then
    redis.call('HSET', lk, 'revokedAt', ARGV[3])
    n = n + 1
  end
end
return n
`);

// ARGV: P, userId, now ms. The unrevoked logins expiring after now; prunes those Redis expired.
const LIST_LOGINS = luaScript(`
local P = ARGV[1]
local user = P..'jwt:user:'..ARGV[2]
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', user, '(' .. ARGV[3], '+inf')) do
  local l = redis.call('HMGET', P..'jwt:login:'..id, 'userId', 'created', 'client', 'expiresAt', 'lastRefreshed', 'revokedAt')
  if not l[1] then redis.call('ZREM', user, id)
  elseif l[6] == '' then table.insert(out, {id, l[1], l[2], l[3], l[4], l[5]}) end
end
return out
`);

// ARGV: P, now ms, batch. Expired logins first, each with its tokens (not counted, as a cascade is
// not); then expired tokens. Counts index entries, including records Redis had already expired,
// so deleteInBatches' "less than batch" still means "nothing left".
const DELETE_EXPIRED = luaScript(`${COMMON}
local P, now, batch = ARGV[1], ARGV[2], tonumber(ARGV[3])
local n = 0
if batch > 0 then
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', P..'jwt:expiry:logins', '-inf', now, 'LIMIT', 0, batch)) do
    deleteLogin(P, id)
    n = n + 1
  end
end
if batch - n > 0 then
  local index = P..'jwt:expiry:tokens'
  for _, jti in ipairs(redis.call('ZRANGEBYSCORE', index, '-inf', now, 'LIMIT', 0, batch - n)) do
    local k = P..'jwt:out:'..jti
    local loginId = redis.call('HGET', k, 'loginId')
    redis.call('DEL', k)
    redis.call('ZREM', index, jti)
    if loginId then redis.call('ZREM', P..'jwt:jtis:'..loginId, jti) end
    n = n + 1
  end
end
return n
`);

// ARGV: P, userId.
const DELETE_USER = luaScript(`${COMMON}
local P = ARGV[1]
local user = P..'jwt:user:'..ARGV[2]
local n = 0
for _, id in ipairs(redis.call('ZRANGE', user, 0, -1)) do n = n + deleteLogin(P, id) end
redis.call('DEL', user)
return n
`);

const SPEND_RESULTS: ReadonlySet<string> = new Set<string>(['spent', 'reused', 'revoked'] satisfies JwtSpendResult[]);

export function redisJwtStore(client: RedisClient, options: RedisJwtStoreOptions = {}): RedisJwtStore {
  const P = checkPrefix(options.prefix ?? 'authbench:');
  const run = (script: Parameters<typeof runScript>[1], ...args: (string | number)[]) => runScript(client, script, [P, ...args]);

  return {
    async createLogin(login, first) {
      await run(
        CREATE_LOGIN,
        login.id, userIdJson(login.userId), login.created, login.client, login.expiresAt, msOf(login.expiresAt), lifetimeMs(login.created, login.expiresAt),
        first.jti, first.loginId, userIdJson(first.userId), first.createdAt, first.expiresAt, msOf(first.expiresAt), lifetimeMs(first.createdAt, first.expiresAt),
        msOf(login.created),
      );
    },
    async rotate(jti, successor, now, graceSince) {
      const result = await run(
        ROTATE,
        jti, now, lifetimeMs(now, successor.expiresAt),
        successor.jti, successor.loginId, userIdJson(successor.userId), successor.createdAt, successor.expiresAt, msOf(successor.expiresAt),
        lifetimeMs(successor.createdAt, successor.expiresAt), msOf(now), graceSince == null ? '' : msOf(graceSince),
      );
      if (Array.isArray(result) && result.length === 6 && result[0] === 'repeat' && result.every((v) => typeof v === 'string')) {
        const [, next, loginId, userId, createdAt, expiresAt] = result as string[];
        return { kind: 'repeat', successor: { jti: next!, loginId: loginId!, userId: JSON.parse(userId!) as UserId, createdAt: createdAt!, expiresAt: expiresAt! } };
      }
      if (typeof result !== 'string' || !SPEND_RESULTS.has(result)) throw new Error('redis jwt store: unexpected rotate reply');
      return result as JwtSpendResult;
    },
    async blacklist(jti, now) {
      return (await run(BLACKLIST, jti, now)) === 1;
    },
    async isRefreshUsable(jti) {
      return (await run(IS_REFRESH_USABLE, jti)) === 1;
    },
    async isRevoked(jti, loginId) {
      return (await run(IS_REVOKED, jti ?? '', loginId ?? '')) === 1;
    },
    // The hot path with JWT_CHECK_REVOCATION: one HGET, '' while live, null when unknown.
    async isLoginLive(loginId) {
      return (await redisCall(() => client.hGet(`${P}jwt:login:${loginId}`, 'revokedAt'))) === '';
    },
    async revokeLogin(userId, loginId, now) {
      return (await run(REVOKE_LOGIN, userIdJson(userId), loginId, now)) === 1;
    },
    async revokeAllLogins(userId, now) {
      return Number(await run(REVOKE_ALL, userIdJson(userId), now));
    },
    async listLogins(userId, now) {
      const rows = (await run(LIST_LOGINS, userIdJson(userId), msOf(now))) as string[][];
      const logins = rows.map(
        ([id, user, created, client, expiresAt, lastRefreshed]): JwtLoginRecord => ({
          id: id!,
          userId: JSON.parse(user!) as UserId,
          created: created!,
          client: client!,
          expiresAt: expiresAt!,
          lastRefreshed: lastRefreshed === '' || lastRefreshed === undefined ? null : lastRefreshed,
          revokedAt: null,
        }),
      );
      // Newest first, then by id: the SQL stores' ORDER BY created DESC, id.
      return logins.sort((a, b) => (a.created === b.created ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.created < b.created ? 1 : -1));
    },
    async deleteExpired(now, batch) {
      return Number(await run(DELETE_EXPIRED, msOf(now), Math.max(0, Math.floor(batch))));
    },
    async deleteUser(userId) {
      return Number(await run(DELETE_USER, userIdJson(userId)));
    },
  };
}
