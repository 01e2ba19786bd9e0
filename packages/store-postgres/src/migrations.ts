import type { Pool } from 'pg';
import { transaction } from './db.js';

/**
 * The schema, as an append-only list, the same tables as store-sqlite's.
 * Applied on every open inside one transaction that holds an advisory lock,
 * so several instances starting together migrate once.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: every table of the four schemes.
  `
  CREATE TABLE users (
    -- An identity never reuses a value, so a stale credential naming a
    -- deleted user's id never resolves to someone else.
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username    text        NOT NULL UNIQUE,
    email       text        NOT NULL DEFAULT '',
    password    text        NOT NULL,
    is_active   boolean     NOT NULL DEFAULT true,
    date_joined timestamptz NOT NULL,
    last_login  timestamptz
  );
  CREATE TABLE tokens (
    key     text        PRIMARY KEY CHECK (key ~ '^[0-9a-f]{40}$'),
    user_id bigint      NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    created timestamptz NOT NULL
  );
  -- knox: a digest per token, found by its 15-character key.
  CREATE TABLE knox_tokens (
    token_key text        NOT NULL,
    digest    text        NOT NULL,
    user_id   bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created   timestamptz NOT NULL,
    expiry    timestamptz,
    client    text        NOT NULL DEFAULT '',
    last_used timestamptz,
    PRIMARY KEY (token_key, digest),
    UNIQUE (user_id, token_key)
  );
  CREATE INDEX knox_tokens_expiry ON knox_tokens (expiry) WHERE expiry IS NOT NULL;
  CREATE TABLE jwt_logins (
    id             text        PRIMARY KEY,
    user_id        bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created        timestamptz NOT NULL,
    client         text        NOT NULL DEFAULT '',
    expires_at     timestamptz NOT NULL,
    last_refreshed timestamptz,
    revoked_at     timestamptz
  );
  CREATE INDEX jwt_logins_user ON jwt_logins (user_id);
  CREATE INDEX jwt_logins_expires_at ON jwt_logins (expires_at);
  CREATE TABLE jwt_outstanding (
    jti            text        PRIMARY KEY,
    login_id       text        NOT NULL REFERENCES jwt_logins (id) ON DELETE CASCADE,
    user_id        bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    blacklisted_at timestamptz,
    -- true when blacklisted by rotation: presenting it again is reuse.
    rotated        boolean     NOT NULL DEFAULT false
  );
  CREATE INDEX jwt_outstanding_login ON jwt_outstanding (login_id);
  CREATE INDEX jwt_outstanding_expires_at ON jwt_outstanding (expires_at);
  CREATE TABLE sessions (
    sid       text        PRIMARY KEY,
    user_id   bigint      REFERENCES users (id) ON DELETE CASCADE,
    data      text        NOT NULL,
    expires   timestamptz NOT NULL,
    created   timestamptz NOT NULL,
    client    text        NOT NULL DEFAULT '',
    last_used timestamptz NOT NULL
  );
  CREATE INDEX sessions_user ON sessions (user_id) WHERE user_id IS NOT NULL;
  CREATE INDEX sessions_expires ON sessions (expires);
  `,
  // 2: login throttling: failure counters by key (a hashed username or a
  // client address), times in epoch milliseconds.
  `
  CREATE TABLE login_throttle (
    key          text    PRIMARY KEY,
    failures     integer NOT NULL CHECK (failures > 0),
    last_failure bigint  NOT NULL,
    expires_at   bigint  NOT NULL
  );
  CREATE INDEX login_throttle_expires_at ON login_throttle (expires_at);
  `,
  // 3: every foreign key needs an index leading with its column, or deleting a
  // user (ON DELETE CASCADE) scans the whole referencing table. jwt_outstanding
  // (user_id) lacked one.
  `
  CREATE INDEX jwt_outstanding_user ON jwt_outstanding (user_id);
  `,
  // 4: a credential names its user by id as given, number or string (an
  // application's own users may be keyed by UUID), so user_id becomes jsonb:
  // one column, so every key and index keeps its shape, in which 42 and "42"
  // are different values and each reads back as its own type. (Text with a
  // column for the type would widen every unique key and index by that column
  // and every statement by a parameter.) The CHECKs keep it to a number or a
  // string. The foreign keys to users go: with external users there is no row
  // to reference, and PostgreSQL cannot turn them off per connection; the
  // built-in users store deletes a user's credentials itself, in the
  // transaction that deletes the user, and locks the user's row as each
  // credential is written, as the foreign keys did. ALTER COLUMN TYPE rebuilds
  // the indexes on the column.
  `
  ALTER TABLE tokens
    DROP CONSTRAINT tokens_user_id_fkey,
    ALTER COLUMN user_id TYPE jsonb USING to_jsonb(user_id),
    ADD CONSTRAINT tokens_user_id_type CHECK (jsonb_typeof(user_id) IN ('number', 'string'));
  ALTER TABLE knox_tokens
    DROP CONSTRAINT knox_tokens_user_id_fkey,
    ALTER COLUMN user_id TYPE jsonb USING to_jsonb(user_id),
    ADD CONSTRAINT knox_tokens_user_id_type CHECK (jsonb_typeof(user_id) IN ('number', 'string'));
  ALTER TABLE jwt_logins
    DROP CONSTRAINT jwt_logins_user_id_fkey,
    ALTER COLUMN user_id TYPE jsonb USING to_jsonb(user_id),
    ADD CONSTRAINT jwt_logins_user_id_type CHECK (jsonb_typeof(user_id) IN ('number', 'string'));
  ALTER TABLE jwt_outstanding
    DROP CONSTRAINT jwt_outstanding_user_id_fkey,
    ALTER COLUMN user_id TYPE jsonb USING to_jsonb(user_id),
    ADD CONSTRAINT jwt_outstanding_user_id_type CHECK (jsonb_typeof(user_id) IN ('number', 'string'));
  ALTER TABLE sessions
    DROP CONSTRAINT sessions_user_id_fkey,
    ALTER COLUMN user_id TYPE jsonb USING to_jsonb(user_id),
    ADD CONSTRAINT sessions_user_id_type CHECK (jsonb_typeof(user_id) IN ('number', 'string'));
  `,
  // 5: facts about the deployment that every process using this database must
  // know, such as that its servers cache credential lookups in Redis (so a
  // command-line revocation without that cache must not pass for complete).
  `
  CREATE TABLE deployment (
    name  text PRIMARY KEY,
    value text NOT NULL
  );
  `,
  // 6: the grace window of concurrent refreshes: a token rotated by refresh
  // names the jti of the successor that rotation issued (its rotation time is
  // its blacklisted_at), so the same refresh presented again within the
  // window answers that successor. No foreign key: a successor may be flushed
  // before the token it replaced. Tokens rotated before this have none, so
  // presenting them again stays reuse.
  `
  ALTER TABLE jwt_outstanding ADD COLUMN successor text;
  `,
];

/** A fixed key for pg_advisory_xact_lock: "authbench" in ASCII, truncated to 63 bits. */
const MIGRATION_LOCK = 0x6175746862656e63n;

/** @param schema created here, under the lock: concurrent `CREATE SCHEMA IF NOT EXISTS` can collide. */
export async function migrate(pool: Pool, schema?: string): Promise<number> {
  return transaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()]);
    if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query('CREATE TABLE IF NOT EXISTS authbench_schema (version integer NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM authbench_schema');
    const current = rows[0]?.version ?? 0;
    if (rows.length === 0) await client.query('INSERT INTO authbench_schema (version) VALUES (0)');
    if (current > MIGRATIONS.length) {
      throw new Error(`database schema version ${current} is newer than this code knows (${MIGRATIONS.length}); upgrade authbench`);
    }
    for (let version = current + 1; version <= MIGRATIONS.length; version++) {
      await client.query(MIGRATIONS[version - 1]!);
      await client.query('UPDATE authbench_schema SET version = $1', [version]);
    }
    return MIGRATIONS.length;
  });
}
