import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyPassword } from '@authbench/accounts';
import { openSqliteStore } from '@authbench/store-sqlite';
import { runCli } from '../src/commands.js';

let dir: string;
let env: Record<string, string>;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'authbench-cli-'));
  env = { DATABASE_PATH: join(dir, 'db.sqlite3') };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function cli(argv: string[], stdin = '') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += String(c)));
  stderr.on('data', (c) => (err += String(c)));
  const code = await runCli(argv, { env, stdin: Readable.from([stdin]), stdout, stderr });
  return { code, out, err };
}

describe('authbench CLI', () => {
  it('creates a user with the password from stdin, never from argv', async () => {
    const created = await cli(['createuser', 'alice', '--email', 'alice@example.com'], 'correct-horse-battery\n');
    expect(created).toEqual({ code: 0, out: 'Created user alice (id 1).\n', err: '' });
    const listed = await cli(['listusers']);
    expect(listed.code).toBe(0);
    expect(listed.out.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/, '<date>')).toBe(
      'id  username  email              active  joined\n' +
        '1   alice     alice@example.com  yes     <date>\n',
    );
  });

  it("validates with Django's rules and says which field failed", async () => {
    const result = await cli(['createuser', 'bob'], '12345\n');
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      'Error: password: This password is too short. It must contain at least 8 characters.\n' +
        'Error: password: This password is too common.\n' +
        'Error: password: This password is entirely numeric.\n',
    );
  });

  it('refuses an empty stdin', async () => {
    expect(await cli(['createuser', 'bob'], '')).toEqual({ code: 1, out: '', err: 'authbench: no password on stdin\n' });
  });

  it("drf_create_token prints DRF's line, keeps the key, and -r replaces it", async () => {
    await cli(['createuser', 'alice'], 'correct-horse-battery\n');
    const first = await cli(['drf_create_token', 'alice']);
    expect(first.code).toBe(0);
    const key = /^Generated token ([0-9a-f]{40}) for user alice\n$/.exec(first.out)?.[1];
    expect(key).toBeDefined();
    expect((await cli(['drf_create_token', 'alice'])).out).toBe(`Generated token ${key} for user alice\n`);
    const reset = await cli(['drf_create_token', '-r', 'alice']);
    expect(reset.out).toMatch(/^Generated token [0-9a-f]{40} for user alice\n$/);
    expect(reset.out).not.toContain(key!);
    expect(await cli(['drf_create_token', 'nobody'])).toEqual({
      code: 1,
      out: '',
      err: "authbench: user 'nobody' does not exist\n",
    });
  });

  it('deactivates, activates and deletes users, deleting their credentials with them', async () => {
    await cli(['createuser', 'alice'], 'correct-horse-battery\n');
    await cli(['drf_create_token', 'alice']);
    expect((await cli(['deactivate', 'alice'])).out).toBe('Deactivated user alice and revoked their credentials.\n');
    expect((await cli(['listusers'])).out).toMatch(/alice\s+no\s/);
    expect((await cli(['activate', 'alice'])).out).toBe('Activated user alice.\n');
    expect((await cli(['deleteuser', 'alice', '--no-input'])).out).toBe('Deleted user alice and their credentials.\n');
    const store = openSqliteStore(env['DATABASE_PATH']!);
    expect(store.db.prepare('SELECT count(*) AS n FROM tokens').get()).toEqual({ n: 0 });
    store.close();
    // One wording for a missing user, in every command (Django's).
    for (const command of ['deactivate', 'activate', 'deleteuser', 'drf_create_token']) {
      expect(await cli([command, 'alice'])).toEqual({ code: 1, out: '', err: "authbench: user 'alice' does not exist\n" });
    }
  });

  /** One credential of every scheme for the user, straight into the store, whatever AUTH_SCHEME says. */
  async function seedCredentials(userId: number, tag: string) {
    const store = openSqliteStore(env['DATABASE_PATH']!);
    const now = new Date().toISOString();
    const later = new Date(Date.now() + 86_400_000).toISOString();
    await store.tokens.getOrCreate({ key: tag.repeat(40), userId, created: now });
    await store.knoxTokens.create({ tokenKey: tag.repeat(15), digest: 'ff', userId, created: now, expiry: later, client: 'phone', lastUsed: null }, { max: null, now });
    await store.jwt.createLogin(
      { id: `login-${tag}`, userId, created: now, client: 'phone', expiresAt: later, lastRefreshed: null, revokedAt: null },
      { jti: `jti-${tag}`, loginId: `login-${tag}`, userId, createdAt: now, expiresAt: later },
    );
    await store.sessions.set({ sid: `sid-${tag}`, userId, data: '{}', expires: later, created: now, client: 'browser', lastUsed: now });
    store.close();
  }

  /** How many live credentials of each scheme the user holds. */
  async function credentialsOf(userId: number) {
    const store = openSqliteStore(env['DATABASE_PATH']!);
    const now = new Date().toISOString();
    const counts = {
      token: (await store.tokens.findByUser(userId)) ? 1 : 0,
      knox: (await store.knoxTokens.listLive(userId, now)).length,
      jwt: (await store.jwt.listLogins(userId, now)).length,
      session: (await store.sessions.listByUser(userId, now)).length,
    };
    store.close();
    return counts;
  }
  const ALL = { token: 1, knox: 1, jwt: 1, session: 1 };
  const NONE = { token: 0, knox: 0, jwt: 0, session: 0 };

  it("deactivate revokes the user's credentials in every scheme, whatever AUTH_SCHEME says; activate brings none back", async () => {
    await cli(['createuser', 'alice'], 'correct-horse-battery\n');
    await cli(['createuser', 'bob'], 'correct-horse-battery\n');
    await seedCredentials(1, 'a');
    await seedCredentials(2, 'b');
    expect(await credentialsOf(1)).toEqual(ALL);
    expect(await cli(['deactivate', 'alice'])).toEqual({ code: 0, out: 'Deactivated user alice and revoked their credentials.\n', err: '' });
    expect(await credentialsOf(1)).toEqual(NONE);
    expect(await credentialsOf(2)).toEqual(ALL);
    await cli(['activate', 'alice']);
    expect(await credentialsOf(1)).toEqual(NONE);
  });

  it('deleteuser takes tokens, knox tokens, jwt logins with their refresh tokens, and sessions with the user', async () => {
    env['AUTH_SCHEME'] = 'session,jwt';
    await cli(['createuser', 'alice'], 'correct-horse-battery\n');
    await cli(['createuser', 'bob'], 'correct-horse-battery\n');
    await seedCredentials(1, 'a');
    await seedCredentials(2, 'b');
    expect(await cli(['deleteuser', 'alice'], 'yes\n')).toEqual({
      code: 0,
      out: "Delete user 'alice' and every credential of theirs? Type 'yes' to continue, or 'no' to cancel: \nDeleted user alice and their credentials.\n",
      err: '',
    });
    const store = openSqliteStore(env['DATABASE_PATH']!);
    const rows = (table: string) => store.db.prepare(`SELECT user_id FROM ${table} ORDER BY user_id`).all();
    for (const table of ['tokens', 'knox_tokens', 'jwt_logins', 'jwt_outstanding', 'sessions']) expect(rows(table)).toEqual([{ user_id: 2 }]);
    store.close();
  });

  it("changepassword reads the new password as createuser does, stores it and revokes every credential", async () => {
    env['AUTH_SCHEME'] = 'knox';
    await cli(['createuser', 'alice', '--email', 'alice@example.com'], 'correct-horse-battery\n');
    await seedCredentials(1, 'a');
    expect(await cli(['changepassword', 'alice'], 'staple-gun-orbit-lantern\n')).toEqual({
      code: 0,
      out: "Changing password for user 'alice'\nPassword changed successfully for user 'alice'; every credential of theirs is revoked.\n",
      err: '',
    });
    expect(await credentialsOf(1)).toEqual(NONE);
    const store = openSqliteStore(env['DATABASE_PATH']!);
    const { passwordHash } = (await store.users.findLogin('alice'))!;
    store.close();
    expect(await verifyPassword('staple-gun-orbit-lantern', passwordHash)).toBe(true);
    expect(await verifyPassword('correct-horse-battery', passwordHash)).toBe(false);
  });

  it("changepassword validates with Django's rules, against the username and email too, and changes nothing then", async () => {
    await cli(['createuser', 'alice', '--email', 'alice.smith@example.com'], 'correct-horse-battery\n');
    await seedCredentials(1, 'a');
    expect(await cli(['changepassword', 'alice'], 'alice.smith@example\n')).toEqual({
      code: 1,
      out: "Changing password for user 'alice'\n",
      err: 'Error: password: The password is too similar to the email address.\n',
    });
    expect(await credentialsOf(1)).toEqual(ALL);
    expect(await cli(['changepassword', 'nobody'], 'staple-gun-orbit-lantern\n')).toEqual({ code: 1, out: '', err: "authbench: user 'nobody' does not exist\n" });
    expect(await cli(['changepassword', 'alice'], '')).toEqual({ code: 1, out: "Changing password for user 'alice'\n", err: 'authbench: no password on stdin\n' });
    // Never from argv.
    expect((await cli(['changepassword', 'alice', 'staple-gun-orbit-lantern'])).err).toMatch(/^authbench: changepassword takes one username\n/);
  });

  it('creates the token with the user when TOKEN_CREATE_ON_REGISTER is on', async () => {
    env['TOKEN_CREATE_ON_REGISTER'] = 'true';
    await cli(['createuser', 'alice'], 'correct-horse-battery\n');
    const store = openSqliteStore(env['DATABASE_PATH']!);
    expect(store.db.prepare('SELECT count(*) AS n FROM tokens').get()).toEqual({ n: 1 });
    store.close();
  });

  it('flushexpiredtokens deletes expired knox tokens and jwt logins, and keeps live ones', async () => {
    env['AUTH_SCHEME'] = 'knox,jwt';
    await cli(['createuser', 'alice'], 'correct-horse-battery\n');
    const store = openSqliteStore(env['DATABASE_PATH']!);
    const insert = store.db.prepare('INSERT INTO knox_tokens (token_key, digest, user_id, created, expiry) VALUES (?, ?, 1, ?, ?)');
    insert.run('aaaaaaaaaaaaaaa', 'd1', '2020-01-01T00:00:00.000Z', '2020-01-01T10:00:00.000Z');
    insert.run('bbbbbbbbbbbbbbb', 'd2', '2020-01-01T00:00:00.000Z', '2999-01-01T00:00:00.000Z');
    insert.run('ccccccccccccccc', 'd3', '2020-01-01T00:00:00.000Z', null);
    await store.jwt.createLogin(
      { id: 'old', userId: 1, created: '2020-01-01T00:00:00.000Z', client: '', expiresAt: '2020-01-02T00:00:00.000Z', lastRefreshed: null, revokedAt: null },
      { jti: 'j1', loginId: 'old', userId: 1, createdAt: '2020-01-01T00:00:00.000Z', expiresAt: '2020-01-02T00:00:00.000Z' },
    );
    store.close();
    expect(await cli(['flushexpiredtokens'])).toEqual({
      code: 0,
      out: 'knox: deleted 1 expired credential(s).\njwt: deleted 1 expired credential(s).\nsession: deleted 0 expired credential(s).\n',
      err: '',
    });
    const after = openSqliteStore(env['DATABASE_PATH']!);
    expect(after.db.prepare('SELECT token_key FROM knox_tokens ORDER BY token_key').all()).toEqual([
      { token_key: 'bbbbbbbbbbbbbbb' },
      { token_key: 'ccccccccccccccc' },
    ]);
    after.close();
    env['AUTH_SCHEME'] = 'token';
    // The stores of every scheme are swept, whatever AUTH_SCHEME says: nothing expired is left now.
    expect((await cli(['flushexpiredtokens'])).out).toBe(
      'knox: deleted 0 expired credential(s).\njwt: deleted 0 expired credential(s).\nsession: deleted 0 expired credential(s).\n',
    );
  });

  it('deleteuser asks first, and a no keeps the user; --no-input asks nothing', async () => {
    await cli(['createuser', 'alice'], 'correct-horse-battery\n');
    expect((await cli(['deleteuser', 'alice'], 'no\n')).err).toBe('authbench: Deletion cancelled.\n');
    expect((await cli(['deleteuser', 'alice'], '')).code).toBe(1);
    expect((await cli(['listusers'])).out).toMatch(/alice/);
    expect(await cli(['deleteuser', '--no-input', 'alice'])).toEqual({ code: 0, out: 'Deleted user alice and their credentials.\n', err: '' });
  });

  it('createuser says the username is taken before it asks for a password', async () => {
    await cli(['createuser', 'alice'], 'correct-horse-battery\n');
    // Nothing on stdin: were the password read first, the error would be "no password on stdin".
    expect(await cli(['createuser', 'alice'], '')).toEqual({ code: 1, out: '', err: 'authbench: Error: That username is already taken.\n' });
  });

  it('answers usage errors with exit code 2', async () => {
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^authbench: unknown command "frobnicate"\n\nusage: /);
    expect((await cli(['createuser'])).code).toBe(2);
    expect((await cli(['drf_create_token', 'a', '--force'])).err).toMatch(/^authbench: unknown option "--force"/);
    expect((await cli([])).code).toBe(2);
    expect((await cli(['help'])).code).toBe(0);
  });

  it('stops on a bad setting with one line naming it', async () => {
    env['AUTH_SCHEME'] = 'nope';
    expect(await cli(['listusers'])).toEqual({ code: 2, out: '', err: 'authbench: AUTH_SCHEME: unknown scheme "nope" (choose from token, knox, jwt, session)\n' });
  });
});
