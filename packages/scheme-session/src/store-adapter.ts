import session from 'express-session';
import type { SessionData } from 'express-session';
import type { SessionStore, User, UserId } from '@authbench/core';

/** What the scheme keeps in a session, beside express-session's cookie. */
export interface AuthSessionData {
  userId?: UserId;
  client?: string;
  csrfSecret?: string;
  /** ISO-8601 of the stored row's last write, read back so touch can throttle itself. */
  lastWrite?: string;
  /** The session's user, read with the session in the same query; never stored. */
  user?: User | null;
}

declare module 'express-session' {
  interface SessionData extends AuthSessionData {}
}

type Callback<T = void> = (error: unknown, value?: T) => void;

/**
 * express-session's Store over core's SessionStore. `touch` writes only for
 * rolling sessions and at most once per interval, so a read-only request
 * reads one row and writes nothing.
 */
export class SessionStoreAdapter extends session.Store {
  constructor(
    private readonly store: SessionStore,
    private readonly clock: () => Date,
    private readonly rollingIntervalMs: number | null,
  ) {
    super();
  }

  override get(sid: string, callback: Callback<SessionData | null>): void {
    this.store.get(sid, this.clock().toISOString()).then(
      (record) =>
        callback(null, record ? { ...(JSON.parse(record.data) as SessionData), lastWrite: record.lastUsed, user: record.user } : null),
      callback,
    );
  }

  override set(sid: string, data: SessionData, callback?: Callback): void {
    const now = this.clock().toISOString();
    const { lastWrite: _written, user: _user, ...stored } = data; // read-backs, never stored
    const expires = data.cookie.expires ? new Date(data.cookie.expires).toISOString() : new Date(Date.now() + 86_400_000).toISOString();
    this.store
      .set({ sid, userId: data.userId ?? null, data: JSON.stringify(stored), expires, created: now, client: data.client ?? '', lastUsed: now })
      .then(() => callback?.(null), (error: unknown) => callback?.(error));
  }

  override touch(sid: string, data: SessionData, callback?: Callback): void {
    const now = this.clock();
    const due =
      this.rollingIntervalMs !== null &&
      data.cookie.expires !== undefined &&
      (data.lastWrite === undefined || now.getTime() - Date.parse(data.lastWrite) >= this.rollingIntervalMs);
    if (!due) {
      callback?.(null);
      return;
    }
    this.store
      .touch(sid, new Date(data.cookie.expires!).toISOString(), now.toISOString())
      .then(() => callback?.(null), (error: unknown) => callback?.(error));
  }

  override destroy(sid: string, callback?: Callback): void {
    this.store.destroy(sid).then(() => callback?.(null), (error: unknown) => callback?.(error));
  }

  override all(callback: Callback<SessionData[]>): void {
    this.store.all(this.clock().toISOString()).then((records) => callback(null, records.map((r) => JSON.parse(r.data) as SessionData)), callback);
  }

  override length(callback: Callback<number>): void {
    this.store.length(this.clock().toISOString()).then((n) => callback(null, n), callback);
  }

  override clear(callback?: Callback): void {
    this.store.clear().then(() => callback?.(null), (error: unknown) => callback?.(error));
  }
}
