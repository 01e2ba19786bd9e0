import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { knoxScheme } from '@authbench/scheme-knox';
import { call, loginToken, register, STRONG_PASSWORD, startApp, type TestApp } from './harness.js';

const INVALID_TOKEN = { detail: 'Invalid token.' };
const HOUR = 3600_000;

// The scheme's clock; the HTTP layer and SQLite run in real time.
let now = new Date('2026-11-22T10:00:00.000Z');
let app: TestApp;
beforeAll(async () => {
  app = await startApp((store) => [knoxScheme({ knoxTokens: store.knoxTokens, tokenLimitPerUser: 3, now: () => now })]);
  await register(app, 'alice');
  await register(app, 'bob');
});
afterAll(async () => {
  await app.close();
});
// Each test starts with no tokens, so the per-user limit of 3 is each test's own.
beforeEach(() => {
  app.store.db.exec('DELETE FROM knox_tokens');
});

const me = (token: string) => call(app, 'GET', '/api/me', { headers: { authorization: `Token ${token}` } });
const post = (path: string, token: string) => call(app, 'POST', path, { headers: { authorization: `Token ${token}` } });
const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

describe('knox over HTTP', () => {
  it("logs in with knox's body: a DRF-format expiry 10 hours on, and a new 64-hex token", async () => {
    const reply = await call(app, 'POST', '/api/auth/login', {
      json: { username: 'alice', password: STRONG_PASSWORD },
      headers: { 'user-agent': 'phone/1.0' },
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ expiry: '2026-11-22T20:00:00Z', token: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(reply.headers.get('cache-control')).toBe('no-store');
  });

  it('gives one token per login, each working on its own', async () => {
    const phone = await loginToken(app, 'alice');
    const laptop = await loginToken(app, 'alice');
    expect(phone).not.toBe(laptop);
    expect((await me(phone)).body).toMatchObject({ username: 'alice' });
    expect((await me(laptop)).status).toBe(200);
  });

  it('stores no token: only digests', async () => {
    const token = await loginToken(app, 'alice');
    const rows = app.store.db.prepare('SELECT * FROM knox_tokens').all();
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(JSON.stringify(rows)).toContain(token.slice(0, 15));
  });

  it('logout kills the calling token only; logoutall kills the rest', async () => {
    const [a, b, c] = [await loginToken(app, 'alice'), await loginToken(app, 'alice'), await loginToken(app, 'alice')];
    expect((await post('/api/auth/logout', a)).status).toBe(204);
    expect((await me(a)).body).toEqual(INVALID_TOKEN);
    expect((await me(b)).status).toBe(200);
    expect((await post('/api/auth/logoutall', b)).status).toBe(204);
    expect((await me(b)).status).toBe(401);
    expect((await me(c)).body).toEqual(INVALID_TOKEN);
  });

  it('refuses an expired token with Invalid token. and forgets it', async () => {
    const token = await loginToken(app, 'alice');
    now = new Date(now.getTime() + 10 * HOUR + 1000);
    const reply = await me(token);
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual(INVALID_TOKEN);
    expect(app.store.db.prepare('SELECT count(*) AS n FROM knox_tokens WHERE token_key = ?').get(token.slice(0, 15))).toEqual({ n: 0 });
  });

  it('an expired token used by two requests at once: both get Invalid token., neither a 500', async () => {
    const token = await loginToken(app, 'alice');
    now = new Date(now.getTime() + 10 * HOUR + 1000);
    const replies = await Promise.all([me(token), me(token), me(token)]);
    expect(replies.map((r) => [r.status, r.body])).toEqual(Array(3).fill([401, INVALID_TOKEN]));
  });

  it("answers knox's 403 past the per-user limit, and a logout frees a place", async () => {
    const tokens = [await loginToken(app, 'bob'), await loginToken(app, 'bob'), await loginToken(app, 'bob')];
    const over = await call(app, 'POST', '/api/auth/login', { json: { username: 'bob', password: STRONG_PASSWORD } });
    expect(over.status).toBe(403);
    expect(over.body).toEqual({ error: 'Maximum amount of tokens allowed per user exceeded.' });
    await post('/api/auth/logout', tokens[0]!);
    expect((await call(app, 'POST', '/api/auth/login', { json: { username: 'bob', password: STRONG_PASSWORD } })).status).toBe(200);
  });

  describe('HTTP Basic at login, as knox’s LoginView', () => {
    it('logs in with Basic credentials and an empty body', async () => {
      const reply = await call(app, 'POST', '/api/auth/login', { headers: { authorization: basic('alice', STRONG_PASSWORD) } });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ expiry: expect.any(String), token: expect.stringMatching(/^[0-9a-f]{64}$/) });
    });

    it.each([
      [basic('alice', 'wrong-password'), 'Invalid username/password.'],
      [basic('nobody', STRONG_PASSWORD), 'Invalid username/password.'],
      ['Basic', 'Invalid basic header. No credentials provided.'],
      ['Basic a b', 'Invalid basic header. Credentials string should not contain spaces.'],
      ['Basic !!!', 'Invalid basic header. Credentials not correctly base64 encoded.'],
      [`Basic ${Buffer.from('no-colon').toString('base64')}`, 'Invalid basic header. Credentials not correctly base64 encoded.'],
    ])('401 with a Basic challenge for %j', async (authorization, detail) => {
      const reply = await call(app, 'POST', '/api/auth/login', { headers: { authorization } });
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual({ detail });
      expect(reply.headers.get('www-authenticate')).toBe('Basic realm="api"');
    });

    it('prefers credentials in the body', async () => {
      const reply = await call(app, 'POST', '/api/auth/login', {
        json: { username: 'alice', password: 'wrong-password' },
        headers: { authorization: basic('alice', STRONG_PASSWORD) },
      });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ non_field_errors: ['Unable to log in with provided credentials.'] });
    });
  });

  describe('sessions: one per device', () => {
    it('lists live logins with their client, marks the current one, and never shows a secret', async () => {
      const phone = await loginToken(app, 'alice');
      await call(app, 'POST', '/api/auth/login', {
        json: { username: 'alice', password: STRONG_PASSWORD },
        headers: { 'user-agent': 'laptop/2.0' },
      });
      const reply = await call(app, 'GET', '/api/auth/sessions', { headers: { authorization: `Token ${phone}`, 'user-agent': 'phone' } });
      expect(reply.status).toBe(200);
      const sessions = reply.body as Array<Record<string, unknown>>;
      expect(sessions).toHaveLength(2);
      for (const s of sessions) {
        expect(Object.keys(s).sort()).toEqual(['client', 'created', 'current', 'expiry', 'id', 'last_used']);
        expect(s['id']).toEqual(expect.any(String));
      }
      const current = sessions.filter((s) => s['current']);
      expect(current).toEqual([expect.objectContaining({ id: expect.stringMatching(/^[0-9a-f]{32}$/) })]);
      expect(sessions.map((s) => s['client'])).toContain('laptop/2.0');
      // Nothing of a token: not even its key, the first 15 characters that name it in the database.
      expect(reply.text).not.toContain(phone.slice(0, 15));
      const digests = app.store.db.prepare('SELECT digest FROM knox_tokens').all() as { digest: string }[];
      for (const { digest } of digests) expect(reply.text).not.toContain(digest);
    });

    it('revokes one device: 204, then that token is dead; unknown or foreign ids are 404', async () => {
      const mine = await loginToken(app, 'alice');
      const other = await loginToken(app, 'alice');
      const bobs = await loginToken(app, 'bob');
      const idOf = async (token: string) =>
        ((await call(app, 'GET', '/api/auth/sessions', { headers: { authorization: `Token ${token}` } })).body as Array<{ id: string; current: boolean }>).find((s) => s.current)!.id;
      const [otherId, bobsId] = [await idOf(other), await idOf(bobs)];
      expect((await call(app, 'DELETE', `/api/auth/sessions/${otherId}`, { headers: { authorization: `Token ${mine}` } })).status).toBe(204);
      expect((await me(other)).body).toEqual(INVALID_TOKEN);
      expect((await me(mine)).status).toBe(200);
      // Gone, someone else's, unknown, and a token key (what ids were once).
      for (const id of [otherId, bobsId, 'nope', mine.slice(0, 15)]) {
        const reply = await call(app, 'DELETE', `/api/auth/sessions/${id}`, { headers: { authorization: `Token ${mine}` } });
        expect(reply.status).toBe(404);
        expect(reply.body).toEqual({ detail: 'Not found.' });
      }
      expect((await me(bobs)).status).toBe(200);
    });

    it('needs authentication', async () => {
      const reply = await call(app, 'GET', '/api/auth/sessions');
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe('Token');
    });
  });

  describe('bad credentials: 401 with knox’s message, never a 500', () => {
    it.each([
      ['the keyword alone', 'Token', 'Invalid token header. No credentials provided.'],
      ['three words', 'Token a b', 'Invalid token header. Token string should not contain spaces.'],
      ['non-UTF-8 bytes', 'Token \xff\xfe', 'Invalid token header. Token string should not contain invalid characters.'],
      ['an unknown token', `Token ${'a'.repeat(64)}`, 'Invalid token.'],
      ['a token one short', `Token ${'a'.repeat(63)}`, 'Invalid token.'],
      ['a 100 KB token', `Token ${'a'.repeat(100_000)}`, 'Invalid token.'],
      ['a token outside the alphabet', `Token ${'z'.repeat(64)}`, 'Invalid token.'],
    ])('%s', async (_case, authorization, detail) => {
      const reply = await call(app, 'GET', '/api/me', { headers: { authorization } });
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual({ detail });
      expect(reply.headers.get('www-authenticate')).toBe('Token');
    });

    it('a right key with a wrong rest is Invalid token.', async () => {
      const token = await loginToken(app, 'alice');
      const forged = token.slice(0, 15) + (token[15] === 'a' ? 'b' : 'a') + token.slice(16);
      expect((await me(forged)).body).toEqual(INVALID_TOKEN);
      expect((await me(token)).status).toBe(200);
    });

    it("a deleted user's token is Invalid token.; a deactivated one's User inactive or deleted.", async () => {
      await register(app, 'carol');
      const token = await loginToken(app, 'carol');
      const carol = (await app.store.users.findByUsername('carol'))!;
      await app.store.users.setActive(carol.id, false);
      expect((await me(token)).body).toEqual({ detail: 'User inactive or deleted.' });
      await app.store.users.delete(carol.id);
      expect((await me(token)).body).toEqual(INVALID_TOKEN);
    });

    it('jwt routes are 404 under knox', async () => {
      expect((await call(app, 'POST', '/api/auth/refresh', { json: { refresh: 'x' } })).status).toBe(404);
    });

    it('nothing reached the error log', () => {
      expect(app.logged).toEqual([]);
    });
  });
});
