import type { UserId } from '@authbench/core';

/** What a credential's `user_id` (an ANY column) is bound as. */
export type SqlUserId = number | bigint | string;

/**
 * A user id as a statement binds it. better-sqlite3 binds every JS number as
 * a REAL, and an ANY column keeps what it is given, so a whole number goes in
 * as a BigInt, which binds as an INTEGER: the type the rows migrated from the
 * INTEGER columns have, the smaller encoding, and what reads back as a plain
 * number. Strings (and any other number) go in as they are.
 */
export const sqlUserId = (id: UserId): SqlUserId => (typeof id === 'number' && Number.isSafeInteger(id) ? BigInt(id) : id);

/**
 * The built-in users table has INTEGER ids, and SQLite would convert the text
 * '42' to 42 when comparing with one: only a whole number can name a row of it.
 */
export const isBuiltInId = (id: UserId): id is number => typeof id === 'number' && Number.isSafeInteger(id);
