/**
 * In-process cost of one `authenticate()` call per scheme, beside the
 * operations it is built on, at growing numbers of stored credentials, with
 * the statements each call runs; and the cost of a login (password hashing),
 * which never appears in the per-request figures.
 */
import { createHmac, generateKeyPairSync, hash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuthScheme } from '@authbench/core';
import { Accounts } from '@authbench/accounts';
import { importSPKI, jwtVerify, type CryptoKey as JoseKey } from 'jose';
import { jwtScheme } from '@authbench/scheme-jwt';
import { knoxScheme } from '@authbench/scheme-knox';
import { sessionScheme } from '@authbench/scheme-session';
import { generateKey, tokenScheme } from '@authbench/scheme-token';
import { openSqliteStore, type SqliteStore } from '@authbench/store-sqlite';
import { sqlCounts } from './sql-counter.js';
import { spread, type Spread } from './stats.js';

export interface InProcessCase {
  readonly name: string;
  readonly nsPerCall: Spread;
  readonly readsPerCall: number;
  readonly writesPerCall: number;
}

export interface InProcessSize {
  readonly credentials: number;
  readonly cases: readonly InProcessCase[];
}

export interface LoginResult {
  readonly perSecond: number;
  readonly msEach: number;
  readonly parameters: string;
}

export interface InProcessOptions {
  /** Stored credentials of each kind, in increasing order; the store grows between sizes. */
  readonly sizes: readonly number[];
  readonly rounds: number;
  readonly roundMs: number;
  readonly loginMs: number;
  /** Users given a jwt login per algorithm (signature checks do not depend on how many exist). */
  readonly jwtUsers: number;
  readonly progress: (line: string) => void;
}

/** Credentials the timed loops present: a uniform sample of everything stored (reservoir sampling). */
const SAMPLE = 10_000;
const SESSION_SECRET = 'bench-session-secret-of-at-least-32-characters';
const HMAC_SECRET = 'bench-secret-of-at-least-32-bytes-0123456789';

type Call = (i: number) => unknown;

export async function runInProcess(options: InProcessOptions): Promise<{ sizes: InProcessSize[]; login: LoginResult }> {
  const dir = mkdtempSync(join(tmpdir(), 'authbench-inprocess-'));
  const store = openSqliteStore(join(dir, 'bench.sqlite3'));
  try {
    const seeder = new Seeder(store);
    const sizes: InProcessSize[] = [];
    for (const size of options.sizes) {
      options.progress(`in-process: storing ${size.toLocaleString('en-US')} credentials of each kind`);
      seeder.growTo(size);
      seeder.markKnoxSampleUsed();
      const cases = await casesFor(store, seeder, options.jwtUsers);
      await checkCases(cases);
      sizes.push({ credentials: size, cases: await timeCases(cases, options, size) });
    }
    options.progress('in-process: logins');
    return { sizes, login: await timeLogins(store, options.loginMs) };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Inserts users, DRF tokens, knox tokens and sessions directly: hashing a password per row would take hours at 10⁶. */
class Seeder {
  count = 0;
  readonly tokenKeys: string[] = [];
  readonly knoxTokens: string[] = [];
  readonly sessionCookies: string[] = [];
  readonly userIds: number[] = [];
  constructor(private readonly store: SqliteStore) {}

  growTo(target: number): void {
    const { db } = this.store;
    const user = db.prepare('INSERT INTO users (username, password, date_joined) VALUES (?, ?, ?)');
    const token = db.prepare('INSERT INTO tokens (key, user_id, created) VALUES (?, ?, ?)');
    const knox = db.prepare('INSERT INTO knox_tokens (token_key, digest, user_id, created, expiry, last_used) VALUES (?, ?, ?, ?, ?, ?)');
    const session = db.prepare('INSERT INTO sessions (sid, user_id, data, expires, created, last_used) VALUES (?, ?, ?, ?, ?, ?)');
    const now = new Date().toISOString();
    const expiry = new Date(Date.now() + 86_400_000).toISOString();
    const cookie = { originalMaxAge: 86_400_000, expires: expiry, httpOnly: true, path: '/', sameSite: 'lax' };
    const insertBatch = db.transaction((end: number) => {
      for (; this.count < end; this.count++) {
        const i = this.count;
        const id = Number(user.run(`user${i}`, '!', now).lastInsertRowid);
        const key = generateKey();
        token.run(key, id, now);
        const knoxToken = randomBytes(32).toString('hex');
        knox.run(knoxToken.slice(0, 15), hash('sha512', knoxToken), id, now, expiry, now);
        const sid = randomBytes(24).toString('base64url');
        session.run(sid, id, JSON.stringify({ cookie, userId: id, client: 'bench', csrfSecret: randomBytes(16).toString('hex') }), expiry, now, now);
        this.keep(i, id, key, knoxToken, sid);
      }
    });
    // A large page cache while inserting random keys (setup only), then the
    // store's own setting back, and the WAL folded into the file, so the
    // timed reads see the database as a long-running app would.
    const cacheSize = db.pragma('cache_size', { simple: true }) as number;
    db.pragma('cache_size = -1048576');
    while (this.count < target) insertBatch(Math.min(target, this.count + 50_000));
    db.pragma(`cache_size = ${cacheSize}`);
    db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /**
   * Knox records a token's use at most once per minute; seeding a million
   * rows takes longer than that. Marks the sampled tokens used now, as those
   * of active clients would be, so the timed calls write only as often as
   * knox itself would.
   */
  markKnoxSampleUsed(): void {
    const { db } = this.store;
    const touch = db.prepare('UPDATE knox_tokens SET last_used = ? WHERE token_key = ?');
    const now = new Date().toISOString();
    db.transaction(() => {
      for (const token of this.knoxTokens) touch.run(now, token.slice(0, 15));
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** Algorithm R: after n insertions each one is in the sample with the same probability. */
  private keep(i: number, id: number, key: string, knoxToken: string, sid: string): void {
    const slot = i < SAMPLE ? i : Math.floor(Math.random() * (i + 1));
    if (slot >= SAMPLE) return;
    this.userIds[slot] = id;
    this.tokenKeys[slot] = key;
    this.knoxTokens[slot] = knoxToken;
    this.sessionCookies[slot] = `sessionid=${encodeURIComponent(`s:${sid}.${createHmac('sha256', SESSION_SECRET).update(sid).digest('base64').replace(/=+$/, '')}`)}`;
  }
}

interface Case {
  readonly name: string;
  readonly call: Call;
  /** Checked before timing: the first call must name this user. */
  readonly expectUserId?: number;
}

const asRequest = (headers: Record<string, string>) => ({ headers, method: 'GET', url: '/api/me' }) as unknown as IncomingMessage;
const bearer = (token: string) => asRequest({ authorization: `Bearer ${token}` });

async function casesFor(store: SqliteStore, seeder: Seeder, jwtUsers: number): Promise<Case[]> {
  const pick = <T>(xs: readonly T[], i: number) => xs[i % xs.length]!;
  const tokenRequests = seeder.tokenKeys.map((k) => asRequest({ authorization: `Token ${k}` }));
  const knoxRequests = seeder.knoxTokens.map((k) => asRequest({ authorization: `Token ${k}` }));
  const bare = store.db.prepare(
    'SELECT u.id, u.username, u.email, u.is_active, u.date_joined FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.key = ?',
  );
  const token: AuthScheme = tokenScheme({ tokens: store.tokens });
  const knox: AuthScheme = knoxScheme({ knoxTokens: store.knoxTokens });

  // express-session's middleware (cookie parse, signature check, the store's read) and then authenticate().
  const session = sessionScheme({ sessions: store.sessions, secrets: [SESSION_SECRET] });
  const middleware = session.middleware!;
  const response = { writeHead() {}, write() {}, end() {}, setHeader() {}, getHeader() {} } as never;
  const sessionCall = (cookie: string) =>
    new Promise((resolve, reject) => {
      const req = { headers: { cookie }, method: 'GET', url: '/api/me', originalUrl: '/api/me', connection: {}, socket: {} } as never;
      middleware(req, response, (error) => (error ? reject(error) : resolve(session.authenticate(req))));
    });

  // jwt: a login for some users drawn from the whole table.
  const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const edKey = generateKeyPairSync('ed25519');
  const pem = (k: { privateKey: { export(o: object): string | Buffer } }) => k.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const schemes = {
    hs256: jwtScheme({ jwt: store.jwt, users: store.users, signingKey: HMAC_SECRET }),
    hs256Stateless: jwtScheme({ jwt: store.jwt, users: store.users, signingKey: HMAC_SECRET, stateless: true }),
    hs256StatelessJose: jwtScheme({ jwt: store.jwt, users: store.users, signingKey: HMAC_SECRET, stateless: true, verifier: 'jose' }),
    es256: jwtScheme({ jwt: store.jwt, users: store.users, algorithm: 'ES256', signingKey: pem(ecKey) }),
    eddsa: jwtScheme({ jwt: store.jwt, users: store.users, algorithm: 'EdDSA', signingKey: pem(edKey) }),
  };
  const loggedIn = seeder.userIds.slice(0, jwtUsers);
  const tokensOf = async (scheme: AuthScheme) => {
    const tokens: string[] = [];
    for (const id of loggedIn) {
      const { body } = await scheme.login((await store.users.findById(id))!, { req: asRequest({}), client: 'bench' });
      tokens.push((body as { access: string }).access);
    }
    return tokens;
  };
  const hsTokens = await tokensOf(schemes.hs256);
  const esTokens = await tokensOf(schemes.es256);
  const edTokens = await tokensOf(schemes.eddsa);
  const [hsRequests, esRequests, edRequests] = [hsTokens, esTokens, edTokens].map((ts) => ts.map(bearer)) as [IncomingMessage[], IncomingMessage[], IncomingMessage[]];
  // jose alone, each key imported once as a CryptoKey: the floor under the jwt scheme.
  const hmacKey = await crypto.subtle.importKey('raw', Buffer.from(HMAC_SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const ecPublic: JoseKey = await importSPKI(ecKey.publicKey.export({ format: 'pem', type: 'spki' }).toString(), 'ES256');

  const first = seeder.userIds[0]!;
  return [
    { name: 'bare prepared lookup, token → user (better-sqlite3)', call: (i) => bare.get(pick(seeder.tokenKeys, i)) },
    { name: 'token authenticate()', call: (i) => token.authenticate(pick(tokenRequests, i)), expectUserId: first },
    { name: 'knox authenticate()', call: (i) => knox.authenticate(pick(knoxRequests, i)), expectUserId: first },
    { name: 'session: express-session read + authenticate()', call: (i) => sessionCall(pick(seeder.sessionCookies, i)), expectUserId: first },
    { name: 'jose jwtVerify() alone, HS256', call: (i) => jwtVerify(pick(hsTokens, i), hmacKey, { algorithms: ['HS256'] }) },
    { name: 'jwt authenticate(), HS256, user check', call: (i) => schemes.hs256.authenticate(pick(hsRequests, i)), expectUserId: first },
    { name: 'jwt authenticate(), HS256, stateless', call: (i) => schemes.hs256Stateless.authenticate(pick(hsRequests, i)), expectUserId: first },
    { name: 'jwt authenticate(), HS256, stateless, jose verifier', call: (i) => schemes.hs256StatelessJose.authenticate(pick(hsRequests, i)), expectUserId: first },
    { name: 'jose jwtVerify() alone, ES256', call: (i) => jwtVerify(pick(esTokens, i), ecPublic, { algorithms: ['ES256'] }) },
    { name: 'jwt authenticate(), ES256, user check', call: (i) => schemes.es256.authenticate(pick(esRequests, i)), expectUserId: first },
    { name: 'jwt authenticate(), EdDSA, user check', call: (i) => schemes.eddsa.authenticate(pick(edRequests, i)), expectUserId: first },
  ];
}

/** A benchmark of error paths is worthless: each scheme must name the expected user before it is timed. */
async function checkCases(cases: readonly Case[]): Promise<void> {
  for (const c of cases) {
    const result = (await c.call(0)) as { user?: { id: number } } | null | undefined;
    if (c.expectUserId !== undefined && result?.user?.id !== c.expectUserId) {
      throw new Error(`in-process: ${c.name} did not authenticate user ${c.expectUserId}`);
    }
    if (c.expectUserId === undefined && !result) throw new Error(`in-process: ${c.name} returned nothing`);
  }
}

/** Cases alternated round by round, so the machine's drift hits every case alike; every call awaited. */
async function timeCases(cases: readonly Case[], options: InProcessOptions, size: number): Promise<InProcessCase[]> {
  const samples = cases.map(() => ({ ns: [] as number[], calls: 0, reads: 0, writes: 0 }));
  const round = async (c: Case) => {
    let calls = 0;
    const before = sqlCounts();
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(Math.round(options.roundMs * 1e6));
    let now = start;
    // Keys are taken with a stride, so consecutive calls never touch neighbouring rows.
    while (now < deadline) {
      for (let j = 0; j < 200; j++) await c.call((calls + j) * 7919);
      calls += 200;
      now = process.hrtime.bigint();
    }
    const after = sqlCounts();
    return { ns: Number(now - start) / calls, calls, reads: after.reads - before.reads, writes: after.writes - before.writes };
  };
  for (const c of cases) await round(c); // warm-up
  for (let r = 0; r < options.rounds; r++) {
    options.progress(`in-process, ${size.toLocaleString('en-US')} credentials: round ${r + 1}/${options.rounds}`);
    for (const [k, c] of cases.entries()) {
      const result = await round(c);
      const s = samples[k]!;
      s.ns.push(result.ns);
      s.calls += result.calls;
      s.reads += result.reads;
      s.writes += result.writes;
    }
  }
  return cases.map((c, k) => {
    const s = samples[k]!;
    return { name: c.name, nsPerCall: spread(s.ns), readsPerCall: s.reads / s.calls, writesPerCall: s.writes / s.calls };
  });
}

/** Logins: Argon2id at the parameters the app uses, one after another on one core. */
async function timeLogins(store: SqliteStore, ms: number): Promise<LoginResult> {
  const accounts = new Accounts({ users: store.users });
  const user = await accounts.register({ username: 'bench-login', password: 'correct-horse-battery' });
  const start = process.hrtime.bigint();
  let logins = 0;
  do {
    if (!(await accounts.checkPassword(user, 'correct-horse-battery'))) throw new Error('in-process: login check failed');
    logins++;
  } while (Number(process.hrtime.bigint() - start) / 1e6 < ms);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { perSecond: logins / seconds, msEach: (seconds / logins) * 1000, parameters: 'Argon2id m=19 MiB, t=2, p=1' };
}
