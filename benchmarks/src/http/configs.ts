import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { jwtScheme } from '@authbench/scheme-jwt';
import { openSqliteStore } from '@authbench/store-sqlite';
import { DJANGO, startDjangoPeer, type DjangoScheme, type Requirement } from './django-peer.js';
import type { Headers } from './load.js';
import type { ServerProcess } from './server-process.js';
import type { Storage } from './storage.js';
import type { Workspace } from './workspace.js';
import type { UserId } from '@authbench/core';

/** One server configuration the suite measures against the no-auth baseline. */
export interface HttpConfig {
  readonly name: string;
  /** Ours, or what a team would use instead. */
  readonly kind: 'scheme' | 'peer';
  /** The scheme it implements or competes with. */
  readonly family: 'token' | 'knox' | 'jwt' | 'session';
  /** Where its data is; it is paired with a baseline on the same storage. */
  readonly storage: Storage;
  /** Built JavaScript, relative to dist/src/http. */
  readonly entry: string;
  env(w: Workspace): Record<string, string>;
  /** One valid credential per workspace user, in user order. */
  credentials(server: ServerProcess, w: Workspace): Promise<Headers[]>;
  /** Credentials of the same shape that must be refused: what an attacker spraying guesses sends. */
  forge(valid: Headers, i: number): Headers;
  /** The status a refused credential gets. */
  readonly rejectedStatus: number;
  /** Also time a run of refused credentials. */
  readonly timeRejected: boolean;
  /** Not Node: what it needs installed. Without it the configuration is skipped and the run says so (`report.skipped`). */
  readonly requires?: Requirement;
  /** How to start a server that is not a Node entry (the Django peers); `entry` is then only a label. */
  start?(w: Workspace, core: number | string | null): Promise<ServerProcess>;
}

export const APP_ENTRY = fileURLToPath(new URL('./app-server.js', import.meta.url));
const peer = (file: string) => fileURLToPath(new URL(`../../peers/${file}`, import.meta.url));

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const base64url = (length: number) => randomBytes(length).toString('base64url').slice(0, length);

/** A JWT with its signature replaced by random bytes of the same length: verification runs in full and fails. */
const forgeJwt = (valid: Headers) => {
  const [scheme, token] = valid['authorization']!.split(' ');
  const [header, payload, signature] = token!.split('.');
  return { authorization: `${scheme} ${header}.${payload}.${base64url(signature!.length)}` };
};
/** A cookie with a well-formed but unsigned session id: express-session's signature check refuses it. */
const forgeCookie = (name: string) => () => ({ cookie: `${name}=s%3A${base64url(32)}.${base64url(43)}` });

/** `task(0)` … `task(count - 1)`, at most `width` at a time (logins hash a password each: a few cores' worth). */
export async function mapConcurrently<T>(count: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

/** Logs every workspace user in over HTTP, a few at a time, and turns each response into request headers. */
function logInAll(server: ServerProcess, w: Workspace, toHeaders: (body: Record<string, unknown>, response: Response) => Headers): Promise<Headers[]> {
  return mapConcurrently(w.users.length, 8, async (i) => {
    const response = await fetch(`http://127.0.0.1:${server.port}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'authbench-bench' },
      body: JSON.stringify({ username: w.users[i]!.username, password: w.password }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    if (response.status !== 200) throw new Error(`${server.name}: login answered ${response.status} ${JSON.stringify(body)}`);
    return toHeaders(body, response);
  });
}

const bearer = (keyword: string, field: string) => (body: Record<string, unknown>) => ({ authorization: `${keyword} ${String(body[field])}` });
const cookie = (name: string) => (_body: Record<string, unknown>, response: Response) => {
  const set = response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  if (!set) throw new Error(`login set no ${name} cookie`);
  return { cookie: set.split(';', 1)[0]! };
};

const APP: Pick<HttpConfig, 'kind' | 'entry' | 'timeRejected' | 'storage'> = { kind: 'scheme', entry: APP_ENTRY, timeRejected: false, storage: 'sqlite' };
// Request logging off: the one baseline is shared with the peers, which log nothing, so a logging
// baseline would hide its cost from their figures. What logging costs is in docs/benchmarks.md.
const appEnv = (w: Workspace, env: Record<string, string>, storage: Storage = 'sqlite') => ({
  ...w.storageEnv(storage),
  FLUSH_EXPIRED_INTERVAL: '0',
  LOG_LEVEL: 'silent',
  ...env,
});
// Access tokens outlive a full run (simplejwt's default is 5 minutes).
const jwtEnv = (w: Workspace, env: Record<string, string>, storage: Storage = 'sqlite') =>
  appEnv(w, { AUTH_SCHEME: 'jwt', JWT_ACCESS_TOKEN_LIFETIME: '86400', ...env }, storage);

const token: HttpConfig = {
  ...APP,
  name: 'token',
  family: 'token',
  timeRejected: true,
  env: (w) => appEnv(w, { AUTH_SCHEME: 'token' }),
  credentials: (s, w) => logInAll(s, w, bearer('Token', 'token')),
  forge: () => ({ authorization: `Token ${hex(20)}` }),
  rejectedStatus: 401,
};
const knox: HttpConfig = {
  ...APP,
  name: 'knox',
  family: 'knox',
  timeRejected: true,
  env: (w) => appEnv(w, { AUTH_SCHEME: 'knox' }),
  credentials: (s, w) => logInAll(s, w, bearer('Token', 'token')),
  forge: () => ({ authorization: `Token ${hex(32)}` }),
  rejectedStatus: 401,
};
const jwtHs256: HttpConfig = {
  ...APP,
  name: 'jwt HS256, user check',
  family: 'jwt',
  timeRejected: true,
  env: (w) => jwtEnv(w, { JWT_SIGNING_KEY: w.jwtSecret }),
  credentials: (s, w) => logInAll(s, w, bearer('Bearer', 'access')),
  forge: forgeJwt,
  rejectedStatus: 401,
};
const session: HttpConfig = {
  ...APP,
  name: 'session',
  family: 'session',
  timeRejected: true,
  env: (w) => appEnv(w, { AUTH_SCHEME: 'session', SESSION_SECRET: w.sessionSecret }),
  credentials: (s, w) => logInAll(s, w, cookie('sessionid')),
  forge: forgeCookie('sessionid'),
  rejectedStatus: 403,
};

/** Every configuration of the suite, in the order the report lists them. */
export const CONFIGS: readonly HttpConfig[] = [
  token,
  knox,
  { ...knox, name: 'knox, auto-refresh', timeRejected: false, env: (w) => appEnv(w, { AUTH_SCHEME: 'knox', KNOX_AUTO_REFRESH: 'true' }) },
  jwtHs256,
  { ...jwtHs256, name: 'jwt HS256, stateless', timeRejected: false, env: (w) => jwtEnv(w, { JWT_SIGNING_KEY: w.jwtSecret, JWT_STATELESS: 'true' }) },
  // The same through jose's verifier (JWT_VERIFIER=jose), the path the default node:crypto one is proven equal to.
  {
    ...jwtHs256,
    name: 'jwt HS256, stateless, jose verifier',
    timeRejected: false,
    env: (w) => jwtEnv(w, { JWT_SIGNING_KEY: w.jwtSecret, JWT_STATELESS: 'true', JWT_VERIFIER: 'jose' }),
  },
  // The cookie transport: the access token in the jwt_access cookie instead of Authorization (reads are GETs: no CSRF token).
  {
    ...jwtHs256,
    name: 'jwt HS256, stateless, cookie',
    timeRejected: false,
    env: (w) => jwtEnv(w, { JWT_SIGNING_KEY: w.jwtSecret, JWT_STATELESS: 'true', JWT_COOKIE: 'true' }),
    credentials: (s, w) => logInAll(s, w, cookie('jwt_access')),
    forge: (valid) => {
      const [header, payload, signature] = valid['cookie']!.slice('jwt_access='.length).split('.');
      return { cookie: `jwt_access=${header}.${payload}.${base64url(signature!.length)}` };
    },
  },
  { ...jwtHs256, name: 'jwt ES256, user check', timeRejected: false, env: (w) => jwtEnv(w, { JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY_FILE: w.es256KeyFile }) },
  { ...jwtHs256, name: 'jwt EdDSA, user check', timeRejected: false, env: (w) => jwtEnv(w, { JWT_ALGORITHM: 'EdDSA', JWT_PRIVATE_KEY_FILE: w.eddsaKeyFile }) },
  session,
  { ...session, name: 'session, rolling', timeRejected: false, env: (w) => appEnv(w, { AUTH_SCHEME: 'session', SESSION_SECRET: w.sessionSecret, SESSION_ROLLING: 'true' }) },
  {
    name: 'peer: passport-http-bearer',
    kind: 'peer',
    family: 'token',
    storage: 'sqlite',
    entry: peer('passport-bearer.js'),
    env: (w) => ({ DATABASE_PATH: w.databasePath }),
    async credentials(_s, w) {
      const db = new Database(w.databasePath, { readonly: true });
      try {
        const keyOf = db.prepare<[UserId], { key: string }>('SELECT key FROM tokens WHERE user_id = ?');
        return w.users.map((u) => ({ authorization: `Bearer ${keyOf.get(u.id)!.key}` }));
      } finally {
        db.close();
      }
    },
    forge: () => ({ authorization: `Bearer ${hex(20)}` }),
    rejectedStatus: 401,
    timeRejected: false,
  },
  {
    name: 'peer: express-jwt HS256',
    kind: 'peer',
    family: 'jwt',
    storage: 'sqlite',
    entry: peer('express-jwt.js'),
    env: (w) => ({ DATABASE_PATH: w.databasePath, JWT_SIGNING_KEY: w.jwtSecret }),
    // Issued by the jwt scheme itself (same secret and claims), as the app's login would.
    async credentials(_s, w) {
      const store = openSqliteStore(w.databasePath);
      try {
        const issuer = jwtScheme({ jwt: store.jwt, users: store.users, signingKey: w.jwtSecret, accessTokenLifetime: 86_400 });
        const headers: Headers[] = [];
        for (const u of w.users) {
          const user = (await store.users.findById(u.id))!;
          const { body } = await issuer.login(user, { req: { headers: {} } as never, client: 'authbench-bench' });
          headers.push({ authorization: `Bearer ${(body as { access: string }).access}` });
        }
        return headers;
      } finally {
        store.close();
      }
    },
    forge: forgeJwt,
    rejectedStatus: 401,
    timeRejected: false,
  },
  {
    name: 'peer: express-session + SQLite store',
    kind: 'peer',
    family: 'session',
    storage: 'sqlite',
    entry: peer('express-session-sqlite.js'),
    env: (w) => ({ DATABASE_PATH: w.databasePath, SESSION_SECRET: w.sessionSecret, PEER_SESSION_DATABASE: w.peerSessionDatabase }),
    credentials: (s, w) => logInAll(s, w, cookie('connect.sid')),
    forge: forgeCookie('connect.sid'),
    rejectedStatus: 401,
    timeRejected: false,
  },

  // The Django packages, as Debian packages them (optional: django-peer.ts). knox is not packaged in Debian.
  djangoPeer('peer: DRF TokenAuthentication', 'token', 'token', {
    credentials: (s, w) => logInAll(s, w, bearer('Token', 'token')),
    forge: () => ({ authorization: `Token ${hex(20)}` }),
    rejectedStatus: 401,
  }),
  djangoPeer('peer: simplejwt JWTAuthentication', 'jwt', 'jwt', {
    credentials: (s, w) => logInAll(s, w, bearer('Bearer', 'access')),
    forge: forgeJwt,
    rejectedStatus: 401,
  }),
  djangoPeer('peer: DRF SessionAuthentication', 'session', 'session', {
    credentials: (s, w) => logInAll(s, w, cookie('sessionid')),
    // Django's session keys are 32 characters of [a-z0-9]; an unknown one is an anonymous request, which DRF refuses with 403.
    forge: () => ({ cookie: `sessionid=${Array.from(randomBytes(32), (b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('')}` }),
    rejectedStatus: 403,
  }),

  // The same schemes on PostgreSQL, then with Redis beside it (jwt logins and sessions in Redis; the
  // lookup cache where a configuration says so). Stateless jwt reads no storage: its SQLite figure holds.
  { ...token, storage: 'postgres', name: 'token, PostgreSQL', env: (w) => appEnv(w, { AUTH_SCHEME: 'token' }, 'postgres') },
  { ...knox, storage: 'postgres', name: 'knox, PostgreSQL', timeRejected: false, env: (w) => appEnv(w, { AUTH_SCHEME: 'knox' }, 'postgres') },
  { ...jwtHs256, storage: 'postgres', name: 'jwt HS256, user check, PostgreSQL', timeRejected: false, env: (w) => jwtEnv(w, { JWT_SIGNING_KEY: w.jwtSecret }, 'postgres') },
  {
    ...jwtHs256,
    storage: 'postgres',
    name: 'jwt HS256, revocation check, PostgreSQL',
    timeRejected: false,
    env: (w) => jwtEnv(w, { JWT_SIGNING_KEY: w.jwtSecret, JWT_CHECK_REVOCATION: 'true' }, 'postgres'),
  },
  { ...session, storage: 'postgres', name: 'session, PostgreSQL', timeRejected: false, env: (w) => appEnv(w, { AUTH_SCHEME: 'session', SESSION_SECRET: w.sessionSecret }, 'postgres') },
  // No refused run with the cache: the load repeats the same forged keys, which the cache remembers as
  // unknown for 10 s, where an attacker's fresh guesses would all reach PostgreSQL.
  {
    ...token,
    storage: 'redis',
    name: 'token, PostgreSQL + Redis cache',
    timeRejected: false,
    env: (w) => appEnv(w, { AUTH_SCHEME: 'token', REDIS_CACHE: 'true' }, 'redis'),
  },
  {
    ...knox,
    storage: 'redis',
    name: 'knox, PostgreSQL + Redis cache',
    timeRejected: false,
    env: (w) => appEnv(w, { AUTH_SCHEME: 'knox', REDIS_CACHE: 'true' }, 'redis'),
  },
  // Refresh families in Redis; per request the user check still reads PostgreSQL (the cache holds no users).
  { ...jwtHs256, storage: 'redis', name: 'jwt HS256, user check, PostgreSQL + Redis', timeRejected: false, env: (w) => jwtEnv(w, { JWT_SIGNING_KEY: w.jwtSecret }, 'redis') },
  {
    ...jwtHs256,
    storage: 'redis',
    name: 'jwt HS256, revocation check, PostgreSQL + Redis',
    timeRejected: false,
    env: (w) => jwtEnv(w, { JWT_SIGNING_KEY: w.jwtSecret, JWT_CHECK_REVOCATION: 'true' }, 'redis'),
  },
  // Sessions in Redis through connect-redis; the user they name read from PostgreSQL.
  { ...session, storage: 'redis', name: 'session, PostgreSQL + Redis', timeRejected: false, env: (w) => appEnv(w, { AUTH_SCHEME: 'session', SESSION_SECRET: w.sessionSecret }, 'redis') },
];

/** A Django peer on its own SQLite file with the workspace's users, served by gunicorn (one sync worker). */
function djangoPeer(
  name: string,
  family: HttpConfig['family'],
  scheme: DjangoScheme,
  how: Pick<HttpConfig, 'credentials' | 'forge' | 'rejectedStatus'>,
): HttpConfig {
  return {
    name,
    kind: 'peer',
    family,
    storage: 'sqlite',
    entry: `gunicorn authpeer.wsgi (AUTHPEER_SCHEME=${scheme})`,
    env: () => ({}),
    ...how,
    timeRejected: false,
    requires: DJANGO,
    start: (w, core) => startDjangoPeer(name, scheme, w, core),
  };
}

/** The baseline: the same app and route on the same storage, with a scheme that checks nothing. */
export const baselineEnv = (w: Workspace, storage: Storage = 'sqlite') =>
  appEnv(w, { AUTH_SCHEME: 'token', BENCH_BASELINE: '1', BENCH_BASELINE_USER: w.users[0]!.username }, storage);

/** The configurations also run as two instances on shared storage (one, then two, app processes). */
export const TWO_INSTANCE_CONFIGS: readonly string[] = ['token, PostgreSQL', 'token, PostgreSQL + Redis cache', 'session, PostgreSQL + Redis'];
