import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { ServiceUnavailableError } from '@authbench/core';

/** Runs statements on the pool or inside one transaction's client. */
export type Queryable = Pick<Pool, 'query'> | PoolClient;

/**
 * One parameterised statement. A name makes PostgreSQL parse and plan it
 * once per connection and reuse the plan: every statement here has one.
 */
export async function rows<T extends QueryResultRow>(db: Queryable, name: string, text: string, values: unknown[]): Promise<T[]> {
  try {
    return (await db.query<T>({ name, text, values })).rows;
  } catch (error) {
    throw unavailableOr(error);
  }
}

export async function count(db: Queryable, name: string, text: string, values: unknown[]): Promise<number> {
  try {
    return (await db.query({ name, text, values })).rowCount ?? 0;
  } catch (error) {
    throw unavailableOr(error);
  }
}

/** `fn` inside BEGIN … COMMIT on one connection; ROLLBACK on any error. */
export async function transaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw unavailableOr(error);
  }
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    broken = isConnectionError(error);
    if (!broken) await client.query('ROLLBACK').catch(() => {});
    throw unavailableOr(error);
  } finally {
    // A connection that failed mid-transaction is discarded, not reused.
    client.release(broken);
  }
}

/** SQLSTATE classes and socket codes that mean the server, not the statement, failed. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND']);

export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) || SOCKET_CODES.has(code))) return true;
  // pg's own messages for a connection that dropped or could not be had in time.
  return /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed)/.test(error.message);
}

/** A server that does not answer becomes a 503 the client may retry; any other error stays itself. */
function unavailableOr(error: unknown): unknown {
  return isConnectionError(error) ? new ServiceUnavailableError('PostgreSQL', error) : error;
}

/** timestamptz arrives as a Date; the interfaces speak ISO-8601 strings. */
export const iso = (value: Date | null): string | null => (value === null ? null : value.toISOString());
export const isoOf = (value: Date): string => value.toISOString();
