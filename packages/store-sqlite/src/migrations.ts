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
];

export function migrate(db: Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `database schema version ${current} is newer than this code knows (${MIGRATIONS.length}); upgrade authbench`,
    );
  }
  const apply = db.transaction(() => {
    for (let version = current + 1; version <= MIGRATIONS.length; version++) {
      db.exec(MIGRATIONS[version - 1]!);
      db.pragma(`user_version = ${version}`);
    }
  });
  apply.immediate(); // IMMEDIATE: two processes opening a new file do not both migrate it
  return MIGRATIONS.length;
}
