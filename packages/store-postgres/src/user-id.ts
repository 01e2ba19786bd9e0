import type { UserId } from '@authbench/core';

/**
 * Credentials name their user in a jsonb column (migration 4), bound as
 * `$n::jsonb` with the id's JSON: 42 and "42" are different values there,
 * and pg hands jsonb back through JSON.parse, so each comes back its own type.
 *
 * jsonb cannot hold NUL (\u0000) any more than text can: such an id is bound
 * as it is, so `rows`/`count` see the NUL and answer "not found" without a
 * query, as they do for every other string.
 */
export const jsonUserId = (id: UserId): string => (typeof id === 'string' && id.includes('\0') ? id : JSON.stringify(id));

/**
 * An id for a new credential: the same JSON, refused up front when
 * PostgreSQL could not store it, rather than failing inside the statement or,
 * through `rows`/`count`, writing nothing without a word.
 * @throws TypeError for a string holding NUL, a number that is not finite, or any other type.
 */
export function storableUserId(id: UserId): string {
  if (typeof id === 'string' ? id.includes('\0') : typeof id !== 'number' || !Number.isFinite(id)) {
    throw new TypeError(`store-postgres: a user id must be a string without NUL or a finite number, got ${typeof id === 'string' ? 'a string holding NUL' : String(id)}`);
  }
  return JSON.stringify(id);
}

/** Only a whole number can name a row of the built-in users table (bigint ids). */
export const isBuiltInId = (id: UserId): id is number => typeof id === 'number' && Number.isSafeInteger(id);
