import { afterAll, describe, expect, it } from 'vitest';
import { ServiceUnavailableError, type JwtOutstandingRecord, type UserId, type UserStore } from '@authbench/core';
import {
  MemoryUsers,
  describeExternalUsersConformance,
  describeJwtStoreConformance,
  describeSessionStoreConformance,
  describeThrottleStoreConformance,
  startTcpProxy,
} from '@authbench/store-conformance';
import { openSqliteStore } from '@authbench/store-sqlite';
import { connectRedis, type RedisClient } from '../src/client.js';
import { redisJwtStore } from '../src/jwt.js';
import { deleteMatching } from '../src/scripts.js';
import { redisSessionStore } from '../src/sessions.js';
import { redisThrottleStore } from '../src/throttle.js';

/**
 * The Redis this machine runs on its standard loopback port. Without it the
 * file is skipped with the reason printed, except under CI=true, where a
 * missing server fails the run. Other tests share this Redis at the same
 * time: every store here gets a prefix of its own, deleted key by key after
 * use (never FLUSHDB).
 */
const URL_ = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
// Printed without its password, if it has one.
const SHOWN = URL_.replace(/\/\/[^@/]*@/, '//***@');
const RUN = `t:${process.pid}:${Date.now().toString(36)}`;

async function connectOrReason(): Promise<RedisClient | string> {
  try {
    return await connectRedis(URL_);
  } catch (error) {
    return (error as Error).message || String(error);
  }
}

const connected = await connectOrReason();
const unreachable = typeof connected === 'string' ? connected : null;
if (unreachable && process.env['CI'] === 'true') throw new Error(`Redis at ${SHOWN} does not answer (${unreachable}); CI needs it`);
if (unreachable) console.warn(`store-redis tests skipped: Redis at ${SHOWN} does not answer (${unreachable})`);
const client = typeof connected === 'string' ? null : connected;
const redis = (): RedisClient => client!;

let counter = 0;
const nextPrefix = () => `${RUN}:${counter++}:`;
const dropPrefix = (prefix: string) => deleteMatching(redis(), `${prefix}*`);

afterAll(async () => {
  if (!client) return;
  await deleteMatching(client, `${RUN}:*`);
  await client.close();
});

/** SQLite's users, whose `delete` also runs the cascade the Redis side cannot run by itself. */
function usersWithCascade(users: UserStore, onDelete: (userId: UserId) => Promise<unknown>): UserStore {
  return {
    ...users,
    async delete(id) {
      const deleted = await users.delete(id);
      if (deleted) await onDelete(id);
      return deleted;
    },
  };
}

function openJwt(prefix = nextPrefix(), on: RedisClient = redis()) {
  const sqlite = openSqliteStore(':memory:');
  const jwt = redisJwtStore(on, { prefix });
  return {
    users: usersWithCascade(sqlite.users, (id) => jwt.deleteUser(id)),
    jwt,
    prefix,
    async close() {
      sqlite.close();
      await dropPrefix(prefix);
    },
  };
}

function openSessions(prefix = nextPrefix(), on: RedisClient = redis()) {
  const sqlite = openSqliteStore(':memory:');
  const sessions = redisSessionStore(on, sqlite.users, { prefix });
  return {
    users: usersWithCascade(sqlite.users, (id) => sessions.destroyByUser(id)),
    sessions,
    prefix,
    async close() {
      sqlite.close();
      await dropPrefix(prefix);
    },
  };
}

/** Every key under the prefix with its TTL in ms (-1: none). */
async function ttls(prefix: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for await (const keys of redis().scanIterator({ MATCH: `${prefix}*`, COUNT: 200 })) {
    for (const key of keys) out[key.slice(prefix.length)] = await redis().pTTL(key);
  }
  return out;
}

const T0 = '2026-11-22T10:00:00.000Z';
const T1 = '2026-11-22T11:00:00.000Z';
const DAY1 = '2026-11-23T10:00:00.000Z';
const DAY2 = '2026-11-24T10:00:00.000Z';
const HOUR = 3_600_000;
const token = (jti: string, loginId: string, userId: UserId, expiresAt = DAY1, createdAt = T0): JwtOutstandingRecord => ({
  jti, loginId, userId, createdAt, expiresAt,
});
const login = (id: string, userId: UserId, expiresAt = DAY1) => ({
  id, userId, created: T0, client: 'ua', expiresAt, lastRefreshed: null, revokedAt: null,
});

describe.skipIf(unreachable !== null)('Redis', () => {
  describeJwtStoreConformance('Redis', async () => openJwt());
  describeSessionStoreConformance('Redis', async () => openSessions());
  describeThrottleStoreConformance('Redis', async () => {
    const prefix = nextPrefix();
    return { throttle: redisThrottleStore(redis(), { prefix }), close: async () => void (await dropPrefix(prefix)) };
  });

  for (const ids of ['number', 'string'] as const) {
    describeExternalUsersConformance(
      'Redis',
      async (users) => {
        const prefix = nextPrefix();
        return {
          jwt: redisJwtStore(redis(), { prefix }),
          sessions: redisSessionStore(redis(), users, { prefix }),
          close: async () => void (await dropPrefix(prefix)),
        };
      },
      { ids, suites: ['jwt', 'sessions'] },
    );
  }

  describe('user ids in keys', () => {
    // A quote, a backslash, a slash (which Lua's cjson would escape), a newline, a tab, a control
    // character, DEL and a snowman: the index key the Lua side builds must be the one JS builds.
    const ODD = 'we"ird\\/id\n\t\u0001\u007f\u2603';

    it('names a user by the JSON of their id, so 42, "42" and any string each have their own index, also as Lua rebuilds it', async () => {
      const prefix = nextPrefix();
      const users = new MemoryUsers('string');
      const jwt = redisJwtStore(redis(), { prefix });
      const sessions = redisSessionStore(redis(), users, { prefix });
      try {
        const ids: UserId[] = [42, '42', ODD];
        for (const [i, id] of ids.entries()) {
          await users.seed({ username: `user${i}`, password: 'x', isActive: true, id });
          await jwt.createLogin(login(`L${i}`, id), token(`J${i}`, `L${i}`, id));
          await sessions.set({ sid: `s${i}`, userId: id, data: '{}', expires: DAY1, created: T0, client: 'ua', lastUsed: T0 });
        }
        const perUser = Object.keys(await ttls(prefix)).filter((key) => /^(jwt:user|sess-user):/.test(key));
        expect(new Set(perUser)).toEqual(
          new Set(['jwt:user:42', 'jwt:user:"42"', `jwt:user:${JSON.stringify(ODD)}`, 'sess-user:42', 'sess-user:"42"', `sess-user:${JSON.stringify(ODD)}`]),
        );
        for (const [i, id] of ids.entries()) {
          expect((await jwt.listLogins(id, T0)).map((l) => [l.id, l.userId])).toEqual([[`L${i}`, id]]);
          expect((await sessions.listByUser(id, T0)).map((s) => [s.sid, s.userId])).toEqual([[`s${i}`, id]]);
        }
        // A touch indexes the session again from the userId Lua decodes: the same key.
        await sessions.touch('s2', DAY2, T1);
        expect(await redis().zScore(`${prefix}sess-user:${JSON.stringify(ODD)}`, 's2')).toBe(Date.parse(DAY2));
        // The sweep drops an expired session from its user's index, by the key Lua builds.
        await sessions.set({ sid: 'gone', userId: ODD, data: '{}', expires: T1, created: T0, client: 'ua', lastUsed: T0 });
        expect(await sessions.deleteExpired(T1, 10)).toBe(1);
        expect(await redis().zRange(`${prefix}sess-user:${JSON.stringify(ODD)}`, 0, -1)).toEqual(['s2']);
        expect(await sessions.destroyByUser('42')).toBe(1);
        expect(await sessions.listByUser(42, T0)).toHaveLength(1);
        expect(await jwt.deleteUser(ODD)).toBe(1);
        expect(await jwt.listLogins('42', T0)).toHaveLength(1);
      } finally {
        await dropPrefix(prefix);
      }
    });

    it('keeps a number id\u2019s keys as they were before string ids: its digits', async () => {
      const prefix = nextPrefix();
      const sessions = redisSessionStore(redis(), new MemoryUsers('number'), { prefix });
      try {
        await sessions.set({ sid: 's1', userId: 7, data: '{}', expires: DAY1, created: T0, client: 'ua', lastUsed: T0 });
        expect(await redis().zRange(`${prefix}sess-user:7`, 0, -1)).toEqual(['s1']);
        await expect(sessions.set({ sid: 's2', userId: 7.5, data: '{}', expires: DAY1, created: T0, client: 'ua', lastUsed: T0 })).rejects.toThrow(
          /a number user id must be a whole number, got 7\.5/,
        );
      } finally {
        await dropPrefix(prefix);
      }
    });
  });

  it('a throttle counter and its index carry a TTL of what is left of the counter', async () => {
    const prefix = nextPrefix();
    const throttle = redisThrottleStore(redis(), { prefix });
    await throttle.recordFailure('u:alice', Date.UTC(2026, 10, 22), 900);
    const found = await ttls(prefix);
    expect(Object.keys(found).sort()).toEqual(['throttle-expiry', 'throttle:u:alice']);
    for (const ms of Object.values(found)) expect(ms).toBeGreaterThan(890_000);
    for (const ms of Object.values(found)) expect(ms).toBeLessThanOrEqual(900_000);
    await dropPrefix(prefix);
  });

  describe('key lifetimes', () => {
    it('gives every jwt key a TTL of the record’s remaining lifetime, through login, rotation and revocation', async () => {
      const store = openJwt();
      try {
        await store.jwt.createLogin(login('L1', 7), token('L1-1', 'L1', 7));
        await store.jwt.createLogin(login('L2', 7, T1), token('L2-1', 'L2', 7, T1));
        let keys = await ttls(store.prefix);
        expect(Object.keys(keys).sort()).toEqual([
          'jwt:expiry:logins', 'jwt:expiry:tokens', 'jwt:jtis:L1', 'jwt:jtis:L2', 'jwt:login:L1', 'jwt:login:L2',
          'jwt:out:L1-1', 'jwt:out:L2-1', 'jwt:user:7',
        ]);
        // A day from T0 to DAY1, an hour to T1; the indexes as long as their longest member.
        expect(keys['jwt:login:L1']).toBeGreaterThan(24 * HOUR - 60_000);
        expect(keys['jwt:login:L1']).toBeLessThanOrEqual(24 * HOUR);
        expect(keys['jwt:out:L2-1']).toBeLessThanOrEqual(HOUR);
        expect(keys['jwt:out:L2-1']).toBeGreaterThan(HOUR - 60_000);
        expect(keys['jwt:user:7']).toBeGreaterThan(24 * HOUR - 60_000);

        // Rotated at T1 to a token expiring DAY2: the login now lives 47 hours more, the spent token keeps its own.
        expect(await store.jwt.rotate('L1-1', token('L1-2', 'L1', 7, DAY2, T1), T1)).toBe('spent');
        await store.jwt.blacklist('L2-1', T1);
        await store.jwt.revokeLogin(7, 'L2', T1);
        keys = await ttls(store.prefix);
        expect(keys['jwt:login:L1']).toBeGreaterThan(47 * HOUR - 60_000);
        expect(keys['jwt:out:L1-2']).toBeGreaterThan(47 * HOUR - 60_000);
        expect(keys['jwt:out:L1-1']).toBeLessThanOrEqual(24 * HOUR);
        expect(keys['jwt:out:L2-1']).toBeLessThanOrEqual(HOUR);
        expect(keys['jwt:login:L2']).toBeLessThanOrEqual(HOUR);
        for (const [key, ttl] of Object.entries(keys)) expect([key, ttl > 0]).toEqual([key, true]);

        await store.jwt.revokeAllLogins(7, T1);
        expect(Object.values(await ttls(store.prefix)).every((ttl) => ttl > 0)).toBe(true);
      } finally {
        await store.close();
      }
    });

    it('gives every session key a TTL of expires − last write, and a touch moves it', async () => {
      const store = openSessions();
      try {
        const { id } = await store.users.create({ username: 'carol', email: '', passwordHash: 'x' });
        const record = { sid: 's1', userId: id, data: '{"a":"b/c"}', expires: T1, created: T0, client: 'ua', lastUsed: T0 };
        await store.sessions.set(record);
        await store.sessions.set({ ...record, sid: 'anon', userId: null, expires: DAY1 });
        let keys = await ttls(store.prefix);
        expect(Object.keys(keys).sort()).toEqual(['sess-expiry', `sess-user:${id}`, 'sess:anon', 'sess:s1']);
        expect(keys['sess:s1']).toBeLessThanOrEqual(HOUR);
        expect(keys['sess:s1']).toBeGreaterThan(HOUR - 60_000);
        expect(keys['sess-expiry']).toBeGreaterThan(24 * HOUR - 60_000);

        await store.sessions.touch('s1', DAY2, T1);
        keys = await ttls(store.prefix);
        expect(keys['sess:s1']).toBeGreaterThan(47 * HOUR - 60_000);
        expect(keys[`sess-user:${id}`]).toBeGreaterThan(47 * HOUR - 60_000);
        expect(Object.values(keys).every((ttl) => ttl > 0)).toBe(true);
        // The touch rewrote the JSON in Lua: connect-redis still reads it, data intact.
        expect((await store.sessions.get('s1', T1))?.data).toBe('{"a":"b/c"}');
        expect((await store.sessions.listByUser(id, T1)).map((s) => s.expires)).toEqual([DAY2]);

        // A touch never writes a destroyed session back.
        await store.sessions.destroy('s1');
        await store.sessions.touch('s1', DAY2, T1);
        expect(await redis().exists(`${store.prefix}sess:s1`)).toBe(0);
      } finally {
        await store.close();
      }
    });

    it('writes a session with its index in one script, the index first: a failed write leaves no session outside it', async () => {
      const store = openSessions();
      try {
        const { id } = await store.users.create({ username: 'dave', email: '', passwordHash: 'x' });
        const record = { sid: 's1', userId: id, data: '{}', expires: DAY1, created: T0, client: 'ua', lastUsed: T0 };
        // A session written before its index entry would survive logout-all and a password change if the
        // entry failed. Something not a sorted set where the user's index goes makes the entry fail:
        await redis().set(`${store.prefix}sess-user:${id}`, 'not an index');
        const error = await store.sessions.set(record).then(() => null, (reason: unknown) => reason);
        expect((error as Error).message).toMatch(/^WRONGTYPE/);
        expect(error).not.toBeInstanceOf(ServiceUnavailableError); // a fault of the data, not an outage
        expect(await redis().exists(`${store.prefix}sess:s1`)).toBe(0);

        await redis().del(`${store.prefix}sess-user:${id}`);
        await store.sessions.set(record);
        expect(await store.sessions.destroyByUser(id)).toBe(1);
        expect(await store.sessions.get('s1', T1)).toBeNull();
      } finally {
        await store.close();
      }
    });

    it('lists a user’s sessions only while they are theirs, pruning the index', async () => {
      const store = openSessions();
      try {
        const base = { data: '{}', expires: DAY1, created: T0, client: 'ua', lastUsed: T0 };
        await store.sessions.set({ ...base, sid: 's1', userId: 1 });
        await store.sessions.set({ ...base, sid: 's2', userId: 1 });
        await store.sessions.set({ ...base, sid: 's2', userId: 2 }); // the same session, now someone else's
        await redis().del(`${store.prefix}sess:s1`); // as if Redis had expired it
        await redis().zAdd(`${store.prefix}sess-user:1`, { score: Date.parse(DAY1), value: 's2' });
        expect(await store.sessions.listByUser(1, T1)).toEqual([]);
        expect(await redis().zCard(`${store.prefix}sess-user:1`)).toBe(0);
        expect(await store.sessions.destroyByUser(1)).toBe(0);
        expect((await store.sessions.listByUser(2, T1)).map((s) => s.sid)).toEqual(['s2']);
      } finally {
        await store.close();
      }
    });
  });

  describe('bounded indexes, with no sweeper', () => {
    const at = (hours: number) => new Date(Date.parse(T0) + hours * HOUR).toISOString();

    it('a login refreshed for two days keeps only its live jtis, with the TTL of the newest', async () => {
      const store = openJwt();
      try {
        // Refresh tokens of 90 minutes rotated every hour: at each rotation the one before last has expired.
        await store.jwt.createLogin(login('L1', 1, at(1.5)), token('L1-0', 'L1', 1, at(1.5)));
        for (let i = 1; i <= 48; i++) {
          expect(await store.jwt.rotate(`L1-${i - 1}`, token(`L1-${i}`, 'L1', 1, at(i + 1.5), at(i)), at(i))).toBe('spent');
        }
        const jtis = `${store.prefix}jwt:jtis:L1`;
        expect(await redis().zRangeWithScores(jtis, 0, -1)).toEqual([
          { value: 'L1-47', score: Date.parse(at(48.5)) },
          { value: 'L1-48', score: Date.parse(at(49.5)) },
        ]);
        expect(await redis().pTTL(jtis)).toBeGreaterThan(1.5 * HOUR - 60_000);
        expect(await redis().pTTL(jtis)).toBeLessThanOrEqual(1.5 * HOUR);
        expect((await store.jwt.listLogins(1, at(48))).map((l) => [l.id, l.expiresAt])).toEqual([['L1', at(49.5)]]);
        // Deleting the login still takes every token it has along.
        expect(await store.jwt.deleteUser(1)).toBe(1);
        expect(await store.jwt.isRefreshUsable('L1-48')).toBe(false);
        expect(await redis().exists([`${store.prefix}jwt:out:L1-48`, `${store.prefix}jwt:out:L1-47`, jtis])).toBe(0);
      } finally {
        await store.close();
      }
    });

    it('a user’s logins and sessions index drops those that expired when it is next written', async () => {
      const jwtStore = openJwt();
      const sessionStore = openSessions();
      try {
        // A day of hour-long logins and sessions, half the sessions logged out, all run their course...
        for (let i = 0; i < 24; i++) {
          await jwtStore.jwt.createLogin({ ...login(`L${i}`, 1, at(i + 1)), created: at(i) }, token(`L${i}-1`, `L${i}`, 1, at(i + 1), at(i)));
          const session = { sid: `s${i}`, userId: 1, data: '{}', expires: at(i + 1), created: at(i), client: 'ua', lastUsed: at(i) };
          await sessionStore.sessions.set(session);
          if (i % 2 === 0) await sessionStore.sessions.destroy(`s${i}`);
        }
        // ...then the next login and session: the indexes hold only what is live at 24:00.
        await jwtStore.jwt.createLogin({ ...login('L24', 1, at(48)), created: at(24) }, token('L24-1', 'L24', 1, at(48), at(24)));
        await sessionStore.sessions.set({ sid: 's24', userId: 1, data: '{}', expires: at(48), created: at(24), client: 'ua', lastUsed: at(24) });
        expect(await redis().zRange(`${jwtStore.prefix}jwt:user:1`, 0, -1)).toEqual(['L24']);
        expect(await redis().zRange(`${sessionStore.prefix}sess-user:1`, 0, -1)).toEqual(['s24']);
        // A touch is a write too: at 48:30 the session it moves is all that is left.
        await sessionStore.sessions.set({ sid: 's25', userId: 1, data: '{}', expires: at(48.5), created: at(24), client: 'ua', lastUsed: at(24) });
        await sessionStore.sessions.touch('s24', at(72), at(48.5));
        expect(await redis().zRange(`${sessionStore.prefix}sess-user:1`, 0, -1)).toEqual(['s24']);
      } finally {
        await jwtStore.close();
        await sessionStore.close();
      }
    });
  });

  describe('housekeeping', () => {
    it('flushes index entries of records Redis already expired, and leaves no key behind', async () => {
      const jwtStore = openJwt();
      const sessionStore = openSessions();
      try {
        await jwtStore.jwt.createLogin(login('L1', 1, T1), token('L1-1', 'L1', 1, T1));
        await sessionStore.sessions.set({ sid: 's1', userId: null, data: '{}', expires: T1, created: T0, client: 'ua', lastUsed: T0 });
        // As if their TTLs had run out: only the indexes still name them.
        await redis().del([`${jwtStore.prefix}jwt:login:L1`, `${jwtStore.prefix}jwt:out:L1-1`, `${sessionStore.prefix}sess:s1`]);
        expect(await jwtStore.jwt.deleteExpired(DAY1, 10)).toBe(1);
        expect(await sessionStore.sessions.deleteExpired(DAY1, 10)).toBe(1);
        expect(await ttls(jwtStore.prefix)).toEqual({ 'jwt:user:1': expect.any(Number) });
        expect(await jwtStore.jwt.revokeAllLogins(1, DAY1)).toBe(0); // prunes the user's index too
        expect(await ttls(jwtStore.prefix)).toEqual({});
        expect(await ttls(sessionStore.prefix)).toEqual({});
      } finally {
        await jwtStore.close();
        await sessionStore.close();
      }
    });
  });

  describe('several instances', () => {
    it('of concurrent rotations of one token from two clients exactly one spends it', async () => {
      const other = await connectRedis(URL_);
      const prefix = nextPrefix();
      const a = openJwt(prefix);
      const b = openJwt(prefix, other);
      try {
        for (let round = 0; round < 20; round++) {
          await a.jwt.createLogin(login(`L${round}`, 1), token(`L${round}-1`, `L${round}`, 1));
          const results = await Promise.all([
            a.jwt.rotate(`L${round}-1`, token(`L${round}-a`, `L${round}`, 1, DAY2, T1), T1),
            b.jwt.rotate(`L${round}-1`, token(`L${round}-b`, `L${round}`, 1, DAY2, T1), T1),
          ]);
          expect(results.sort()).toEqual(['reused', 'spent']);
          expect(await b.jwt.isLoginLive(`L${round}`)).toBe(false);
        }
      } finally {
        await a.close();
        await b.close();
        await other.close();
      }
    });
  });

  describe('a dropped connection', () => {
    it('is a 503, and the store works again once Redis is back, without reconnecting by hand', async () => {
      const target = new URL(URL_);
      const proxy = await startTcpProxy(Number(target.port || 6379), target.hostname);
      const proxied = new URL(URL_);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(proxy.port);
      const through = await connectRedis(proxied.toString());
      const jwtStore = openJwt(nextPrefix(), through);
      const sessionStore = openSessions(nextPrefix(), through);
      try {
        await jwtStore.jwt.createLogin(login('L1', 1), token('L1-1', 'L1', 1));
        expect(await jwtStore.jwt.isLoginLive('L1')).toBe(true);

        proxy.cut();
        await expect(jwtStore.jwt.isLoginLive('L1')).rejects.toBeInstanceOf(ServiceUnavailableError);
        await expect(jwtStore.jwt.rotate('L1-1', token('L1-2', 'L1', 1), T1)).rejects.toBeInstanceOf(ServiceUnavailableError);
        await expect(sessionStore.sessions.get('s1', T0)).rejects.toBeInstanceOf(ServiceUnavailableError);
        await expect(sessionStore.sessions.listByUser(1, T0)).rejects.toMatchObject({ status: 503 });
        const session = { sid: 's1', userId: 1, data: '{}', expires: DAY1, created: T0, client: 'ua', lastUsed: T0 };
        await expect(sessionStore.sessions.set(session)).rejects.toBeInstanceOf(ServiceUnavailableError);

        proxy.restore();
        const deadline = Date.now() + 5000;
        for (;;) {
          try {
            expect(await jwtStore.jwt.isLoginLive('L1')).toBe(true);
            break;
          } catch (error) {
            if (!(error instanceof ServiceUnavailableError) || Date.now() > deadline) throw error;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
        expect(await jwtStore.jwt.rotate('L1-1', token('L1-2', 'L1', 1, DAY2, T1), T1)).toBe('spent');
        expect(await sessionStore.sessions.get('s1', T0)).toBeNull();
      } finally {
        await jwtStore.close();
        await sessionStore.close();
        through.destroy();
        await proxy.close();
      }
    });
  });

  it('refuses a prefix that SCAN would read as a pattern', () => {
    expect(() => redisJwtStore(redis(), { prefix: 'a*' })).toThrow(/options\.prefix/);
    expect(() => redisSessionStore(redis(), openSqliteStore(':memory:').users, { prefix: 'a[' })).toThrow(/options\.prefix/);
  });
});
