import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  assertUserRepository,
  refusingUserStore,
  type JwtStore,
  type KnoxTokenStore,
  type SessionStore,
  type ThrottleStore,
  type TokenStore,
  type UserRepository,
  type UserStore,
} from '@authbench/core';
import { sqliteSessionStore } from './sessions.js';
import { sqliteJwtStore } from './jwt.js';
import { sqliteKnoxTokenStore } from './knox-tokens.js';
import { migrate } from './migrations.js';
import { sqliteThrottleStore } from './throttle.js';
import { sqliteTokenStore } from './tokens.js';
import { sqliteUserStore } from './users.js';

export { MIGRATIONS, migrate } from './migrations.js';

export interface SqliteStore {
  readonly path: string;
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
  /** The connection, for the CLI and tests; schemes never see it. */
  readonly db: Database.Database;
  close(): void;
}

export interface SqliteStoreOptions {
  /**
   * The application's own users. Given, the credential tables name a user by
   * id only (a number or a string, kept as given: 42 and "42" are different
   * users), the hot-path lookups read the credential and then ask
   * `users.findById`, and this connection enforces no foreign keys (the
   * built-in `users` table stays empty). Deleting a user is then the
   * application's to follow with revoking their credentials
   * (`revokeCredentials`), as no cascade does it.
   */
  readonly users?: UserRepository | undefined;
}

/**
 * Opens (creating if needed) the SQLite file at `path` and brings its schema
 * up to date. One connection per process: better-sqlite3 is synchronous, so
 * each statement runs to completion on the event loop and needs no pool.
 */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  const { users } = options;
  if (users !== undefined) assertUserRepository(users, 'openSqliteStore: options.users');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    // WAL with synchronous=NORMAL: a write on the request path costs
    // microseconds, not an fsync; a crash can lose the last commits, never
    // corrupt the file.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // External users are in another table (or another database): a credential's
    // user_id names a row the users table here never has.
    db.pragma(users === undefined ? 'foreign_keys = ON' : 'foreign_keys = OFF');
    db.pragma('busy_timeout = 5000');
    // 64 MiB of page cache instead of SQLite's 2 MiB: with a million stored
    // credentials, random token lookups stay in this process's memory
    // instead of a read() from the OS per page (measured: 7 µs, not 10).
    db.pragma('cache_size = -65536');
    migrate(db);
    return {
      path,
      db,
      users: users === undefined ? sqliteUserStore(db) : refusingUserStore('openSqliteStore'),
      tokens: sqliteTokenStore(db, users),
      knoxTokens: sqliteKnoxTokenStore(db, users),
      jwt: sqliteJwtStore(db, users === undefined),
      sessions: sqliteSessionStore(db, users),
      throttle: sqliteThrottleStore(db),
      close: () => db.close(),
    };
  } catch (error) {
    db.close();
    throw error;
  }
}
