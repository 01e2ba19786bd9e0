import type { Database } from 'better-sqlite3';

/**
 * The schema, as an append-only list. `migrate()` runs on every open, so a
 * database is always at the version of the code that opened it; a migration
 * is never edited once released, only followed by a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: users and DRF's one-token-per-user table.
  `
  CREATE TABLE users (
    -- AUTOINCREMENT: a deleted user's id is never handed to a new user, so a
    -- stale credential naming that id can never resolve to someone else.
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    username    TEXT    NOT NULL UNIQUE,
    email       TEXT    NOT NULL DEFAULT '',
    password    TEXT    NOT NULL,
    is_active   INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    date_joined TEXT    NOT NULL,
    last_login  TEXT
  ) STRICT;

  -- The key is the primary key of a WITHOUT ROWID table, so the per-request
  -- lookup is one probe of one b-tree.
  CREATE TABLE tokens (
    key     TEXT    NOT NULL PRIMARY KEY CHECK (length(key) = 40 AND key NOT GLOB '*[^0-9a-f]*'),
    user_id INTEGER NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    created TEXT    NOT NULL
  ) STRICT, WITHOUT ROWID;
  `,
  // 2: knox tokens, stored as a digest. Clustered on (token_key, digest) so
  // the per-request lookup of a key's candidates is one probe of one b-tree.
  `
  CREATE TABLE knox_tokens (
    token_key TEXT    NOT NULL,
    digest    TEXT    NOT NULL,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created   TEXT    NOT NULL,
    expiry    TEXT,
    client    TEXT    NOT NULL DEFAULT '',
    last_used TEXT,
    PRIMARY KEY (token_key, digest),
    UNIQUE (user_id, token_key)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX knox_tokens_expiry ON knox_tokens (expiry) WHERE expiry IS NOT NULL;
  `,
  // 3: jwt logins (refresh families) and outstanding refresh tokens, with
  // simplejwt's blacklist folded in as a column.
  `
  CREATE TABLE jwt_logins (
    id             TEXT    NOT NULL PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created        TEXT    NOT NULL,
    client         TEXT    NOT NULL DEFAULT '',
    expires_at     TEXT    NOT NULL,
    last_refreshed TEXT,
    revoked_at     TEXT
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX jwt_logins_user ON jwt_logins (user_id);
  CREATE INDEX jwt_logins_expires_at ON jwt_logins (expires_at);

  CREATE TABLE jwt_outstanding (
    jti            TEXT    NOT NULL PRIMARY KEY,
    login_id       TEXT    NOT NULL REFERENCES jwt_logins (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     TEXT    NOT NULL,
    expires_at     TEXT    NOT NULL,
    blacklisted_at TEXT,
    -- 1 when blacklisted by rotation: presenting it again is reuse.
    rotated        INTEGER NOT NULL DEFAULT 0 CHECK (rotated IN (0, 1))
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX jwt_outstanding_login ON jwt_outstanding (login_id);
  CREATE INDEX jwt_outstanding_user ON jwt_outstanding (user_id);
  CREATE INDEX jwt_outstanding_expires_at ON jwt_outstanding (expires_at);
  `,
  // 4: cookie sessions (express-session), indexed by user for logout-all.
  `
  CREATE TABLE sessions (
    sid       TEXT    NOT NULL PRIMARY KEY,
    user_id   INTEGER REFERENCES users (id) ON DELETE CASCADE,
    data      TEXT    NOT NULL,
    expires   TEXT    NOT NULL,
    created   TEXT    NOT NULL,
    client    TEXT    NOT NULL DEFAULT '',
    last_used TEXT    NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX sessions_user ON sessions (user_id) WHERE user_id IS NOT NULL;
  CREATE INDEX sessions_expires ON sessions (expires);
  `,
  // 5: login throttling: failure counters by key (a hashed username or a
  // client address), times in epoch milliseconds.
  `
  CREATE TABLE login_throttle (
    key          TEXT    NOT NULL PRIMARY KEY,
    failures     INTEGER NOT NULL CHECK (failures > 0),
    last_failure INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX login_throttle_expires_at ON login_throttle (expires_at);
  `,
  // 6: a credential names its user by id as given, number or string (an
  // application's own users may be keyed by UUID): user_id becomes ANY, which
  // a STRICT table stores without coercion, so 42 and '42' stay different
  // users. SQLite cannot change a column's type in place: each table is
  // rebuilt under a new name, its rows copied, the old one dropped and the new
  // one renamed, with the same keys, FK clauses and indexes as before
  // (migrate() turns foreign keys off around it, or the drops would cascade).
  // jwt_outstanding_v6 names jwt_logins, the final name, so it points at the
  // rebuilt table once that is renamed.
  `
  CREATE TABLE tokens_v6 (
    key     TEXT NOT NULL PRIMARY KEY CHECK (length(key) = 40 AND key NOT GLOB '*[^0-9a-f]*'),
    user_id ANY  NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    created TEXT NOT NULL
  ) STRICT, WITHOUT ROWID;
  INSERT INTO tokens_v6 (key, user_id, created) SELECT key, user_id, created FROM tokens;
  DROP TABLE tokens;
  ALTER TABLE tokens_v6 RENAME TO tokens;

  CREATE TABLE knox_tokens_v6 (
    token_key TEXT NOT NULL,
    digest    TEXT NOT NULL,
    user_id   ANY  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created   TEXT NOT NULL,
    expiry    TEXT,
    client    TEXT NOT NULL DEFAULT '',
    last_used TEXT,
    PRIMARY KEY (token_key, digest),
    UNIQUE (user_id, token_key)
  ) STRICT, WITHOUT ROWID;
  INSERT INTO knox_tokens_v6 (token_key, digest, user_id, created, expiry, client, last_used)
    SELECT token_key, digest, user_id, created, expiry, client, last_used FROM knox_tokens;
  DROP TABLE knox_tokens;
  ALTER TABLE knox_tokens_v6 RENAME TO knox_tokens;
  CREATE INDEX knox_tokens_expiry ON knox_tokens (expiry) WHERE expiry IS NOT NULL;

  CREATE TABLE jwt_logins_v6 (
    id             TEXT NOT NULL PRIMARY KEY,
    user_id        ANY  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created        TEXT NOT NULL,
    client         TEXT NOT NULL DEFAULT '',
    expires_at     TEXT NOT NULL,
    last_refreshed TEXT,
    revoked_at     TEXT
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE jwt_outstanding_v6 (
    jti            TEXT    NOT NULL PRIMARY KEY,
    login_id       TEXT    NOT NULL REFERENCES jwt_logins (id) ON DELETE CASCADE,
    user_id        ANY     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     TEXT    NOT NULL,
    expires_at     TEXT    NOT NULL,
    blacklisted_at TEXT,
    rotated        INTEGER NOT NULL DEFAULT 0 CHECK (rotated IN (0, 1))
  ) STRICT, WITHOUT ROWID;
  INSERT INTO jwt_logins_v6 (id, user_id, created, client, expires_at, last_refreshed, revoked_at)
    SELECT id, user_id, created, client, expires_at, last_refreshed, revoked_at FROM jwt_logins;
  INSERT INTO jwt_outstanding_v6 (jti, login_id, user_id, created_at, expires_at, blacklisted_at, rotated)
    SELECT jti, login_id, user_id, created_at, expires_at, blacklisted_at, rotated FROM jwt_outstanding;
  DROP TABLE jwt_outstanding;
  DROP TABLE jwt_logins;
  ALTER TABLE jwt_logins_v6 RENAME TO jwt_logins;
  ALTER TABLE jwt_outstanding_v6 RENAME TO jwt_outstanding;
  CREATE INDEX jwt_logins_user ON jwt_logins (user_id);
  CREATE INDEX jwt_logins_expires_at ON jwt_logins (expires_at);
  CREATE INDEX jwt_outstanding_login ON jwt_outstanding (login_id);
  CREATE INDEX jwt_outstanding_user ON jwt_outstanding (user_id);
  CREATE INDEX jwt_outstanding_expires_at ON jwt_outstanding (expires_at);

  CREATE TABLE sessions_v6 (
    sid       TEXT NOT NULL PRIMARY KEY,
    user_id   ANY  REFERENCES users (id) ON DELETE CASCADE,
    data      TEXT NOT NULL,
    expires   TEXT NOT NULL,
    created   TEXT NOT NULL,
    client    TEXT NOT NULL DEFAULT '',
    last_used TEXT NOT NULL
  ) STRICT, WITHOUT ROWID;
  INSERT INTO sessions_v6 (sid, user_id, data, expires, created, client, last_used)
    SELECT sid, user_id, data, expires, created, client, last_used FROM sessions;
  DROP TABLE sessions;
  ALTER TABLE sessions_v6 RENAME TO sessions;
  CREATE INDEX sessions_user ON sessions (user_id) WHERE user_id IS NOT NULL;
  CREATE INDEX sessions_expires ON sessions (expires);
  `,
  // 7: the grace window of concurrent refreshes: a token rotated by refresh
  // names the jti of the successor that rotation issued (its rotation time is
  // its blacklisted_at), so the same refresh presented again within the
  // window answers that successor. No foreign key: a successor may be flushed
  // before the token it replaced. Tokens rotated before this have none, so
  // presenting them again stays reuse.
  `
  ALTER TABLE jwt_outstanding ADD COLUMN successor TEXT;
  `,
];

/**
 * Brings the schema up to date, in one IMMEDIATE transaction (two processes
 * opening a new file do not both migrate it). Foreign keys are off while it
 * runs, as SQLite's procedure for rebuilding a table requires (dropping a
 * referenced table would otherwise cascade); the pragma is a no-op inside a
 * transaction, hence outside it, and restored after. When the connection
 * enforces foreign keys, `PRAGMA foreign_key_check` must find no violation
 * before the commit; with them off (external users) credentials name users
 * the `users` table never holds, by design.
 */
export function migrate(db: Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `database schema version ${current} is newer than this code knows (${MIGRATIONS.length}); upgrade authbench`,
    );
  }
  if (current === MIGRATIONS.length) return current;
  if (db.inTransaction) throw new Error('migrate() must run outside a transaction: foreign keys cannot be switched off inside one');
  const enforced = db.pragma('foreign_keys', { simple: true }) === 1;
  db.pragma('foreign_keys = OFF');
  try {
    const apply = db.transaction(() => {
      // Another process may have migrated between the read above and this lock.
      const start = db.pragma('user_version', { simple: true }) as number;
      for (let version = start + 1; version <= MIGRATIONS.length; version++) {
        db.exec(MIGRATIONS[version - 1]!);
        db.pragma(`user_version = ${version}`);
      }
      if (enforced) {
        const violations = db.pragma('foreign_key_check') as { table: string }[];
        if (violations.length > 0) {
          throw new Error(`migration left ${violations.length} foreign key violation(s), first in ${violations[0]!.table}; nothing was changed`);
        }
      }
    });
    apply.immediate();
  } finally {
    if (enforced) db.pragma('foreign_keys = ON');
  }
  return MIGRATIONS.length;
}
