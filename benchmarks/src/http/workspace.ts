import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '@authbench/accounts';
import type { UserId } from '@authbench/core';
import { generateKey } from '@authbench/scheme-token';
import { openPostgresStore } from '@authbench/store-postgres';
import { openSqliteStore } from '@authbench/store-sqlite';
import pg from 'pg';
import { createClient } from 'redis';
import { StoreCpuMeter, withParams, type Storage, type StoreCpuSample } from './storage.js';

/** The users, secrets and keys every server of one run shares, in a temporary directory. */
export interface Workspace {
  readonly dir: string;
  readonly databasePath: string;
  /** Users in id order; the load sends user i's credential as its i-th. */
  readonly users: readonly { readonly id: UserId; readonly username: string }[];
  readonly password: string;
  readonly jwtSecret: string;
  readonly sessionSecret: string;
  readonly es256KeyFile: string;
  readonly eddsaKeyFile: string;
  readonly peerSessionDatabase: string;
  /** The storages this workspace has data in: always SQLite, PostgreSQL and Redis when asked for. */
  readonly storages: readonly Storage[];
  /** The demo's environment for a storage: where its data is; an inherited DATABASE_URL or REDIS_URL never leaks in. */
  storageEnv(storage: Storage): Record<string, string>;
  /** CPU the PostgreSQL backends of the servers under test and the Redis server have used so far. */
  sampleStore(): Promise<StoreCpuSample>;
  /** Deletes the directory, the run's PostgreSQL schema and its Redis keys. */
  remove(): Promise<void>;
}

export interface WorkspaceOptions {
  /** Also put the users in PostgreSQL (and give the Redis variants a key prefix) at these URLs. */
  readonly postgres?: string | undefined;
  readonly redis?: string | undefined;
}

/**
 * Cheap Argon2id for the benchmark's own users: logins only set the run up
 * and are never timed, and verification reads the parameters from the stored
 * hash, so a thousand logins take a second instead of twenty.
 */
const SETUP_HASHING = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

type SetupStore = Pick<ReturnType<typeof openSqliteStore>, 'users' | 'tokens'>;

/** The run's users, each with a DRF token: the same in every database. */
async function addUsers(store: SetupStore, userCount: number, passwordHash: string) {
  const users: { id: UserId; username: string }[] = [];
  const now = new Date().toISOString();
  for (let i = 0; i < userCount; i++) {
    const user = await store.users.create({ username: `bench-user-${i}`, email: '', passwordHash });
    // DRF tokens exist before any login, for the passport peer; token logins return these same keys.
    await store.tokens.getOrCreate({ key: generateKey(), userId: user.id, created: now });
    users.push({ id: user.id, username: user.username });
  }
  return users;
}

export async function createWorkspace(userCount: number, options: WorkspaceOptions = {}): Promise<Workspace> {
  const dir = mkdtempSync(join(tmpdir(), 'authbench-http-'));
  const databasePath = join(dir, 'authbench.sqlite3');
  const password = 'bench-password-not-secret';
  const passwordHash = await hashPassword(password, SETUP_HASHING);
  const store = openSqliteStore(databasePath);
  let users: { id: UserId; username: string }[];
  try {
    users = await addUsers(store, userCount, passwordHash);
  } finally {
    store.close();
  }

  // One schema and one key prefix per run: other runs, tests and apps share these servers.
  const run = `bench_${process.pid}_${Date.now().toString(36)}`;
  const applicationName = `authbench-${run}`;
  let admin: pg.Client | null = null;
  let redis: ReturnType<typeof createClient> | null = null;
  let schemaCreated = false;
  const cleanUp = async () => {
    if (admin) {
      if (schemaCreated) await admin.query(`DROP SCHEMA IF EXISTS ${run} CASCADE`);
      await admin.end();
      admin = null;
    }
    if (redis) {
      // SCAN + DEL of this run's prefix only: never FLUSHALL, others share the server.
      for await (const keys of redis.scanIterator({ MATCH: `${run}:*`, COUNT: 500 })) if (keys.length > 0) await redis.del(keys);
      redis.destroy();
      redis = null;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (options.postgres !== undefined) {
      admin = new pg.Client({ connectionString: withParams(options.postgres, { application_name: `${applicationName}-harness` }) });
      admin.on('error', () => {});
      await admin.connect();
      // The store creates the schema and its tables, as the app would on start.
      schemaCreated = true;
      const pgStore = await openPostgresStore(options.postgres, { schema: run, poolSize: 2 });
      try {
        const pgUsers = await addUsers(pgStore, userCount, passwordHash);
        if (pgUsers.some((u, i) => u.username !== users[i]!.username)) throw new Error('PostgreSQL users differ from SQLite ones');
      } finally {
        await pgStore.close();
      }
    }
    if (options.redis !== undefined) {
      if (options.postgres === undefined) throw new Error('the Redis variants keep users in PostgreSQL: a PostgreSQL URL is needed');
      redis = createClient({ url: options.redis, socket: { reconnectStrategy: false } });
      redis.on('error', () => {});
      await redis.connect();
    }
  } catch (error) {
    await cleanUp().catch(() => {});
    throw error;
  }

  const meter = new StoreCpuMeter(admin, redis, applicationName);
  const postgresUrl =
    options.postgres === undefined ? '' : withParams(options.postgres, { options: `-c search_path=${run}`, application_name: applicationName });
  const storageEnv = (storage: Storage): Record<string, string> => {
    // Empty values: an inherited DATABASE_URL or REDIS_URL must not move a configuration elsewhere.
    const none = { DATABASE_URL: '', REDIS_URL: '', REDIS_CACHE: 'false' };
    if (storage === 'sqlite') return { DATABASE_PATH: databasePath, ...none };
    if (options.postgres === undefined) throw new Error(`no PostgreSQL in this workspace for the ${storage} variants`);
    if (storage === 'postgres') return { ...none, DATABASE_URL: postgresUrl };
    if (options.redis === undefined) throw new Error('no Redis in this workspace for the Redis variants');
    return { ...none, DATABASE_URL: postgresUrl, REDIS_URL: options.redis, REDIS_PREFIX: `${run}:` };
  };
  const pem = (type: 'ec' | 'ed25519') => {
    const { privateKey } = type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
    return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  };
  const es256KeyFile = join(dir, 'es256.pem');
  const eddsaKeyFile = join(dir, 'eddsa.pem');
  writeFileSync(es256KeyFile, pem('ec'), { mode: 0o600 });
  writeFileSync(eddsaKeyFile, pem('ed25519'), { mode: 0o600 });
  return {
    dir,
    databasePath,
    users,
    password,
    jwtSecret: randomBytes(32).toString('base64url'),
    sessionSecret: randomBytes(32).toString('base64url'),
    es256KeyFile,
    eddsaKeyFile,
    peerSessionDatabase: join(dir, 'peer-sessions.sqlite3'),
    storages: ['sqlite', ...(options.postgres !== undefined ? (['postgres'] as const) : []), ...(options.redis !== undefined ? (['redis'] as const) : [])],
    storageEnv,
    sampleStore: () => meter.sample(),
    remove: cleanUp,
  };
}
