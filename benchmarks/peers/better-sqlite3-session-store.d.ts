// The package ships no types since 0.1.0; this is the one call the peer makes.
declare module 'better-sqlite3-session-store' {
  import type session from 'express-session';
  import type Database from 'better-sqlite3';
  interface SqliteStoreOptions {
    client: Database.Database;
    expired?: { clear?: boolean; intervalMs?: number };
  }
  export default function makeSqliteStore(s: typeof session): new (options: SqliteStoreOptions) => session.Store;
}
