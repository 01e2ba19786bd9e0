import { luaScript } from './scripts.js';

/*
 * The cache's Lua. Each runs atomically, so a fill can never interleave with
 * an invalidation.
 *
 * A *mark* is a string '!,<writer>,<writer>,' at an entry key (that entry's
 * writers in flight) or at a user's hold key (writers in flight on the whole
 * user). A reader that sees a mark at the entry reads the database and does
 * not fill; a fill refuses to write while the entry or any user in it is
 * marked. Each writer adds its id before changing the database and removes it
 * after; the last one out leaves an empty mark ('!,') for the settle time, so
 * fills from reads that began before the change (at most the fill window old)
 * find it. A mark only ever grows while anyone is in flight, so one writer's
 * "done" never shortens another's protection.
 */

const HELPERS = `
local function isMark(v) return v and string.sub(v, 1, 1) == '!' end
-- Adds writer id to the mark at k, holding it at least holdMs.
local function mark(k, id, holdMs)
  local v = redis.call('GET', k)
  local ids, ttl = ',', holdMs
  if isMark(v) then
    ids = string.sub(v, 2)
    ttl = math.max(holdMs, redis.call('PTTL', k))
  end
  redis.call('SET', k, '!' .. ids .. id .. ',', 'PX', ttl)
end
-- Removes writer id; the last one out leaves an empty mark for settleMs. Whatever
-- else is there (an entry filled after a lapsed hold) is overwritten.
local function unmark(k, id, settleMs)
  local v = redis.call('GET', k)
  local rest = ','
  if isMark(v) then
    local ids = string.sub(v, 2)
    local s, e = string.find(ids, ',' .. id .. ',', 1, true)
    if s then rest = string.sub(ids, 1, s) .. string.sub(ids, e + 1) else rest = ids end
  end
  if rest == ',' then
    redis.call('SET', k, '!,', 'PX', settleMs)
  else
    redis.call('SET', k, '!' .. rest, 'PX', math.max(settleMs, redis.call('PTTL', k)))
  end
end
-- Drops every cached entry listed in a user's index (not the marks of other writers), and the index.
local function dropUser(index)
  for _, m in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    if not isMark(redis.call('GET', m)) then redis.call('DEL', m) end
  end
  redis.call('DEL', index)
end
`;

/**
 * Applies `step` (mark or unmark) to every target and drops the users'
 * entries. KEYS: n pairs (user hold, user index), then entry keys. ARGV: n,
 * writer id, ms (the hold for mark, the settle time for unmark).
 */
const change = (step: 'mark' | 'unmark') => `
local n, id, ms = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
for i = 1, 2 * n, 2 do
  ${step}(KEYS[i], id, ms)
  dropUser(KEYS[i + 1])
end
for i = 2 * n + 1, #KEYS do ${step}(KEYS[i], id, ms) end
return 1
`;

/**
 * A read-through fill. KEYS: entry, epoch, then pairs (user hold, user index)
 * of every user in the value. ARGV: value, entry ttl ms, read start (Redis ms),
 * fill window ms, settle ms. Written only when the read began at most the
 * window ago (on Redis's clock, so no app clock or network delay counts), no
 * user in it is held, and nothing (an entry or a mark) is at the key.
 *
 * And only when Redis has kept its data for the settle time. The marks are
 * what refuses a stale fill; a Redis that lost them (a restart without
 * persistence, a failover to an empty replica, a FLUSH) would take, within
 * the window, a fill read before a revocation it no longer remembers. The
 * epoch key (no TTL) goes with the rest: the first fill to find it missing
 * sets it to now, and no fill is written until the settle time has passed
 * since, when every read from before the loss is too old to fill.
 */
const FILL = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  redis.call('SET', KEYS[2], now)
  return 0
end
if now - tonumber(epoch) < tonumber(ARGV[5]) then return 0 end
if now - tonumber(ARGV[3]) > tonumber(ARGV[4]) then return 0 end
for i = 3, #KEYS, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 then return 0 end
end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
-- Each index is scored by its entries' expiry: expired ones go at every fill, and it lives
-- as long as its longest-lived entry, so it stays bounded with no sweeper.
local ttl = tonumber(ARGV[2])
for i = 4, #KEYS, 2 do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  redis.call('ZADD', KEYS[i], now + ttl, KEYS[1])
  extend(KEYS[i], ttl)
end
return 1
`;

/** Before a change. */
export const MARK_SCRIPT = luaScript(HELPERS + change('mark'));
/** After a change, committed or failed; dropping the users' entries again catches a fill that landed if the hold lapsed. */
export const UNMARK_SCRIPT = luaScript(HELPERS + change('unmark'));
export const FILL_SCRIPT = luaScript(HELPERS + FILL);
