import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ServiceUnavailableError,
  type KnoxTokenRecord,
  type KnoxTokenStore,
  type TokenStore,
  type User,
  type UserStore,
} from '@authbench/core';
import { MemoryUsers, describeExternalUsersConformance, describeStoreConformance, startTcpProxy, type TcpProxy } from '@authbench/store-conformance';
import { openPostgresStore, type PostgresStore } from '@authbench/store-postgres';
import { withRedisCache, type CachedStores, type RedisCacheOptions } from '../src/cache.js';
import { connectRedis, type RedisClient } from '../src/client.js';

/**
 * The real PostgreSQL and Redis of this machine, on their standard loopback
 * ports. Without them the file is skipped with the reason printed, except
 * under CI=true, where a missing server fails the run. Both are shared with
 * tests running at the same time: every test has its own schema and key
 * prefix, and only those are removed afterwards (never FLUSHDB).
 */
const PG_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const RUN = `c${process.pid}_${Date.now().toString(36)}`;
const KEY_ROOT = `authbench:test:${RUN}:`;

const schemas: string[] = [];
let admin: PostgresStore | undefined;
let redisAdmin: RedisClient | undefined;

async function probe(): Promise<string | null> {
  try {
    redisAdmin = await connectRedis(REDIS_URL, { connectTimeoutMs: 3000 });
  } catch (error) {
    return `Redis at ${REDIS_URL} does not answer (${(error as Error).message})`;
  }
  try {
    const schema = `${RUN}_admin`;
    schemas.push(schema);
    admin = await openPostgresStore(PG_URL, { schema, poolSize: 1 });
  } catch (error) {
    return `PostgreSQL at ${PG_URL} does not answer (${(error as Error).message})`;
  }
  return null;
}

const unreachable = await probe();
if (unreachable && process.env['CI'] === 'true') throw new Error(`${unreachable}; CI needs it`);
if (unreachable) console.warn(`store-redis cache tests skipped: ${unreachable}`);

const clients: RedisClient[] = [];
const proxies: TcpProxy[] = [];
const pgStores: PostgresStore[] = [];

afterAll(async () => {
  for (const proxy of proxies) await proxy.close();
  for (const client of clients) client.destroy();
  for (const store of pgStores) await store.close().catch(() => {});
  if (redisAdmin) {
    for await (const keys of redisAdmin.scanIterator({ MATCH: `${KEY_ROOT}*`, COUNT: 500 })) {
      if (keys.length > 0) await redisAdmin.del(keys);
    }
    redisAdmin.destroy();
  }
  if (admin) {
    // A few schemas per statement: one commit each, and few enough locks for one transaction.
    for (let i = 0; i < schemas.length; i += 10) await admin.pool.query(`DROP SCHEMA IF EXISTS ${schemas.slice(i, i + 10).join(', ')} CASCADE`);
    await admin.close();
  }
});

let counter = 0;
const nextPrefix = () => `${KEY_ROOT}${counter++}:`;

/**
 * A prefix whose cache has held its data for long: its epoch is long past.
 * A new one (or one whose Redis lost its data) fills nothing for the settle
 * time, which the tests of hits would otherwise have to wait out.
 */
async function settledPrefix(): Promise<string> {
  const prefix = nextPrefix();
  await redisAdmin!.set(`${prefix}epoch`, '0');
  return prefix;
}

async function freshDatabase(): Promise<PostgresStore> {
  const schema = `${RUN}_${schemas.length}`;
  schemas.push(schema);
  const store = await openPostgresStore(PG_URL, { schema, poolSize: 4 });
  pgStores.push(store);
  return store;
}

async function redis(url = REDIS_URL): Promise<RedisClient> {
  const client = await connectRedis(url);
  clients.push(client);
  return client;
}

// A short fill window keeps the settle time (window + 1 s) short enough to wait out in a test.
const WINDOW_MS = 300;
const SETTLE_MS = WINDOW_MS + 1000;

const KEY_A = 'a'.repeat(40);
const KEY_B = '0123456789abcdef0123456789abcdef01234567';
const NOW = new Date().toISOString();
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Counts the inner hot-path reads, so a test can tell a cache hit from a database read. */
function counted(store: PostgresStore) {
  const reads = { token: 0, knox: 0 };
  const tokens: TokenStore = { ...store.tokens, findUserByKey: (key) => (reads.token++, store.tokens.findUserByKey(key)) };
  const knoxTokens: KnoxTokenStore = {
    ...store.knoxTokens,
    findByTokenKey: (key) => (reads.knox++, store.knoxTokens.findByTokenKey(key)),
  };
  return { reads, stores: { users: store.users, tokens, knoxTokens } };
}

const knox = (tokenKey: string, user: User, overrides: Partial<KnoxTokenRecord> = {}): KnoxTokenRecord => ({
  tokenKey,
  digest: createHash('sha512').update(`${user.id}/${tokenKey}`).digest('hex'),
  userId: user.id,
  created: NOW,
  expiry: new Date(Date.now() + 3_600_000).toISOString(),
  client: 'test',
  lastUsed: null,
  ...overrides,
});
const unlimited = { max: null, now: NOW };
const KNOX_KEY = '0123456789abcde';

describe.skipIf(unreachable !== null)('Redis cache in front of PostgreSQL', () => {
  describeStoreConformance('PostgreSQL + Redis cache', async () => {
    const store = await freshDatabase();
    const client = await redis();
    return { ...withRedisCache(store, client, { prefix: nextPrefix() }), close: () => store.close() };
  });

  /** An external-users PostgreSQL store in a schema of its own, closed after the run. */
  async function freshExternal(users: MemoryUsers) {
    const schema = `${RUN}_${schemas.length}`;
    schemas.push(schema);
    const store = await openPostgresStore(PG_URL, { schema, poolSize: 4, users });
    pgStores.push(store);
    return store;
  }

  for (const ids of ['number', 'string'] as const) {
    describeExternalUsersConformance(
      'PostgreSQL + Redis cache',
      async (users) => {
        const store = await freshExternal(users);
        const cache = withRedisCache({ tokens: store.tokens, knoxTokens: store.knoxTokens }, await redis(), { prefix: nextPrefix() });
        // What the application does after changing one of its users.
        users.whenChanged((id) => cache.invalidateUser(id));
        return { tokens: cache.tokens, knoxTokens: cache.knoxTokens, close: () => store.close() };
      },
      { ids, suites: ['tokens'] },
    );
  }

  describe('external users', () => {
    it('keeps a user as read until the application calls invalidateUser, then reads afresh; ids keep their type', async () => {
      const users = new MemoryUsers('string');
      const store = await freshExternal(users);
      const prefix = await settledPrefix();
      const inner = counted(store);
      const cache = withRedisCache({ tokens: inner.stores.tokens, knoxTokens: inner.stores.knoxTokens }, await redis(), { prefix, fillWindowMs: WINDOW_MS });
      expect('users' in cache).toBe(false);
      const alice = await users.seed({ username: 'alice', password: 'x', isActive: true, id: '42' });
      await store.tokens.getOrCreate({ key: KEY_A, userId: '42', created: NOW });
      expect(await cache.tokens.findUserByKey(KEY_A)).toEqual(alice);
      expect(await cache.tokens.findUserByKey(KEY_A)).toEqual(alice);
      expect(inner.reads.token).toBe(1);
      expect(await redisAdmin!.zRange(`${prefix}entries:"42"`, 0, -1)).toEqual([`${prefix}token:${sha256(KEY_A)}`]);

      // Deactivated in the application's own table: nothing here saw it.
      await users.setActive('42', false);
      expect((await cache.tokens.findUserByKey(KEY_A))?.isActive).toBe(true);
      await cache.invalidateUser('42');
      expect(await cache.tokens.findUserByKey(KEY_A)).toEqual({ ...alice, isActive: false });
      expect(inner.reads.token).toBe(2);
      // The user 42 (a number) is someone else: invalidating them leaves "42"'s entries alone.
      await sleep(SETTLE_MS + 200);
      await cache.tokens.findUserByKey(KEY_A);
      await cache.invalidateUser(42);
      expect(await redisAdmin!.exists(`${prefix}token:${sha256(KEY_A)}`)).toBe(1);
    });
  });

  const get = (key: string) => redisAdmin!.get(key);

  /** Two app instances: one database, one Redis, two clients and two wrappers. */
  async function twoInstances(options: RedisCacheOptions = {}) {
    const store = await freshDatabase();
    const prefix = await settledPrefix();
    const inner = counted(store);
    const a = withRedisCache(inner.stores, await redis(), { prefix, fillWindowMs: WINDOW_MS, ...options });
    const b = withRedisCache(store, await redis(), { prefix, fillWindowMs: WINDOW_MS, ...options });
    const user = await b.users.create({ username: 'alice', email: 'alice@example.com', passwordHash: 'x' });
    return { store, prefix, reads: inner.reads, a, b, user };
  }

  describe('several instances: a revocation on B is refused on A as soon as it returns', () => {
    const tokenCases: [string, (b: CachedStores, user: User) => Promise<unknown>, (user: User) => User | null][] = [
      ['token deleteByUser (logout)', (b, u) => b.tokens.deleteByUser(u.id), () => null],
      ['token replace', (b, u) => b.tokens.replace({ key: KEY_B, userId: u.id, created: NOW }), () => null],
      ['user setActive(false)', (b, u) => b.users.setActive(u.id, false), (u) => ({ ...u, isActive: false })],
      ['user delete', (b, u) => b.users.delete(u.id), () => null],
      ['user setPassword', (b, u) => b.users.setPassword(u.id, 'y'), (u) => u],
    ];
    it.each(tokenCases)('token lookup, after %s', async (_, revoke, after) => {
      const { store, prefix, reads, a, b, user } = await twoInstances();
      await store.tokens.getOrCreate({ key: KEY_A, userId: user.id, created: NOW });
      expect(await a.tokens.findUserByKey(KEY_A)).toEqual(user);
      expect(await a.tokens.findUserByKey(KEY_A)).toEqual(user);
      expect(reads.token).toBe(1); // the second came from Redis
      expect(JSON.parse((await get(`${prefix}token:${sha256(KEY_A)}`))!)).toEqual(user);

      await revoke(b, user);
      expect(await a.tokens.findUserByKey(KEY_A)).toEqual(after(user));
      expect(reads.token).toBe(2);
    });

    const knoxCases: [string, (b: CachedStores, user: User) => Promise<unknown>, (user: User, t: KnoxTokenRecord) => unknown[]][] = [
      ['knox delete (logout)', (b, u) => b.knoxTokens.delete(u.id, KNOX_KEY), () => []],
      ['knox deleteAll (logout-all)', (b, u) => b.knoxTokens.deleteAll(u.id), () => []],
      ['user setActive(false)', (b, u) => b.users.setActive(u.id, false), (u, t) => [{ token: t, user: { ...u, isActive: false } }]],
      ['user delete', (b, u) => b.users.delete(u.id), () => []],
      [
        'knox touch (last use and expiry)',
        (b, u) => b.knoxTokens.touch(u.id, KNOX_KEY, NOW, null),
        (u, t) => [{ token: { ...t, lastUsed: NOW, expiry: null }, user: u }],
      ],
    ];
    it.each(knoxCases)('knox lookup, after %s', async (_, revoke, after) => {
      const { store, prefix, reads, a, b, user } = await twoInstances();
      const token = knox(KNOX_KEY, user);
      expect(await store.knoxTokens.create(token, unlimited)).toBe('created');
      expect(await a.knoxTokens.findByTokenKey(KNOX_KEY)).toEqual([{ token, user }]);
      expect(await a.knoxTokens.findByTokenKey(KNOX_KEY)).toEqual([{ token, user }]);
      expect(reads.knox).toBe(1);
      expect(await get(`${prefix}knox:${KNOX_KEY}`)).not.toBeNull();

      await revoke(b, user);
      expect(await a.knoxTokens.findByTokenKey(KNOX_KEY)).toEqual(after(user, token));
      expect(reads.knox).toBe(2);
    });

    it('caches an unknown key briefly, and a creation on B ends that at once', async () => {
      const { store, reads, a, b, user } = await twoInstances();
      expect(await a.tokens.findUserByKey(KEY_B)).toBeNull();
      expect(await a.tokens.findUserByKey(KEY_B)).toBeNull();
      expect(reads.token).toBe(1);
      await b.tokens.getOrCreate({ key: KEY_B, userId: user.id, created: NOW });
      expect(await a.tokens.findUserByKey(KEY_B)).toEqual(user);

      expect(await a.knoxTokens.findByTokenKey(KNOX_KEY)).toEqual([]);
      expect(await a.knoxTokens.findByTokenKey(KNOX_KEY)).toEqual([]);
      expect(reads.knox).toBe(1);
      const token = knox(KNOX_KEY, user);
      await b.knoxTokens.create(token, unlimited);
      expect(await a.knoxTokens.findByTokenKey(KNOX_KEY)).toEqual([{ token, user }]);
    });

    it('a replace on B makes the new key known on A even when A had cached it as unknown', async () => {
      const { store, a, b, user } = await twoInstances();
      await store.tokens.getOrCreate({ key: KEY_A, userId: user.id, created: NOW });
      expect(await a.tokens.findUserByKey(KEY_B)).toBeNull();
      await b.tokens.replace({ key: KEY_B, userId: user.id, created: NOW });
      expect(await a.tokens.findUserByKey(KEY_B)).toEqual(user);
      expect(await a.tokens.findUserByKey(KEY_A)).toBeNull();
    });

    it('caches again once the change has settled, with the new data', async () => {
      const { store, reads, a, b, user } = await twoInstances();
      const token = knox(KNOX_KEY, user);
      await store.knoxTokens.create(token, unlimited);
      await a.knoxTokens.findByTokenKey(KNOX_KEY);
      await b.knoxTokens.touch(user.id, KNOX_KEY, NOW, token.expiry);
      await sleep(SETTLE_MS + 200);
      const touched = [{ token: { ...token, lastUsed: NOW }, user }];
      expect(await a.knoxTokens.findByTokenKey(KNOX_KEY)).toEqual(touched);
      expect(await a.knoxTokens.findByTokenKey(KNOX_KEY)).toEqual(touched);
      expect(reads.knox).toBe(2);
    });

    it('never caches a knox token past its expiry, nor an expired one', async () => {
      const { store, prefix, reads, a, b, user } = await twoInstances();
      await store.knoxTokens.create(knox(KNOX_KEY, user, { expiry: new Date(Date.now() + 30_000).toISOString() }), unlimited);
      await a.knoxTokens.findByTokenKey(KNOX_KEY);
      const ttl = await redisAdmin!.pTTL(`${prefix}knox:${KNOX_KEY}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(29_000);

      await store.knoxTokens.create(knox('expired-0000001', user, { expiry: new Date(Date.now() - 1000).toISOString() }), unlimited);
      await a.knoxTokens.findByTokenKey('expired-0000001');
      await a.knoxTokens.findByTokenKey('expired-0000001');
      expect(reads.knox).toBe(3);
    });
  });

  describe('the race: a read that began before a revocation never fills the cache after it', () => {
    function deferred() {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      return { promise, resolve };
    }

    /** Holds the next hot-path read open after PostgreSQL answered, until the test releases it. */
    function holding(store: PostgresStore) {
      let armed: { read: ReturnType<typeof deferred>; release: ReturnType<typeof deferred> } | null = null;
      const around = async <T>(read: () => Promise<T>): Promise<T> => {
        const hold = armed;
        armed = null;
        const value = await read();
        if (hold) {
          hold.read.resolve();
          await hold.release.promise;
        }
        return value;
      };
      const arm = () => {
        armed = { read: deferred(), release: deferred() };
        return armed;
      };
      const stores = {
        users: store.users,
        tokens: { ...store.tokens, findUserByKey: (key: string) => around(() => store.tokens.findUserByKey(key)) },
        knoxTokens: { ...store.knoxTokens, findByTokenKey: (key: string) => around(() => store.knoxTokens.findByTokenKey(key)) },
      };
      return { arm, stores };
    }

    async function setup() {
      const store = await freshDatabase();
      const prefix = await settledPrefix();
      const held = holding(store);
      const a = withRedisCache(held.stores, await redis(), { prefix, fillWindowMs: WINDOW_MS });
      const b = withRedisCache(store, await redis(), { prefix, fillWindowMs: WINDOW_MS });
      const user = await b.users.create({ username: 'alice', email: '', passwordHash: 'x' });
      return { store, prefix, arm: held.arm, a, b, user };
    }

    it('token: A reads, B logs out, A fills: refused', async () => {
      const { store, prefix, arm, a, b, user } = await setup();
      await store.tokens.getOrCreate({ key: KEY_A, userId: user.id, created: NOW });
      const hold = arm();
      const pending = a.tokens.findUserByKey(KEY_A);
      await hold.read.promise; // PostgreSQL answered "alice" and A has not filled yet
      expect(await b.tokens.deleteByUser(user.id)).toBe(true);
      hold.release.resolve();
      expect(await pending).toEqual(user); // that request was in flight before the logout
      expect(await get(`${prefix}token:${sha256(KEY_A)}`)).toBeNull();
      expect(await a.tokens.findUserByKey(KEY_A)).toBeNull();
    });

    it('user: A reads, B deactivates, A fills: refused', async () => {
      const { store, arm, a, b, user } = await setup();
      await store.tokens.getOrCreate({ key: KEY_A, userId: user.id, created: NOW });
      const hold = arm();
      const pending = a.tokens.findUserByKey(KEY_A);
      await hold.read.promise;
      await b.users.setActive(user.id, false);
      hold.release.resolve();
      await pending;
      expect((await a.tokens.findUserByKey(KEY_A))?.isActive).toBe(false);
    });

    it('knox: A reads, B deletes that token, A fills: refused', async () => {
      const { store, prefix, arm, a, b, user } = await setup();
      await store.knoxTokens.create(knox(KNOX_KEY, user), unlimited);
      const hold = arm();
      const pending = a.knoxTokens.findByTokenKey(KNOX_KEY);
      await hold.read.promise;
      expect(await b.knoxTokens.delete(user.id, KNOX_KEY)).toBe(true);
      hold.release.resolve();
      expect(await pending).toHaveLength(1);
      expect(await get(`${prefix}knox:${KNOX_KEY}`)).toMatch(/^!/); // the mark, not the stale candidates
      expect(await a.knoxTokens.findByTokenKey(KNOX_KEY)).toEqual([]);
    });

    it('unknown key: A reads "none", B creates it, A fills "none": refused', async () => {
      const { store, arm, a, b, user } = await setup();
      const hold = arm();
      const pending = a.tokens.findUserByKey(KEY_B);
      await hold.read.promise;
      await b.tokens.getOrCreate({ key: KEY_B, userId: user.id, created: NOW });
      hold.release.resolve();
      expect(await pending).toBeNull();
      expect(await a.tokens.findUserByKey(KEY_B)).toEqual(user);
    });

    it('even after the settle time: a fill older than the window is not written', async () => {
      const { store, prefix, arm, a, b, user } = await setup();
      await store.tokens.getOrCreate({ key: KEY_A, userId: user.id, created: NOW });
      const hold = arm();
      const pending = a.tokens.findUserByKey(KEY_A);
      await hold.read.promise;
      await b.tokens.deleteByUser(user.id);
      await sleep(SETTLE_MS + 200); // every mark of the logout has expired
      expect(await redisAdmin!.exists([`${prefix}hold:${user.id}`])).toBe(0);
      hold.release.resolve();
      await pending;
      expect(await get(`${prefix}token:${sha256(KEY_A)}`)).toBeNull();
      expect(await a.tokens.findUserByKey(KEY_A)).toBeNull();
    });

    it('a read while the revocation is still writing to PostgreSQL answers from it and fills nothing', async () => {
      const store = await freshDatabase();
      const prefix = await settledPrefix();
      const reached = deferred();
      const release = deferred();
      const slow: TokenStore = {
        ...store.tokens,
        deleteByUser: async (userId) => {
          reached.resolve();
          await release.promise;
          return store.tokens.deleteByUser(userId);
        },
      };
      const inner = counted(store);
      const a = withRedisCache(inner.stores, await redis(), { prefix, fillWindowMs: WINDOW_MS });
      const b = withRedisCache({ ...store, tokens: slow }, await redis(), { prefix, fillWindowMs: WINDOW_MS });
      const user = await b.users.create({ username: 'alice', email: '', passwordHash: 'x' });
      await store.tokens.getOrCreate({ key: KEY_A, userId: user.id, created: NOW });
      expect(await a.tokens.findUserByKey(KEY_A)).toEqual(user);

      const logout = b.tokens.deleteByUser(user.id);
      await reached.promise; // marked in Redis, not yet deleted in PostgreSQL
      expect(await a.tokens.findUserByKey(KEY_A)).toEqual(user);
      expect(await a.tokens.findUserByKey(KEY_A)).toEqual(user);
      expect(inner.reads.token).toBe(3); // both from PostgreSQL: nothing was filled
      release.resolve();
      await logout;
      expect(await a.tokens.findUserByKey(KEY_A)).toBeNull();
    });
  });

  describe('Redis loses its data (a restart without persistence, a failover to an empty replica, a FLUSH)', () => {
    /** The loss, for this test's keys only: the shared server is never flushed. */
    async function loseData(prefix: string) {
      for await (const keys of redisAdmin!.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
        if (keys.length > 0) await redisAdmin!.del(keys);
      }
    }

    it('a read that began before a revocation whose marks were lost does not fill', async () => {
      const store = await freshDatabase();
      const prefix = await settledPrefix();
      let hold: { read: () => void; release: Promise<void> } | null = null;
      const held: TokenStore = {
        ...store.tokens,
        findUserByKey: async (key) => {
          const value = await store.tokens.findUserByKey(key);
          const h = hold;
          hold = null;
          if (h) {
            h.read();
            await h.release;
          }
          return value;
        },
      };
      const a = withRedisCache({ ...store, tokens: held }, await redis(), { prefix, fillWindowMs: WINDOW_MS });
      const b = withRedisCache(store, await redis(), { prefix, fillWindowMs: WINDOW_MS });
      const user = await b.users.create({ username: 'alice', email: '', passwordHash: 'x' });
      await store.tokens.getOrCreate({ key: KEY_A, userId: user.id, created: NOW });

      let release!: () => void;
      const read = new Promise<void>((resolve) => {
        hold = { read: resolve, release: new Promise<void>((r) => (release = r)) };
      });
      const pending = a.tokens.findUserByKey(KEY_A);
      await read; // PostgreSQL answered "alice"; A has not filled yet
      expect(await b.tokens.deleteByUser(user.id)).toBe(true);
      await loseData(prefix); // the logout's marks go with everything else
      release(); // A fills within its window, with nothing left in Redis to refuse it but the epoch
      expect(await pending).toEqual(user);
      expect(await get(`${prefix}token:${sha256(KEY_A)}`)).toBeNull();
      expect(await a.tokens.findUserByKey(KEY_A)).toBeNull();
      expect(Number(await get(`${prefix}epoch`))).toBeGreaterThan(0); // the refused fill set a new epoch
    });

    it('nothing is filled for the settle time after the loss (nor on first use), then the cache fills again', async () => {
      const { store, prefix, reads, a, user } = await twoInstances();
      await store.tokens.getOrCreate({ key: KEY_A, userId: user.id, created: NOW });
      expect(await a.tokens.findUserByKey(KEY_A)).toEqual(user);
      expect(await a.tokens.findUserByKey(KEY_A)).toEqual(user);
      expect(reads.token).toBe(1); // filled, then a hit

      await loseData(prefix);
      expect(await a.tokens.findUserByKey(KEY_A)).toEqual(user);
      expect(await a.tokens.findUserByKey(KEY_A)).toEqual(user);
      expect(reads.token).toBe(3); // both from PostgreSQL
      expect(await get(`${prefix}token:${sha256(KEY_A)}`)).toBeNull();

      await sleep(SETTLE_MS + 200);
      expect(await a.tokens.findUserByKey(KEY_A)).toEqual(user);
      expect(await a.tokens.findUserByKey(KEY_A)).toEqual(user);
      expect(reads.token).toBe(4); // filled again, then a hit
    });
  });

  describe('a user’s index of entries', () => {
    it('holds only entries that have not expired, with the TTL of the longest-lived', async () => {
      const { store, prefix, reads, a, user } = await twoInstances();
      // Five knox tokens that expire in 2.5 s: each entry ends a second before, in 1.5 s at most.
      const soon = new Date(Date.now() + 2500).toISOString();
      const keys = ['short-000000001', 'short-000000002', 'short-000000003', 'short-000000004', 'short-000000005'];
      for (const key of keys) {
        await store.knoxTokens.create(knox(key, user, { expiry: soon }), unlimited);
        expect(await a.knoxTokens.findByTokenKey(key)).toHaveLength(1);
      }
      const index = `${prefix}entries:${user.id}`;
      expect((await redisAdmin!.zRange(index, 0, -1)).sort()).toEqual(keys.map((key) => `${prefix}knox:${key}`));
      expect(reads.knox).toBe(5);

      await sleep(1700);
      await store.tokens.getOrCreate({ key: KEY_A, userId: user.id, created: NOW });
      expect(await a.tokens.findUserByKey(KEY_A)).toEqual(user); // a fill: an entry of 60 s
      expect(await redisAdmin!.zRange(index, 0, -1)).toEqual([`${prefix}token:${sha256(KEY_A)}`]);
      expect(await redisAdmin!.pTTL(index)).toBeGreaterThan(59_000);
      expect(await redisAdmin!.pTTL(index)).toBeLessThanOrEqual(60_000);
    });
  });

  describe('Redis goes away', () => {
    async function cutSetup() {
      const store = await freshDatabase();
      const prefix = await settledPrefix();
      const target = new URL(REDIS_URL);
      const proxy = await startTcpProxy(Number(target.port || 6379), target.hostname);
      proxies.push(proxy);
      const through = new URL(REDIS_URL); // same credentials and database, through the proxy
      through.hostname = '127.0.0.1';
      through.port = String(proxy.port);
      const client = await redis(through.href);
      const inner = counted(store);
      const cache = withRedisCache(inner.stores, client, { prefix, fillWindowMs: WINDOW_MS, timeoutMs: 1000 });
      // Set up in PostgreSQL directly: nothing is cached yet, so nothing to invalidate.
      const alice = await store.users.create({ username: 'alice', email: '', passwordHash: 'x' });
      const bob = await store.users.create({ username: 'bob', email: '', passwordHash: 'x' });
      await store.tokens.getOrCreate({ key: KEY_A, userId: alice.id, created: NOW });
      const token = knox(KNOX_KEY, alice);
      await store.knoxTokens.create(token, unlimited);
      return { store, prefix, proxy, client, cache, reads: inner.reads, alice, bob, token };
    }

    /** Waits until the client has reconnected by itself (its backoff is at most 1 s). */
    async function reconnected(client: RedisClient) {
      for (let i = 0; i < 100; i++) {
        if (await client.ping().then(() => true, () => false)) return;
        await sleep(50);
      }
      throw new Error('the client did not reconnect');
    }

    it('reads answer from PostgreSQL; revocations refuse with 503 and leave PostgreSQL unchanged; then it recovers', async () => {
      const { store, prefix, proxy, client, cache, reads, alice, bob, token } = await cutSetup();
      expect(await cache.tokens.findUserByKey(KEY_A)).toEqual(alice); // cached
      proxy.cut();

      // Reads: every one from PostgreSQL.
      expect(await cache.tokens.findUserByKey(KEY_A)).toEqual(alice);
      expect(await cache.tokens.findUserByKey(KEY_B)).toBeNull();
      expect(await cache.knoxTokens.findByTokenKey(KNOX_KEY)).toEqual([{ token, user: alice }]);
      expect(reads).toEqual({ token: 3, knox: 1 });

      // Writes that must invalidate: 503 before PostgreSQL is touched.
      const refused: [string, () => Promise<unknown>][] = [
        ['token deleteByUser', () => cache.tokens.deleteByUser(alice.id)],
        ['token replace', () => cache.tokens.replace({ key: KEY_B, userId: alice.id, created: NOW })],
        ['token getOrCreate that would create', () => cache.tokens.getOrCreate({ key: KEY_B, userId: bob.id, created: NOW })],
        ['user setActive', () => cache.users.setActive(alice.id, false)],
        ['user setPassword', () => cache.users.setPassword(alice.id, 'y')],
        ['user delete', () => cache.users.delete(alice.id)],
        ['knox create', () => cache.knoxTokens.create(knox('fedcba987654321', alice), unlimited)],
        ['knox delete', () => cache.knoxTokens.delete(alice.id, KNOX_KEY)],
        ['knox deleteAll', () => cache.knoxTokens.deleteAll(alice.id)],
        ['knox touch that shortens the expiry', () => cache.knoxTokens.touch(alice.id, KNOX_KEY, NOW, NOW)],
      ];
      for (const [what, write] of refused) {
        await expect(write(), what).rejects.toBeInstanceOf(ServiceUnavailableError);
      }
      expect(await store.tokens.findByUser(alice.id)).toEqual({ key: KEY_A, userId: alice.id, created: NOW });
      expect(await store.tokens.findByUser(bob.id)).toBeNull();
      expect(await store.users.findById(alice.id)).toEqual(alice);
      expect((await store.users.findLogin('alice'))?.passwordHash).toBe('x');
      expect(await store.knoxTokens.listLive(alice.id, NOW)).toEqual([token]);

      // Safe without Redis: handing out the existing token, and a touch that only extends.
      expect(await cache.tokens.getOrCreate({ key: KEY_B, userId: alice.id, created: NOW })).toEqual({
        token: { key: KEY_A, userId: alice.id, created: NOW },
        created: false,
      });
      await cache.knoxTokens.touch(alice.id, KNOX_KEY, NOW, token.expiry);
      expect(await store.knoxTokens.listLive(alice.id, NOW)).toEqual([{ ...token, lastUsed: NOW }]);

      // Back: the client reconnects by itself and the cache serves and invalidates again.
      proxy.restore();
      await reconnected(client);
      expect(await cache.tokens.deleteByUser(alice.id)).toBe(true);
      expect(await cache.tokens.findUserByKey(KEY_A)).toBeNull();
      await store.tokens.getOrCreate({ key: KEY_B, userId: bob.id, created: NOW }); // never looked up: nothing to invalidate
      const before = reads.token;
      expect(await cache.tokens.findUserByKey(KEY_B)).toEqual(bob);
      expect(await cache.tokens.findUserByKey(KEY_B)).toEqual(bob);
      expect(reads.token).toBe(before + 1);
      expect(JSON.parse((await get(`${prefix}token:${sha256(KEY_B)}`))!)).toEqual(bob);
    });
  });

  describe('secrets', () => {
    it('no DRF key appears in any Redis key or value', async () => {
      const { store, prefix, a, b, user } = await twoInstances();
      await store.tokens.getOrCreate({ key: KEY_A, userId: user.id, created: NOW });
      await a.tokens.findUserByKey(KEY_A);
      await a.tokens.findUserByKey(KEY_B); // cached as unknown
      await store.knoxTokens.create(knox(KNOX_KEY, user), unlimited);
      await a.knoxTokens.findByTokenKey(KNOX_KEY);

      const seen: string[] = [];
      for await (const keys of redisAdmin!.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) {
        for (const key of keys) {
          const type = await redisAdmin!.type(key);
          const content = type === 'zset' ? (await redisAdmin!.zRange(key, 0, -1)).join('\n') : ((await redisAdmin!.get(key)) ?? '');
          seen.push(`${key}\n${content}`);
        }
      }
      expect(seen.some((s) => s.includes('"alice"'))).toBe(true); // the entries are there
      expect(seen.length).toBeGreaterThanOrEqual(4); // two token entries, a knox entry, a user index
      for (const s of seen) {
        expect(s).not.toContain(KEY_A);
        expect(s).not.toContain(KEY_B);
      }
    });
  });

  describe('options', () => {
    it('refuses nonsense with a TypeError naming the option', () => {
      const stores = { users: {} as UserStore, tokens: {} as TokenStore, knoxTokens: {} as KnoxTokenStore };
      expect(() => withRedisCache(stores, redisAdmin!, { ttlSeconds: 0 })).toThrow(/options\.ttlSeconds/);
      expect(() => withRedisCache(stores, redisAdmin!, { negativeTtlSeconds: -1 })).toThrow(/options\.negativeTtlSeconds/);
      expect(() => withRedisCache(stores, redisAdmin!, { fillWindowMs: 1.5 })).toThrow(/options\.fillWindowMs/);
    });
  });
});
