import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthScheme, SessionStore, User } from '@authbench/core';
import { openSqliteStore, type SqliteStore } from '@authbench/store-sqlite';
import { sessionScheme } from '../src/index.js';

/**
 * The read path (the scheme's own cookie check and one store read) beside
 * express-session's, which every request that changes a session still takes:
 * the same request authenticates the same caller, or is refused with the same
 * answer, whichever path serves it. A request carrying `req.cookies` (as after
 * cookie-parser) takes express-session's path, which makes the comparison.
 */

const NEW_SECRET = 'the-new-secret-of-at-least-32-characters';
const OLD_SECRET = 'the-old-secret-of-at-least-32-characters';
const OTHER_SECRET = 'nobody-knows-this-secret-of-32-characters';

const sign = (sid: string, secret: string) => `s:${sid}.${createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, '')}`;

interface Reply {
  status: number;
  body: unknown;
  setCookie: string[];
}

let dir: string;
let store: SqliteStore;
let server: Server;
let url: string;
let scheme: AuthScheme;
let alice: User;
let bob: User;
const storeCalls: string[] = [];
/** Per request: whether express-session ran (it sets req.session), for the tests to look at. */
const expressSessionRan: boolean[] = [];

/** Counts calls at the store boundary. */
function counted(sessions: SessionStore): SessionStore {
  return Object.fromEntries(
    Object.entries(sessions).map(([name, fn]) => [name, (...args: unknown[]) => (storeCalls.push(name), (fn as (...a: unknown[]) => unknown)(...args))]),
  ) as unknown as SessionStore;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'authbench-session-read-'));
  store = openSqliteStore(join(dir, 'db.sqlite3'));
  alice = await store.users.create({ username: 'alice', email: '', passwordHash: 'x' });
  bob = await store.users.create({ username: 'bob', email: '', passwordHash: 'x' });
  scheme = sessionScheme({ sessions: counted(store.sessions), secrets: [NEW_SECRET, OLD_SECRET] });
  server = createServer((req, res) => {
    // `x-via-express-session`: the request looks as cookie-parser leaves it, so express-session reads it.
    if (req.headers['x-via-express-session'] === '1') Object.assign(req, { cookies: {} });
    scheme.middleware!(req, res, (error?: unknown) => {
      const answer = async () => {
        if (error) throw error;
        if (req.url === '/login') {
          const who = req.headers['x-user'] === 'bob' ? bob : alice;
          const result = await scheme.login(who, { req, client: 'test' });
          res.setHeader('Set-Cookie', [...(result.headers?.['Set-Cookie'] ?? [])]);
          return { status: 200, body: result.body };
        }
        const caller = await scheme.authenticate(req);
        if (caller && req.url === '/logout') {
          const result = await scheme.logout(caller, req);
          res.setHeader('Set-Cookie', [...(result?.headers?.['Set-Cookie'] ?? [])]);
          return { status: 204, body: null };
        }
        return { status: 200, body: caller && { id: caller.user.id, scheme: caller.scheme, credentialId: caller.credentialId } };
      };
      answer().then(
        ({ status, body }) => {
          expressSessionRan.push((req as IncomingMessage & { session?: unknown }).session !== undefined);
          res.statusCode = status;
          res.end(JSON.stringify(body));
        },
        (failure: { status?: number; body?: unknown }) => {
          expressSessionRan.push((req as IncomingMessage & { session?: unknown }).session !== undefined);
          res.statusCode = failure.status ?? 500;
          res.end(JSON.stringify(failure.body ?? String(failure)));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function send(method: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(url + path, { method, headers });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text), setCookie: response.headers.getSetCookie() };
}

/** A login's cookies: the signed sessionid value as sent, its session id, and the CSRF secret. */
async function login(user = 'alice', headers: Record<string, string> = {}) {
  const reply = await send('POST', '/login', { 'x-user': user, ...headers });
  expect(reply.status).toBe(200);
  const cookie = (name: string) => reply.setCookie.find((c) => c.startsWith(`${name}=`))!.split(';', 1)[0]!.slice(name.length + 1);
  const value = cookie('sessionid');
  return { value, sid: decodeURIComponent(value).slice(2).split('.')[0]!, csrf: cookie('csrftoken'), setCookie: reply.setCookie };
}

/** The same request down both paths. */
async function bothPaths(method: string, headers: Record<string, string>) {
  const read = await send(method, '/me', headers);
  const full = await send(method, '/me', { ...headers, 'x-via-express-session': '1' });
  return { read, full };
}

describe('the read path', () => {
  it('answers a logged-in GET with one store read, no write and no cookie, without running express-session', async () => {
    const { value } = await login();
    storeCalls.length = 0;
    expressSessionRan.length = 0;
    const reply = await send('GET', '/me', { cookie: `sessionid=${value}` });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ id: alice.id, scheme: 'session' });
    expect(reply.setCookie).toEqual([]);
    expect(storeCalls).toEqual(['get']);
    expect(expressSessionRan).toEqual([false]);
  });

  it('reads nothing for a cookie whose signature fails', async () => {
    const { sid } = await login();
    storeCalls.length = 0;
    const reply = await send('GET', '/me', { cookie: `sessionid=${encodeURIComponent(sign(sid, OTHER_SECRET))}` });
    expect(reply.body).toBeNull();
    expect(storeCalls).toEqual([]);
  });

  it('hands a login to express-session: a new id, the old session destroyed, its cookie set', async () => {
    const first = await login();
    expressSessionRan.length = 0;
    const second = await login('alice', { cookie: `sessionid=${first.value}` });
    expect(expressSessionRan).toEqual([true]);
    expect(second.sid).not.toBe(first.sid);
    expect(second.setCookie.map((c) => c.split('=', 1)[0])).toEqual(['csrftoken', 'sessionid']);
    expect((await send('GET', '/me', { cookie: `sessionid=${first.value}` })).body).toBeNull();
    expect((await send('GET', '/me', { cookie: `sessionid=${second.value}` })).body).toMatchObject({ id: alice.id });
  });

  it('hands a logout to express-session: the session is destroyed and the cookie expired', async () => {
    const { value, csrf } = await login();
    const reply = await send('POST', '/logout', { cookie: `sessionid=${value}`, 'x-csrftoken': csrf });
    expect(reply.status).toBe(204);
    expect(reply.setCookie).toEqual(['sessionid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Lax']);
    expect((await send('GET', '/me', { cookie: `sessionid=${value}` })).body).toBeNull();
  });
});

describe('the read path and express-session agree', () => {
  it('on valid, rotated-secret, tampered, wrong-secret, unsigned, malformed and url-encoded cookies', async () => {
    const { value, sid } = await login();
    const bobs = await login('bob');
    const signature = decodeURIComponent(value).split('.')[1]!;
    const cases: Record<string, string> = {
      valid: `sessionid=${value}`,
      'valid, not url-encoded': `sessionid=${decodeURIComponent(value)}`,
      'valid, quoted, among other cookies': `a=1; csrftoken=x; sessionid="${value}"; sessionid=junk`,
      'signed with the old secret, still listed': `sessionid=${encodeURIComponent(sign(sid, OLD_SECRET))}`,
      'signed with a secret not listed': `sessionid=${encodeURIComponent(sign(sid, OTHER_SECRET))}`,
      "another session's signature": `sessionid=${encodeURIComponent(`s:${sid}.${decodeURIComponent(bobs.value).split('.')[1]!}`)}`,
      'id tampered': `sessionid=${encodeURIComponent(`s:${bobs.sid}.${signature}`)}`,
      'signature truncated': `sessionid=${value.slice(0, -1)}`,
      unsigned: `sessionid=${sid}`,
      'no s: prefix': `sessionid=${encodeURIComponent(sign(sid, NEW_SECRET).slice(2))}`,
      'a second sessionid first': `sessionid=junk; sessionid=${value}`,
      'malformed percent-encoding': `sessionid=${value}%E0%A4%A`,
      empty: 'sessionid=',
      none: 'csrftoken=x',
    };
    const results: Record<string, unknown> = {};
    for (const [name, cookie] of Object.entries(cases)) {
      const { read, full } = await bothPaths('GET', { cookie });
      expect(read, name).toEqual(full);
      results[name] = (read.body as { id: number } | null)?.id ?? null;
    }
    const accepted = ['valid', 'valid, not url-encoded', 'valid, quoted, among other cookies', 'signed with the old secret, still listed'];
    expect(results).toEqual(Object.fromEntries(Object.keys(cases).map((name) => [name, accepted.includes(name) ? alice.id : null])));
  });

  it("on an inactive user's session, and on a session that has expired", async () => {
    const carol = await store.users.create({ username: 'carol', email: '', passwordHash: 'x' });
    const { value: carols } = await login('alice');
    const row = store.db.prepare('SELECT sid FROM sessions ORDER BY created DESC LIMIT 1').pluck().get() as string;
    store.db.prepare('UPDATE sessions SET user_id = ? WHERE sid = ?').run(carol.id, row);
    await store.users.setActive(carol.id, false);
    const inactive = await bothPaths('GET', { cookie: `sessionid=${carols}` });
    expect(inactive.read).toEqual(inactive.full);
    expect(inactive.read.body).toBeNull();

    const { value, sid } = await login();
    store.db.prepare('UPDATE sessions SET expires = ? WHERE sid = ?').run('2000-01-01T00:00:00.000Z', sid);
    const expired = await bothPaths('GET', { cookie: `sessionid=${value}` });
    expect(expired.read).toEqual(expired.full);
    expect(expired.read.body).toBeNull();
  });

  it('on CSRF: the right token, a wrong one, none', async () => {
    const { value, csrf } = await login();
    const cookie = `sessionid=${value}`;
    const right = await bothPaths('PUT', { cookie, 'x-csrftoken': csrf });
    expect(right.read).toEqual(right.full);
    expect(right.read.body).toMatchObject({ id: alice.id });
    const wrong = await bothPaths('PUT', { cookie, 'x-csrftoken': 'a'.repeat(32) });
    expect(wrong.read).toEqual(wrong.full);
    expect(wrong.read).toMatchObject({ status: 403, body: { detail: "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect." } });
    const missing = await bothPaths('PUT', { cookie });
    expect(missing.read).toEqual(missing.full);
    expect(missing.read).toMatchObject({ status: 403, body: { detail: 'CSRF Failed: CSRF token missing.' } });
  });
});
