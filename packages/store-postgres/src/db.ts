import type { Pool, PoolClient, QueryResultRow } from 'pg';

/** Runs statements on the pool or inside one transaction's client. */
export type Queryable = Pick<Pool, 'query'> | PoolClient;

/**
 * One parameterised statement. A name makes PostgreSQL parse and plan it
 * once per connection and reuse the plan: every statement here has one.
 */
export async function rows<T extends QueryResultRow>(db: Queryable, name: string, text: string, values: unknown[]): Promise<T[]> {
  return (await db.query<T>({ name, text, values })).rows;
}

export async function count(db: Queryable, name: string, text: string, values: unknown[]): Promise<number> {
  return (await db.query({ name, text, values })).rowCount ?? 0;
}

/** `fn` inside BEGIN … COMMIT on one connection; ROLLBACK on any error. */
export async function transaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** timestamptz arrives as a Date; the interfaces speak ISO-8601 strings. */
export const iso = (value: Date | null): string | null => (value === null ? null : value.toISOString());
export const isoOf = (value: Date): string => value.toISOString();
