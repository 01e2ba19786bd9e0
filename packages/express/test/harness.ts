import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuthScheme } from '@authbench/core';
import { Accounts, type Argon2Parameters, type LoginThrottle } from '@authbench/accounts';
import { tokenScheme, type TokenSchemeOptions } from '@authbench/scheme-token';
import { openSqliteStore, type SqliteStore } from '@authbench/store-sqlite';
import { createAuthApp, createAuthServer, listen, type Logger } from '../src/index.js';

export interface TestApp {
  readonly url: string;
  readonly port: number;
  readonly store: SqliteStore;
  readonly logged: string[];
  close(): Promise<void>;
}

export function startTokenApp(options: Omit<TokenSchemeOptions, 'tokens'> = {}): Promise<TestApp> {
  return startApp((store) => [tokenScheme({ tokens: store.tokens, ...options })]);
}

/** The real app on an ephemeral port over a fresh SQLite file, with the schemes given. */
export async function startApp(
  makeSchemes: (store: SqliteStore) => AuthScheme[],
  options: { logger?: Logger; throttle?: (store: SqliteStore) => LoginThrottle; trustProxy?: readonly string[]; hashing?: Argon2Parameters } = {},
): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'authbench-http-'));
  const store = openSqliteStore(join(dir, 'db.sqlite3'));
  const schemes = makeSchemes(store);
  const accounts = new Accounts({
    users: store.users,
    hashing: options.hashing,
    onUserCreated: async (user) => {
      for (const scheme of schemes) await scheme.onUserCreated?.(user);
    },
  });
  const logged: string[] = [];
  const app = createAuthApp({
    schemes,
    users: accounts,
    log: (line) => logged.push(line),
    logger: options.logger,
    throttle: options.throttle?.(store),
    trustProxy: options.trustProxy,
  });
  const server = createAuthServer(app);
  const port = await listen(server, 0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    store,
    logged,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

export async function call(app: TestApp, method: string, path: string, init: { json?: unknown; body?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...init.headers };
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(app.url + path, { method, headers, ...(body !== undefined && { body }) });
  const text = await response.text();
  let parsed: unknown = undefined;
  if (response.headers.get('content-type')?.startsWith('application/json')) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** Bytes fetch will not send: a raw request on a socket, the raw response back. */
export function rawRequest(app: TestApp, request: Buffer | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(app.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.end(request);
  });
}

export const STRONG_PASSWORD = 'correct-horse-battery';

export async function register(app: TestApp, username: string, extra: Record<string, unknown> = {}): Promise<Reply> {
  return call(app, 'POST', '/api/auth/register', { json: { username, password: STRONG_PASSWORD, ...extra } });
}

/** Logs in and returns the `token` of the body (token and knox). */
export async function loginToken(app: TestApp, username: string, password = STRONG_PASSWORD): Promise<string> {
  const reply = await call(app, 'POST', '/api/auth/login', { json: { username, password } });
  if (reply.status !== 200) throw new Error(`login failed: ${reply.status} ${reply.text}`);
  return (reply.body as { token: string }).token;
}
