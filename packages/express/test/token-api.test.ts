import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT_BYTES, MAX_HEADER_BYTES } from '../src/index.js';
import { call, loginToken, rawRequest, register, STRONG_PASSWORD, startTokenApp, type TestApp } from './harness.js';

const NOT_PROVIDED = { detail: 'Authentication credentials were not provided.' };
const INVALID_TOKEN = { detail: 'Invalid token.' };
const BAD_LOGIN = { non_field_errors: ['Unable to log in with provided credentials.'] };

let app: TestApp;
beforeAll(async () => {
  app = await startTokenApp();
});
afterAll(async () => {
  await app.close();
});

const me = (authorization?: string) => call(app, 'GET', '/api/me', authorization === undefined ? {} : { headers: { authorization } });

describe('GET /healthz', () => {
  it('answers ok with the configured schemes, and those carried by a cookie (none here)', async () => {
    const reply = await call(app, 'GET', '/healthz');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ok', schemes: ['token'], cookies: [] });
  });
});

describe('POST /api/auth/register', () => {
  it('creates a user: 201 with id, username and an empty email', async () => {
    const reply = await register(app, 'reg-alice');
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({ id: expect.any(Number), username: 'reg-alice', email: '' });
  });

  it('keeps the email, its domain lower-cased as Django does', async () => {
    const reply = await register(app, 'reg-bob', { email: 'Bob@Example.COM' });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ username: 'reg-bob', email: 'Bob@example.com' });
  });

  it('accepts a form-encoded body', async () => {
    const reply = await call(app, 'POST', '/api/auth/register', {
      body: `username=reg-form&password=${STRONG_PASSWORD}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ username: 'reg-form' });
  });

  it('lists every missing field at once', async () => {
    const reply = await call(app, 'POST', '/api/auth/register', { json: {} });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ username: ['This field is required.'], password: ['This field is required.'] });
  });

  it('refuses blank fields', async () => {
    const reply = await call(app, 'POST', '/api/auth/register', { json: { username: '  ', password: '' } });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ username: ['This field may not be blank.'], password: ['This field may not be blank.'] });
  });

  it("refuses a username with characters outside Django's set, and one over 150 characters", async () => {
    const bad = await register(app, 'no spaces!');
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      username: ['Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.'],
    });
    const long = await register(app, 'a'.repeat(151));
    expect(long.status).toBe(400);
    expect(long.body).toEqual({ username: ['Ensure this field has no more than 150 characters.'] });
    expect((await register(app, 'a'.repeat(150))).status).toBe(201);
  });

  it('refuses a taken username', async () => {
    await register(app, 'reg-taken');
    const reply = await register(app, 'reg-taken');
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ username: ['A user with that username already exists.'] });
  });

  it("checks the password with a new Django project's validators", async () => {
    const short = await call(app, 'POST', '/api/auth/register', { json: { username: 'reg-pw', password: '1234' } });
    expect(short.status).toBe(400);
    expect(short.body).toEqual({
      password: [
        'This password is too short. It must contain at least 8 characters.',
        'This password is too common.',
        'This password is entirely numeric.',
      ],
    });
    const similar = await call(app, 'POST', '/api/auth/register', { json: { username: 'marmaduke', password: 'marmaduke1' } });
    expect(similar.body).toEqual({ password: ['The password is too similar to the username.'] });
    const common = await call(app, 'POST', '/api/auth/register', { json: { username: 'reg-pw', password: 'password' } });
    expect(common.body).toEqual({ password: ['This password is too common.'] });
  });

  it('refuses an invalid email', async () => {
    const reply = await register(app, 'reg-mail', { email: 'not-an-email' });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ email: ['Enter a valid email address.'] });
  });

  it('refuses values that are not strings', async () => {
    const reply = await call(app, 'POST', '/api/auth/register', { json: { username: ['a'], password: { x: 1 } } });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ username: ['Not a valid string.'], password: ['Not a valid string.'] });
  });

  it('refuses a body that is not a JSON object', async () => {
    const reply = await call(app, 'POST', '/api/auth/register', { json: ['alice'] });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] });
  });

  it('still checks a credential sent along, as DRF authenticates every API view', async () => {
    const reply = await call(app, 'POST', '/api/auth/register', {
      json: { username: 'reg-with-token', password: STRONG_PASSWORD },
      headers: { authorization: `Token ${'0'.repeat(40)}` },
    });
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual(INVALID_TOKEN);
  });
});

describe('POST /api/auth/login', () => {
  beforeAll(async () => {
    await register(app, 'login-user');
  });

  it('answers the user’s token: 40 lowercase hex, the same on every login', async () => {
    const reply = await call(app, 'POST', '/api/auth/login', { json: { username: 'login-user', password: STRONG_PASSWORD } });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ token: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(reply.headers.get('cache-control')).toBe('no-store');
    expect(await loginToken(app, 'login-user')).toBe((reply.body as { token: string }).token);
  });

  it('accepts a form-encoded body, as obtain_auth_token', async () => {
    const reply = await call(app, 'POST', '/api/auth/login', {
      body: `username=login-user&password=${STRONG_PASSWORD}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ token: await loginToken(app, 'login-user') });
  });

  it('trims the username but never the password', async () => {
    expect((await call(app, 'POST', '/api/auth/login', { json: { username: ' login-user ', password: STRONG_PASSWORD } })).status).toBe(200);
    const padded = await call(app, 'POST', '/api/auth/login', { json: { username: 'login-user', password: ` ${STRONG_PASSWORD} ` } });
    expect(padded.status).toBe(400);
    expect(padded.body).toEqual(BAD_LOGIN);
  });

  it('gives the same answer for a wrong password and an unknown user', async () => {
    const wrong = await call(app, 'POST', '/api/auth/login', { json: { username: 'login-user', password: 'wrong-password' } });
    const unknown = await call(app, 'POST', '/api/auth/login', { json: { username: 'nobody-here', password: 'wrong-password' } });
    expect([wrong.status, unknown.status]).toEqual([400, 400]);
    expect(wrong.body).toEqual(BAD_LOGIN);
    expect(unknown.body).toEqual(BAD_LOGIN);
  });

  it('refuses an inactive user with the same message', async () => {
    await register(app, 'login-inactive');
    const user = await app.store.users.findByUsername('login-inactive');
    await app.store.users.setActive(user!.id, false);
    const reply = await call(app, 'POST', '/api/auth/login', { json: { username: 'login-inactive', password: STRONG_PASSWORD } });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual(BAD_LOGIN);
  });

  it('names missing and blank fields', async () => {
    const missing = await call(app, 'POST', '/api/auth/login', { json: { username: 'login-user' } });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ password: ['This field is required.'] });
    const blank = await call(app, 'POST', '/api/auth/login', { json: { username: '', password: '' } });
    expect(blank.body).toEqual({ username: ['This field may not be blank.'], password: ['This field may not be blank.'] });
    const empty = await call(app, 'POST', '/api/auth/login');
    expect(empty.status).toBe(400);
    expect(empty.body).toEqual({ username: ['This field is required.'], password: ['This field is required.'] });
  });

  it("applies DRF's CharField validators to the fields", async () => {
    const reply = await call(app, 'POST', '/api/auth/login', { json: { username: 'login\u0000user', password: 'x\ud800' } });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({
      username: ['Null characters are not allowed.'],
      password: ['Surrogate characters are not allowed: U+D800.'],
    });
  });

  it('ignores any Authorization header', async () => {
    const reply = await call(app, 'POST', '/api/auth/login', {
      json: { username: 'login-user', password: STRONG_PASSWORD },
      headers: { authorization: 'Token not-a-real-token' },
    });
    expect(reply.status).toBe(200);
  });
});

describe('GET /api/me: every DRF TokenAuthentication answer', () => {
  let token: string;
  let id: number;
  beforeAll(async () => {
    id = ((await register(app, 'me-user', { email: 'me@example.com' })).body as { id: number }).id;
    token = await loginToken(app, 'me-user');
  });

  it('answers the caller', async () => {
    const reply = await me(`Token ${token}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ id, username: 'me-user', email: 'me@example.com' });
  });

  it('matches the keyword case-insensitively', async () => {
    expect((await me(`token ${token}`)).status).toBe(200);
    expect((await me(`TOKEN ${token}`)).status).toBe(200);
  });

  it('401 with the challenge when no credentials are sent', async () => {
    for (const authorization of [undefined, '', 'Bearer abc', 'Basic YTpi']) {
      const reply = await me(authorization);
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual(NOT_PROVIDED);
      expect(reply.headers.get('www-authenticate')).toBe('Token');
    }
  });

  it.each([
    ['Token', 'Invalid token header. No credentials provided.'],
    ['Token a b', 'Invalid token header. Token string should not contain spaces.'],
    ['Token \xff\xfe', 'Invalid token header. Token string should not contain invalid characters.'],
    [`Token ${'f'.repeat(40)}`, 'Invalid token.'],
    ['Token short', 'Invalid token.'],
  ])('401 for %j: %s', async (authorization, detail) => {
    const reply = await me(authorization);
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({ detail });
    expect(reply.headers.get('www-authenticate')).toBe('Token');
  });

  it('401 Invalid token. for a 100 KB header, not a 431 or a 500', async () => {
    const reply = await me(`Token ${'a'.repeat(100 * 1024)}`);
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual(INVALID_TOKEN);
  });

  it('431 with a JSON detail past the header limit', async () => {
    const response = await rawRequest(
      app,
      `GET /api/me HTTP/1.1\r\nHost: x\r\nAuthorization: Token ${'a'.repeat(MAX_HEADER_BYTES)}\r\n\r\n`,
    );
    expect(response).toMatch(/^HTTP\/1\.1 431 /);
    expect(response).toContain('Content-Type: application/json');
    expect(response.endsWith('{"detail":"Request header fields too large."}')).toBe(true);
  });

  it('400 with a JSON detail for a request Node cannot parse', async () => {
    const response = await rawRequest(app, 'GET /api/me HTTP/1.1\r\nHost: x\r\nBad\x01Header: y\r\n\r\n');
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
    expect(response.endsWith('{"detail":"Malformed HTTP request."}')).toBe(true);
  });

  it('User inactive or deleted. for a deactivated user, and Invalid token. once deleted', async () => {
    await register(app, 'me-gone');
    const gone = await loginToken(app, 'me-gone');
    const user = await app.store.users.findByUsername('me-gone');
    await app.store.users.setActive(user!.id, false);
    expect((await me(`Token ${gone}`)).body).toEqual({ detail: 'User inactive or deleted.' });
    await app.store.users.delete(user!.id);
    const reply = await me(`Token ${gone}`);
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual(INVALID_TOKEN);
  });

  it('accepts a trailing slash', async () => {
    expect((await call(app, 'GET', '/api/me/', { headers: { authorization: `Token ${token}` } })).status).toBe(200);
  });
});

describe('logout and logout-all', () => {
  it('logout deletes the token; the next login issues a new one', async () => {
    await register(app, 'out-user');
    const token = await loginToken(app, 'out-user');
    const reply = await call(app, 'POST', '/api/auth/logout', { headers: { authorization: `Token ${token}` } });
    expect(reply.status).toBe(204);
    expect(reply.text).toBe('');
    expect((await me(`Token ${token}`)).body).toEqual(INVALID_TOKEN);
    const next = await loginToken(app, 'out-user');
    expect(next).not.toBe(token);
    expect((await me(`Token ${next}`)).status).toBe(200);
  });

  it('logoutall deletes it too', async () => {
    await register(app, 'outall-user');
    const token = await loginToken(app, 'outall-user');
    expect((await call(app, 'POST', '/api/auth/logoutall/', { headers: { authorization: `Token ${token}` } })).status).toBe(204);
    expect((await me(`Token ${token}`)).status).toBe(401);
  });

  it('needs authentication', async () => {
    for (const path of ['/api/auth/logout', '/api/auth/logoutall']) {
      const reply = await call(app, 'POST', path);
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual(NOT_PROVIDED);
    }
  });
});

describe('routes the token scheme has no use for', () => {
  it.each([
    ['GET', '/api/auth/sessions'],
    ['DELETE', '/api/auth/sessions/1'],
    ['POST', '/api/auth/refresh'],
    ['POST', '/api/auth/verify'],
    ['GET', '/.well-known/jwks.json'],
    ['GET', '/nowhere'],
  ])('%s %s is a JSON 404', async (method, path) => {
    const reply = await call(app, method, path);
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({ detail: 'Not found.' });
  });
});

describe('bad input never yields a 500 or a leak', () => {
  it('a wrong method is 405 with Allow', async () => {
    const reply = await call(app, 'GET', '/api/auth/login');
    expect(reply.status).toBe(405);
    expect(reply.body).toEqual({ detail: 'Method "GET" not allowed.' });
    expect(reply.headers.get('allow')).toBe('POST, OPTIONS');
  });

  it('broken JSON is 400 JSON parse error, without echoing the body', async () => {
    const reply = await call(app, 'POST', '/api/auth/login', {
      body: '{"username": "alice", "password": "hunter2-secret" oops}',
      headers: { 'content-type': 'application/json' },
    });
    expect(reply.status).toBe(400);
    expect((reply.body as { detail: string }).detail).toMatch(/^JSON parse error - /);
    expect(reply.text).not.toContain('hunter2');
  });

  it.each(['{"a":', '', '{', '"unterminated', '{"a":1}}'])('broken JSON %j is 400', async (body) => {
    const reply = await call(app, 'POST', '/api/auth/login', { body, headers: { 'content-type': 'application/json' } });
    if (body === '') {
      // An empty body is no body: the fields are missing.
      expect(reply.body).toEqual({ username: ['This field is required.'], password: ['This field is required.'] });
    } else {
      expect((reply.body as { detail: string }).detail).toMatch(/^JSON parse error - \S/);
    }
    expect(reply.status).toBe(400);
  });

  it('deeply nested JSON is 400, before parsing', async () => {
    const reply = await call(app, 'POST', '/api/auth/register', {
      body: '['.repeat(10_000) + ']'.repeat(10_000),
      headers: { 'content-type': 'application/json' },
    });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ detail: 'JSON parse error - Nesting deeper than 64 levels' });
  });

  it('brackets inside strings do not count as nesting', async () => {
    const reply = await call(app, 'POST', '/api/auth/login', { json: { username: '['.repeat(500), password: '{"\\'.repeat(100) } });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual(BAD_LOGIN);
  });

  it('an unsupported content type is 415 naming it', async () => {
    const reply = await call(app, 'POST', '/api/auth/login', { body: 'username=a', headers: { 'content-type': 'text/plain' } });
    expect(reply.status).toBe(415);
    expect(reply.body).toEqual({ detail: 'Unsupported media type "text/plain" in request.' });
    const form = await call(app, 'POST', '/api/auth/logout', {
      body: 'a=b',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Token ${await loginToken(app, 'login-user')}` },
    });
    expect(form.status).toBe(415);
  });

  it('a body over the limit is 413', async () => {
    const reply = await call(app, 'POST', '/api/auth/login', { json: { username: 'x', password: 'p'.repeat(BODY_LIMIT_BYTES) } });
    expect(reply.status).toBe(413);
    expect(reply.body).toEqual({ detail: `Request body exceeds the limit of ${BODY_LIMIT_BYTES} bytes.` });
  });

  it('an unsupported content encoding is 415', async () => {
    const reply = await call(app, 'POST', '/api/auth/login', {
      body: '{}',
      headers: { 'content-type': 'application/json', 'content-encoding': 'zstd-nonsense' },
    });
    expect(reply.status).toBe(415);
    expect(reply.body).toEqual({ detail: 'Unsupported content encoding.' });
  });

  it('nothing above reached the error log', () => {
    expect(app.logged).toEqual([]);
  });
});
