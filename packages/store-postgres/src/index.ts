import pg from 'pg';
import { assertUserRepository, refusingUserStore, type JwtStore, type KnoxTokenStore, type SessionStore, type ThrottleStore, type TokenStore, type UserRepository, type UserStore } from '@authbench/core';
import { count, rows } from './db.js';
import { postgresJwtStore } from './jwt.js';
import { postgresKnoxTokenStore } from './knox-tokens.js';
import { migrate } from './migrations.js';
import { postgresSessionStore } from './sessions.js';
import { postgresThrottleStore } from './throttle.js';
import { postgresTokenStore } from './tokens.js';
import { postgresUserStore } from './users.js';

export { MIGRATIONS, migrate } from './migrations.js';

export interface PostgresStore {
  /**
   * The built-in `users` table. Opened with `options.users`, that table is not
   * in use and this store refuses every call (a user created there could never
   * log in): the application's repository is the one to use.
   */
  readonly users: UserStore;
  readonly tokens: TokenStore;
  readonly knoxTokens: KnoxTokenStore;
  readonly jwt: JwtStore;
  readonly sessions: SessionStore;
  /** Login throttling's failure counters. */
  readonly throttle: ThrottleStore;
  /** Facts about the deployment shared by every process on this database (see migration 5). */
  readonly deployment: DeploymentFacts;
  /** The pool, for the CLI and tests; schemes never see it. */
  readonly pool: pg.Pool;
  close(): Promise<void>;
}

/** Named values every process on the database reads the same. */
export interface DeploymentFacts {
  get(name: string): Promise<string | null>;
  set(name: string, value: string): Promise<void>;
}

export interface PostgresStoreOptions {
  /** Connections in the pool. Default 10. */
  readonly poolSize?: number | undefined;
  /** A schema to keep the tables in (created if missing); default the connection's search_path. */
  readonly schema?: string | undefined;
  /** How long taking a connection may wait before the request gets a 503. Default 3000 ms. */
  readonly connectTimeoutMs?: number | undefined;
  /**
   * How long a statement may wait for the server's answer before the request
   * gets a 503 and its connection is discarded (pg's client-side
   * `query_timeout`). Default 5000 ms. Migrations at start-up have none.
   */
  readonly queryTimeoutMs?: number | undefined;
  /**
   * The application's own users. Given, the credentials name a user by id
   * only (a number or a string, kept as given: 42 and "42" are different
   * users) and the hot-path lookups read the credential and then ask
   * `users.findById`; the built-in `users` table stays empty. Deleting a user
   * is then the application's to follow with revoking their credentials
   * (`revokeCredentials`), as nothing here knows of it.
   */
  readonly users?: UserRepository | undefined;
}

/**
 * Connects to `url` (`postgres://…`), brings the schema up to date, and
 * returns the stores. Every statement is parameterised and named, so each
 * connection plans it once.
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const { schema, users } = options;
  if (users !== undefined) assertUserRepository(users, 'openPostgresStore: options.users');
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new TypeError(`openPostgresStore: options.schema must be a lowercase SQL identifier, got ${JSON.stringify(schema)}`);
  }
  const config: pg.PoolConfig = {
    connectionString: url,
    // A server that stops answering must fail a request in bounded time (a 503), not hold it open.
    connectionTimeoutMillis: options.connectTimeoutMs ?? 3000,
    // TCP keepalives find a connection whose server vanished without closing it (a crash, a partition).
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(schema !== undefined && { options: `-c search_path=${schema}` }),
  };
  // Migrations get a pool of their own without a query timeout: they may wait for another
  // instance's lock, or build an index on a large table, for longer than any request should.
  const migrator = new pg.Pool({ ...config, max: 1 });
  migrator.on('error', () => {});
  try {
    await migrate(migrator, schema);
  } finally {
    await migrator.end();
  }
  const pool = new pg.Pool({
    ...config,
    max: options.poolSize ?? 10,
    // A statement on a connection whose server stopped answering (without closing it) fails
    // after this, instead of pinning the pool's connections for good; pg then discards it.
    query_timeout: options.queryTimeoutMs ?? 5000,
  });
  // An idle connection dropped by the server must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  return {
    users: users === undefined ? postgresUserStore(pool) : refusingUserStore('openPostgresStore'),
    tokens: postgresTokenStore(pool, users),
    knoxTokens: postgresKnoxTokenStore(pool, users),
    jwt: postgresJwtStore(pool, users === undefined),
    sessions: postgresSessionStore(pool, users),
    throttle: postgresThrottleStore(pool),
    deployment: {
      async get(name) {
        const [row] = await rows<{ value: string }>(pool, 'deployment_get', 'SELECT value FROM deployment WHERE name = $1', [name]);
        return row?.value ?? null;
      },
      async set(name, value) {
        await count(pool, 'deployment_set', 'INSERT INTO deployment (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value', [name, value]);
      },
    },
    pool,
    close: () => pool.end(),
  };
}
