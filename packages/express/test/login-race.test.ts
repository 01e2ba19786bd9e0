import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ServiceUnavailableError, type AuthScheme } from '@authbench/core';
import { Accounts } from '@authbench/accounts';
import { jwtScheme } from '@authbench/scheme-jwt';
import { knoxScheme } from '@authbench/scheme-knox';
import { sessionScheme } from '@authbench/scheme-session';
import { tokenScheme } from '@authbench/scheme-token';
import type { SqliteStore } from '@authbench/store-sqlite';
import { call, register, STRONG_PASSWORD, startApp, type Reply, type TestApp } from './harness.js';

/**
 * A login whose password check passed just before the owner changed the
 * password: the change revokes every credential that exists, and the login
 * then issues one. It must not outlive the change: the login is refused and
 * what it issued is withdrawn. The race is made certain by holding the
 * login between its password check and its credential.
 */

const NEW_PASSWORD = 'staple-gun-orbit-lantern';
const JWT_SECRET = 'a-test-secret-of-more-than-32-bytes-0123456789';
const SESSION_SECRET = 'a-session-secret-of-at-least-32-characters';
const BAD_LOGIN = { non_field_errors: ['Unable to log in with provided credentials.'] };
const NOW = () => new Date().toISOString();

let app: TestApp | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await app?.close();
  app = undefined;
});

const login = (json: unknown, headers: Record<string, string> = {}) => call(app!, 'POST', '/api/auth/login', { json, headers });
const changePassword = (headers: Record<string, string>) =>
  call(app!, 'POST', '/api/auth/password', { json: { old_password: STRONG_PASSWORD, new_password: NEW_PASSWORD }, headers });

/** Starts a login for alice that passes its password check and then waits until `release` is called. */
function heldLogin(send: () => Promise<Reply>): { reply: Promise<Reply>; checked: Promise<void>; release: () => void } {
  const original = Accounts.prototype.checkPassword;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let checked!: () => void;
  const checkedOnce = new Promise<void>((resolve) => (checked = resolve));
  vi.spyOn(Accounts.prototype, 'checkPassword').mockImplementationOnce(async function (this: Accounts, user, password) {
    const matches = await original.call(this, user, password);
    checked();
    await gate;
    return matches;
  });
  return { reply: send(), checked: checkedOnce, release };
}

/**
 * Runs `during` inside the next login's last look: the route reads the password stamp once
 * before the password check and once after issuing; this hooks that second read.
 */
function onLastLook(during: () => Promise<void>): void {
  const original = Accounts.prototype.passwordStamp;
  let calls = 0;
  vi.spyOn(Accounts.prototype, 'passwordStamp').mockImplementation(async function (this: Accounts, user) {
    if (++calls === 2) await during();
    return original.call(this, user);
  });
}

/**
 * The owner logs in with a session now; the next login's last look passes, and
 * then, before that login answers, the owner changes the password with that session.
 */
async function ownerChangesPasswordAfterTheLastLook(): Promise<void> {
  const owner = await login({ username: 'alice', password: STRONG_PASSWORD });
  const cookies = owner.headers.getSetCookie().map((c) => c.split(';', 1)[0]!);
  const csrf = cookies.find((c) => c.startsWith('csrftoken='))!.slice('csrftoken='.length);
  const original = Accounts.prototype.passwordStamp;
  let calls = 0;
  vi.spyOn(Accounts.prototype, 'passwordStamp').mockImplementation(async function (this: Accounts, user) {
    const stamp = await original.call(this, user);
    if (++calls === 2) expect((await changePassword({ cookie: cookies.join('; '), 'x-csrftoken': csrf })).status).toBe(200);
    return stamp;
  });
}

async function setUp(makeSchemes: (store: SqliteStore) => AuthScheme[]): Promise<void> {
  app = await startApp(makeSchemes);
  expect((await register(app, 'alice')).status).toBe(201);
}

describe('a login in flight across a password change is refused, and issues nothing that lasts', () => {
  it('token: the thief gets no token, and the owner keeps the one the change issued', async () => {
    await setUp((store) => [tokenScheme({ tokens: store.tokens })]);
    const owner = ((await login({ username: 'alice', password: STRONG_PASSWORD })).body as { token: string }).token;
    const thief = heldLogin(() => login({ username: 'alice', password: STRONG_PASSWORD }));
    await thief.checked;
    const changed = await changePassword({ authorization: `Token ${owner}` });
    expect(changed.status).toBe(200);
    const { token } = changed.body as { token: string };
    thief.release();
    const refused = await thief.reply;
    expect([refused.status, refused.body]).toEqual([400, BAD_LOGIN]);
    expect((await app!.store.tokens.findByUser(1))?.key).toBe(token);
    expect((await call(app!, 'GET', '/api/me', { headers: { authorization: `Token ${token}` } })).status).toBe(200);
  });

  it("token: a token the held login created, after the CLI's changepassword deleted the old one, is deleted again", async () => {
    await setUp((store) => [tokenScheme({ tokens: store.tokens })]);
    const thief = heldLogin(() => login({ username: 'alice', password: STRONG_PASSWORD }));
    await thief.checked;
    // What `npm run cli -- changepassword alice` stores and revokes.
    expect(await app!.store.users.setPassword(1, 'argon2-hash-of-another-password')).toBe(true);
    await app!.store.tokens.deleteByUser(1);
    thief.release();
    const refused = await thief.reply;
    expect([refused.status, refused.body]).toEqual([400, BAD_LOGIN]);
    expect(await app!.store.tokens.findByUser(1)).toBeNull();
  });

  it("token: a stale login's withdrawal leaves alone a token the owner has had issued since", async () => {
    await setUp((store) => [tokenScheme({ tokens: store.tokens })]);
    let ownersNew = '';
    // The thief's login created the user's token; before its last look, the owner logs in
    // (and gets that same token), then changes the password, which replaces it.
    onLastLook(async () => {
      vi.restoreAllMocks(); // the owner's own login and change below look as usual
      const owner = ((await login({ username: 'alice', password: STRONG_PASSWORD })).body as { token: string }).token;
      ownersNew = ((await changePassword({ authorization: `Token ${owner}` })).body as { token: string }).token;
    });
    const refused = await login({ username: 'alice', password: STRONG_PASSWORD });
    expect([refused.status, refused.body]).toEqual([400, BAD_LOGIN]);
    expect(ownersNew).toMatch(/^[0-9a-f]{40}$/);
    expect((await call(app!, 'GET', '/api/me', { headers: { authorization: `Token ${ownersNew}` } })).status).toBe(200);
  });

  it("knox: the thief gets no token, and the user's only live token is the owner's", async () => {
    await setUp((store) => [knoxScheme({ knoxTokens: store.knoxTokens })]);
    const owner = ((await login({ username: 'alice', password: STRONG_PASSWORD })).body as { token: string }).token;
    const thief = heldLogin(() => login({ username: 'alice', password: STRONG_PASSWORD }));
    await thief.checked;
    expect((await changePassword({ authorization: `Token ${owner}` })).status).toBe(200);
    thief.release();
    const refused = await thief.reply;
    expect([refused.status, refused.body]).toEqual([400, BAD_LOGIN]);
    const live = await app!.store.knoxTokens.listLive(1, NOW());
    expect(live.map((t) => t.tokenKey)).toEqual([owner.slice(0, 15)]);
  });

  it('knox over HTTP Basic: refused with the Basic failure, nothing left behind', async () => {
    await setUp((store) => [knoxScheme({ knoxTokens: store.knoxTokens })]);
    const owner = ((await login({ username: 'alice', password: STRONG_PASSWORD })).body as { token: string }).token;
    const basic = `Basic ${Buffer.from(`alice:${STRONG_PASSWORD}`).toString('base64')}`;
    const thief = heldLogin(() => call(app!, 'POST', '/api/auth/login', { headers: { authorization: basic } }));
    await thief.checked;
    expect((await changePassword({ authorization: `Token ${owner}` })).status).toBe(200);
    thief.release();
    const refused = await thief.reply;
    expect([refused.status, refused.body]).toEqual([401, { detail: 'Invalid username/password.' }]);
    expect(refused.headers.get('www-authenticate')).toBe('Basic realm="api"');
    expect(await app!.store.knoxTokens.listLive(1, NOW())).toHaveLength(1);
  });

  it("jwt: the thief gets no pair, and the user's only live login is the owner's", async () => {
    await setUp((store) => [jwtScheme({ jwt: store.jwt, users: store.users, signingKey: JWT_SECRET })]);
    const owner = (await login({ username: 'alice', password: STRONG_PASSWORD })).body as { access: string };
    const thief = heldLogin(() => login({ username: 'alice', password: STRONG_PASSWORD }));
    await thief.checked;
    expect((await changePassword({ authorization: `Bearer ${owner.access}` })).status).toBe(200);
    thief.release();
    const refused = await thief.reply;
    expect([refused.status, refused.body]).toEqual([401, { detail: 'No active account found with the given credentials' }]);
    expect(await app!.store.jwt.listLogins(1, NOW())).toHaveLength(1);
  });

  it('session: the thief gets no session cookie, and no session of theirs is stored', async () => {
    await setUp((store) => [sessionScheme({ sessions: store.sessions, secrets: [SESSION_SECRET] })]);
    const owner = await login({ username: 'alice', password: STRONG_PASSWORD });
    const cookies = owner.headers.getSetCookie().map((c) => c.split(';', 1)[0]!);
    const csrf = cookies.find((c) => c.startsWith('csrftoken='))!.slice('csrftoken='.length);
    const thief = heldLogin(() => login({ username: 'alice', password: STRONG_PASSWORD }));
    await thief.checked;
    expect((await changePassword({ cookie: cookies.join('; '), 'x-csrftoken': csrf })).status).toBe(200);
    thief.release();
    const refused = await thief.reply;
    expect([refused.status, refused.body]).toEqual([400, BAD_LOGIN]);
    expect(refused.headers.getSetCookie()).toEqual([]);
    expect(await app!.store.sessions.listByUser(1, NOW())).toHaveLength(1);
  });

  it("session: a change that lands after the login's check, as its session is being stored, still ends that session", async () => {
    await setUp((store) => [sessionScheme({ sessions: store.sessions, secrets: [SESSION_SECRET] })]);
    // The change lands after the thief's login made its last check, before its response is sent.
    await ownerChangesPasswordAfterTheLastLook();
    const thief = await login({ username: 'alice', password: STRONG_PASSWORD });
    expect(thief.status).toBe(200);
    const stolen = thief.headers.getSetCookie().map((c) => c.split(';', 1)[0]!).join('; ');
    // The look after the store write runs beside the client reading the response: give it a moment.
    for (let waited = 0; waited < 2000 && (await app!.store.sessions.listByUser(1, NOW())).length > 1; waited += 10) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await app!.store.sessions.listByUser(1, NOW())).toHaveLength(1);
    expect((await call(app!, 'GET', '/api/me', { headers: { cookie: stolen } })).status).toBe(403);
  });

  it('session: a client that hangs up as the headers arrive, before the session is stored, gets no session that outlives the change', async () => {
    let writing: Promise<void> = Promise.resolve();
    await setUp((store) => {
      // A slow store write: the session is stored well after the headers (and its cookie) went out.
      const set = store.sessions.set.bind(store.sessions);
      store.sessions.set = (record) =>
        (writing = (async () => {
          await new Promise((r) => setTimeout(r, 300));
          await set(record);
        })());
      return [sessionScheme({ sessions: store.sessions, secrets: [SESSION_SECRET] })];
    });
    // The change lands after the thief's login made its last check, before its response is sent.
    await ownerChangesPasswordAfterTheLastLook();
    // The thief reads the headers and resets the connection: express-session still stores the session.
    const body = JSON.stringify({ username: 'alice', password: STRONG_PASSWORD });
    const head = await new Promise<string>((resolve, reject) => {
      const socket = connect(app!.port, '127.0.0.1');
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString('latin1');
        if (text.includes('\r\n\r\n')) {
          socket.resetAndDestroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
      socket.write(`POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    });
    const stolen = /^Set-Cookie: (sessionid=[^;]+)/im.exec(head)![1]!;
    await writing; // the thief's session, stored after the change's revocation
    // Then the look after the store write ends it.
    for (let waited = 0; waited < 2000 && (await app!.store.sessions.listByUser(1, NOW())).length > 1; waited += 10) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await app!.store.sessions.listByUser(1, NOW())).toHaveLength(1);
    expect((await call(app!, 'GET', '/api/me', { headers: { cookie: stolen } })).status).toBe(403);
  });

  it.each(['knox', 'session'] as const)('%s: when the last look cannot be made (the database is away), the login is a 503 and leaves nothing', async (name) => {
    await setUp((store) =>
      name === 'knox' ? [knoxScheme({ knoxTokens: store.knoxTokens })] : [sessionScheme({ sessions: store.sessions, secrets: [SESSION_SECRET] })],
    );
    onLastLook(async () => {
      throw new ServiceUnavailableError('PostgreSQL');
    });
    const reply = await login({ username: 'alice', password: STRONG_PASSWORD });
    expect(reply.status).toBe(503);
    expect(reply.headers.getSetCookie().filter((c) => c.startsWith('sessionid='))).toEqual([]);
    expect(await app!.store.knoxTokens.listLive(1, NOW())).toEqual([]);
    expect(await app!.store.sessions.listByUser(1, NOW())).toEqual([]);
  });

  it('a login held across nothing still succeeds: the check after issuing is not a refusal by itself', async () => {
    await setUp((store) => [knoxScheme({ knoxTokens: store.knoxTokens })]);
    const held = heldLogin(() => login({ username: 'alice', password: STRONG_PASSWORD }));
    await held.checked;
    held.release();
    expect((await held.reply).status).toBe(200);
    expect(await app!.store.knoxTokens.listLive(1, NOW())).toHaveLength(1);
  });
});
