import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { ServiceUnavailableError } from '@authbench/core';

/** Runs statements on the pool or inside one transaction's client. */
export type Queryable = Pick<Pool, 'query'> | PoolClient;

/**
 * One parameterised statement. A name makes PostgreSQL parse and plan it
 * once per connection and reuse the plan: every statement here has one.
 * (On the pool, pg discards the connection of any failed statement.)
 * One that binds a NUL matches nothing, and is answered without a query.
 */
export async function rows<T extends QueryResultRow>(db: Queryable, name: string, text: string, values: unknown[]): Promise<T[]> {
  if (bindsNul(values)) return [];
  try {
    return (await db.query<T>({ name, text, values })).rows;
  } catch (error) {
    throw unavailableOr(error);
  }
}

export async function count(db: Queryable, name: string, text: string, values: unknown[]): Promise<number> {
  if (bindsNul(values)) return 0;
  try {
    return (await db.query({ name, text, values })).rowCount ?? 0;
  } catch (error) {
    throw unavailableOr(error);
  }
}

/** A deadlock or serialization failure rolled the whole transaction back: running it again is safe. */
const RETRY_SQLSTATES = new Set(['40001', '40P01']);
const ATTEMPTS = 3;

/**
 * `fn` inside BEGIN … COMMIT on one connection; ROLLBACK on any error. A
 * transaction that lost a deadlock or a serialization conflict runs again,
 * up to three times in all, so `fn` must only touch the database.
 */
export async function transaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw unavailableOr(error);
    }
    // A checked-out client whose socket dies emits 'error'; unheard, it would crash the process.
    // The failing statement reports it too, and the catch below discards the client.
    const ignore = () => {};
    client.on('error', ignore);
    let discard: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that failed or timed out may still be running the statement: it must
      // never serve the next request. So must one whose ROLLBACK failed.
      if (isConnectionError(error)) discard = error as Error;
      else await client.query('ROLLBACK').catch((rollbackError: unknown) => (discard = rollbackError as Error));
      if (attempt < ATTEMPTS && RETRY_SQLSTATES.has(sqlstate(error) ?? '')) continue;
      throw unavailableOr(error);
    } finally {
      client.off('error', ignore);
      client.release(discard);
    }
  }
}

/** Connection-level: the connection itself is gone or cannot be trusted. */
const CONNECTION_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, in recovery)
  '57P05', // idle_session_timeout
  // read_only_sql_transaction: the connection reached a standby, or a primary demoted by a
  // failover; a new connection may reach the new primary.
  '25006',
]);
/** The server cannot do it now but may soon; the connection is still usable. */
const TRANSIENT_SQLSTATES = new Set([
  '57014', // query_canceled: statement_timeout, or a DBA's pg_cancel_backend
  '55P03', // lock_not_available: lock_timeout
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

const sqlstate = (error: unknown): string | undefined => {
  const code = (unwrap(error) as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};
/** A statement already mapped by `rows`/`count` inside a transaction still tells its cause. */
const unwrap = (error: unknown): unknown => (error instanceof ServiceUnavailableError ? error.cause : error);

export function isConnectionError(error: unknown): boolean {
  error = unwrap(error);
  if (!(error instanceof Error)) return false;
  const code = sqlstate(error);
  if (code !== undefined && (code.startsWith('08') || CONNECTION_SQLSTATES.has(code) || SOCKET_CODES.has(code))) return true;
  // pg's own messages for a connection that dropped, could not be had in time, or did not
  // answer within query_timeout ("Query read timeout").
  return /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed|Query read timeout)/.test(
    error.message,
  );
}

/** The server, not the statement, failed: class 53 is insufficient resources (disk full, out of memory, too many connections). */
export function isUnavailable(error: unknown): boolean {
  if (isConnectionError(error)) return true;
  const code = sqlstate(error);
  return code !== undefined && (TRANSIENT_SQLSTATES.has(code) || code.startsWith('53'));
}

/** A server that cannot serve now becomes a 503 the client may retry; any other error stays itself. */
function unavailableOr(error: unknown): unknown {
  if (error instanceof ServiceUnavailableError) return error;
  return isUnavailable(error) ? new ServiceUnavailableError('PostgreSQL', error) : error;
}

/**
 * PostgreSQL text cannot hold NUL (a statement binding one fails with 22021),
 * so no stored value contains one: a lookup, update or delete by such a
 * string matches nothing. (The one insert of client text, users.create,
 * refuses it before it gets here.)
 */
export const bindsNul = (values: readonly unknown[]): boolean => values.some((value) => typeof value === 'string' && value.includes('\0'));

/** timestamptz arrives as a Date; the interfaces speak ISO-8601 strings. */
export const iso = (value: Date | null): string | null => (value === null ? null : value.toISOString());
export const isoOf = (value: Date): string => value.toISOString();
