// The whole flow over HTTP, for each of the four schemes, switched by
// AUTH_SCHEME alone: the service's code is the same in every run.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialHeaders, PASSWORD, SCHEME_ENV, start, UUID } from '../test-support/service.js';

const NOT_PROVIDED = { detail: 'Authentication credentials were not provided.' };
const DRF_BAD_LOGIN = { status: 400, body: { non_field_errors: ['Unable to log in with provided credentials.'] } };
const JWT_ACCESS_INVALID = {
  detail: 'Given token not valid for any token type',
  code: 'token_not_valid',
  messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is invalid' }],
};

/**
 * What differs by scheme, as the HTTP contract says. jwt runs with
 * JWT_CHECK_REVOCATION=true here, so that a logout ends the access token at
 * once; jwt.test.js covers the default.
 */
const SCHEMES = {
  token: {
    env: { AUTH_SCHEME: 'token' },
    loginBody: (body) => assert.match(body.token, /^[0-9a-f]{40}$/),
    badLogin: DRF_BAD_LOGIN,
    anonymous: { status: 401, body: NOT_PROVIDED, challenge: 'Token' },
    revoked: { status: 401, body: { detail: 'Invalid token.' } },
  },
  knox: {
    env: { AUTH_SCHEME: 'knox' },
    loginBody: (body) => {
      assert.deepEqual(Object.keys(body).sort(), ['expiry', 'token']);
      assert.match(body.expiry, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    },
    badLogin: DRF_BAD_LOGIN,
    anonymous: { status: 401, body: NOT_PROVIDED, challenge: 'Token' },
    revoked: { status: 401, body: { detail: 'Invalid token.' } },
  },
  jwt: {
    env: { AUTH_SCHEME: 'jwt', JWT_CHECK_REVOCATION: 'true' },
    loginBody: (body) => assert.deepEqual(Object.keys(body).sort(), ['access', 'refresh']),
    badLogin: { status: 401, body: { detail: 'No active account found with the given credentials' } },
    anonymous: { status: 401, body: NOT_PROVIDED, challenge: 'Bearer realm="api"' },
    revoked: { status: 401, body: JWT_ACCESS_INVALID },
  },
  session: {
    env: { AUTH_SCHEME: 'session' },
    loginBody: (body) => assert.deepEqual(Object.keys(body).sort(), ['email', 'id', 'username']),
    badLogin: DRF_BAD_LOGIN,
    anonymous: { status: 403, body: NOT_PROVIDED, challenge: null },
    revoked: { status: 403, body: NOT_PROVIDED },
  },
};

for (const [scheme, expect] of Object.entries(SCHEMES)) {
  /** @param {import('node:test').TestContext} t @param {Record<string, string>} [env] */
  const startScheme = (t, env = {}) => start(t, { ...SCHEME_ENV[scheme], LOGIN_THROTTLE: 'false', ...expect.env, ...env });

  describe(`AUTH_SCHEME=${scheme}`, () => {
    it('the service’s own account logs in with its own password, uses the service’s routes as itself, logs out, and is refused after', async (t) => {
      const app = await startScheme(t);
      const id = await app.service.accounts.create({ login: 'alice', password: PASSWORD, email: 'alice@example.com' });
      assert.match(id, UUID);

      const login = await app.login('alice', PASSWORD, { 'user-agent': 'notes-test/1.0' });
      assert.equal(login.status, 200, login.text);
      expect.loginBody(login.body);
      if (scheme === 'session') assert.deepEqual(login.body, { id, username: 'alice', email: 'alice@example.com' });
      const auth = credentialHeaders(scheme, login);

      const home = await app.call('GET', '/', { headers: auth });
      assert.equal(home.status, 200, home.text);
      assert.deepEqual(home.body, { hello: 'alice', id, scheme });

      const added = await app.call('POST', '/api/notes', { json: { text: 'buy milk' }, headers: auth });
      assert.equal(added.status, 201, added.text);
      assert.equal(added.body.text, 'buy milk');
      const listed = await app.call('GET', '/api/notes', { headers: auth });
      assert.equal(listed.status, 200);
      assert.equal(listed.body.owner, id); // req.auth.user.id: the account's UUID, a string
      assert.deepEqual(listed.body.notes.map((n) => n.text), ['buy milk']);
      const one = await app.call('GET', `/api/notes/${added.body.id}`, { headers: auth });
      assert.deepEqual(one.body, added.body);

      const logout = await app.call('POST', '/auth/logout', { headers: auth });
      assert.equal(logout.status, 204, logout.text);
      const after = await app.call('GET', '/api/notes', { headers: auth });
      assert.deepEqual([after.status, after.body], [expect.revoked.status, expect.revoked.body]);
    });

    it('refuses a wrong password and an unknown login with the scheme’s DRF body, and an anonymous caller on the service’s routes', async (t) => {
      const app = await startScheme(t);
      await app.service.accounts.create({ login: 'alice', password: PASSWORD });
      for (const [login, password] of [['alice', 'not the password'], ['nobody', PASSWORD], ['ALICE', PASSWORD]]) {
        const reply = await app.login(login, password);
        assert.deepEqual([reply.status, reply.body], [expect.badLogin.status, expect.badLogin.body], `${login}`);
      }
      const missing = await app.call('POST', '/auth/login', { json: { username: 'alice' } });
      assert.deepEqual([missing.status, missing.body], [400, { password: ['This field is required.'] }]);

      for (const [method, path] of [['GET', '/'], ['GET', '/api/notes'], ['POST', '/api/notes']]) {
        const anonymous = await app.call(method, path, { json: method === 'POST' ? { text: 'x' } : undefined });
        assert.deepEqual([anonymous.status, anonymous.body], [expect.anonymous.status, expect.anonymous.body], `${method} ${path}`);
        assert.equal(anonymous.headers.get('www-authenticate'), expect.anonymous.challenge);
      }
    });

    it('a disabled account cannot log in, and disabling it in the service’s own code revokes what it held', async (t) => {
      const app = await startScheme(t);
      const id = await app.service.accounts.create({ login: 'alice', password: PASSWORD });
      const auth = credentialHeaders(scheme, await app.login('alice', PASSWORD));
      assert.equal((await app.call('GET', '/api/notes', { headers: auth })).status, 200);

      await app.service.accounts.deactivate(id); // sets `disabled`, then authbench's revokeUser(id)
      const refused = await app.login('alice', PASSWORD);
      assert.deepEqual([refused.status, refused.body], [expect.badLogin.status, expect.badLogin.body]);
      assert.equal((await app.call('GET', '/api/notes', { headers: auth })).status, expect.revoked.status);

      // Enabled again: the old credential stays revoked; a new login works.
      app.service.accounts.setDisabled(id, false);
      const stale = await app.call('GET', '/api/notes', { headers: auth });
      assert.deepEqual([stale.status, stale.body], [expect.revoked.status, expect.revoked.body]);
      const again = await app.login('alice', PASSWORD);
      assert.equal(again.status, 200);
      assert.equal((await app.call('GET', '/api/notes', { headers: credentialHeaders(scheme, again) })).status, 200);
    });

    it('the service’s own password change revokes the old credentials; the new password logs in, the old one no longer', async (t) => {
      const app = await startScheme(t);
      await app.service.accounts.create({ login: 'alice', password: PASSWORD });
      const auth = credentialHeaders(scheme, await app.login('alice', PASSWORD));
      const other = credentialHeaders(scheme, await app.login('alice', PASSWORD, { 'user-agent': 'second device' }));

      const wrong = await app.call('PUT', '/api/account/password', { json: { old_password: 'nope', new_password: 'a brand new secret' }, headers: auth });
      assert.deepEqual([wrong.status, wrong.body], [400, { error: { code: 'wrong_password', message: 'The old password is wrong.' } }]);
      const changed = await app.call('PUT', '/api/account/password', { json: { old_password: PASSWORD, new_password: 'a brand new secret' }, headers: auth });
      assert.equal(changed.status, 204, changed.text);

      for (const headers of [auth, other]) {
        const stale = await app.call('GET', '/api/notes', { headers });
        assert.deepEqual([stale.status, stale.body], [expect.revoked.status, expect.revoked.body]);
      }
      const old = await app.login('alice', PASSWORD);
      assert.equal(old.status, expect.badLogin.status);
      const fresh = await app.login('alice', 'a brand new secret');
      assert.equal(fresh.status, 200);
      assert.equal((await app.call('GET', '/api/notes', { headers: credentialHeaders(scheme, fresh) })).status, 200);
    });

    it('register is not served; the service’s own 404 and error handler still answer, and authbench’s routes keep DRF’s errors', async (t) => {
      const app = await startScheme(t);
      await app.service.accounts.create({ login: 'alice', password: PASSWORD });
      const auth = credentialHeaders(scheme, await app.login('alice', PASSWORD));

      const register = await app.call('POST', '/auth/register', { json: { username: 'eve', password: PASSWORD } });
      assert.deepEqual([register.status, register.body], [404, { error: { code: 'no_route', message: 'Nothing at POST /auth/register.' } }]);
      const password = await app.call('POST', '/auth/password', { json: {}, headers: auth });
      assert.deepEqual([password.status, password.body.error.code], [404, 'no_route']);
      const nowhere = await app.call('GET', '/nowhere');
      assert.deepEqual([nowhere.status, nowhere.body], [404, { error: { code: 'no_route', message: 'Nothing at GET /nowhere.' } }]);
      const authNowhere = await app.call('GET', '/auth/nowhere');
      assert.deepEqual([authNowhere.status, authNowhere.body.error.code], [404, 'no_route']);

      // The service's own errors, thrown in its handlers, reach its own handler.
      const tooLong = await app.call('POST', '/api/notes', { json: { text: 'x'.repeat(1001) }, headers: auth });
      assert.deepEqual([tooLong.status, tooLong.body], [422, { error: { code: 'note_too_long', message: 'A note holds at most 1000 characters.' } }]);
      const noNote = await app.call('GET', '/api/notes/999', { headers: auth });
      assert.deepEqual([noNote.status, noNote.body], [404, { error: { code: 'note_not_found', message: 'No note 999.' } }]);
      const brokenJson = await app.call('POST', '/api/notes', { body: '{"text":', headers: { ...auth, 'content-type': 'application/json' } });
      assert.deepEqual([brokenJson.status, brokenJson.body.error.code], [400, 'bad_json']);

      // authbench's own routes answer with DRF's bodies, whatever the service's handlers say.
      const wrongMethod = await app.call('GET', '/auth/login');
      assert.deepEqual([wrongMethod.status, wrongMethod.body], [405, { detail: 'Method "GET" not allowed.' }]);
      const brokenLogin = await app.call('POST', '/auth/login', { body: '{', headers: { 'content-type': 'application/json' } });
      assert.equal(brokenLogin.status, 400);
      assert.match(brokenLogin.body.detail, /^JSON parse error - /);
      const trailingSlash = await app.call('POST', '/auth/login/', { json: { username: 'alice', password: PASSWORD } });
      assert.equal(trailingSlash.status, 200);
    });
  });
}
