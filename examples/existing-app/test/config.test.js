// What the environment decides: the login throttle (on unless turned off),
// a list of schemes, and a bad setting stopping start-up.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createApp } from '../src/app.js';
import { credentialHeaders, PASSWORD, SCHEME_ENV, start } from '../test-support/service.js';

const THROTTLED = /^Request was throttled\. Expected available in \d+ seconds?\.$/;

describe('configuration by environment', () => {
  it('throttles repeated failed logins by default (LOGIN_THROTTLE unset), without telling whether the password was right', async (t) => {
    const app = await start(t, { AUTH_SCHEME: 'token' });
    await app.service.accounts.create({ login: 'alice', password: PASSWORD });
    for (let i = 1; i <= 5; i++) {
      const wrong = await app.login('alice', `wrong ${i}`);
      assert.equal(wrong.status, 400, `attempt ${i}`);
    }
    // Past the allowance, even the right password waits: no password is checked at all.
    const throttled = await app.login('alice', PASSWORD);
    assert.equal(throttled.status, 429, throttled.text);
    assert.match(throttled.body.detail, THROTTLED);
    assert.match(throttled.headers.get('retry-after') ?? '', /^\d+$/);
  });

  it('LOGIN_THROTTLE=false turns it off', async (t) => {
    const app = await start(t, { AUTH_SCHEME: 'token', LOGIN_THROTTLE: 'false' });
    await app.service.accounts.create({ login: 'alice', password: PASSWORD });
    for (let i = 1; i <= 6; i++) assert.equal((await app.login('alice', `wrong ${i}`)).status, 400);
    assert.equal((await app.login('alice', PASSWORD)).status, 200);
  });

  it('AUTH_SCHEME=jwt,session: the first scheme issues at login and names the challenge', async (t) => {
    const app = await start(t, { ...SCHEME_ENV.jwt, ...SCHEME_ENV.session, AUTH_SCHEME: 'jwt,session', LOGIN_THROTTLE: 'false' });
    const id = await app.service.accounts.create({ login: 'alice', password: PASSWORD });
    const login = await app.login('alice', PASSWORD);
    assert.deepEqual(Object.keys(login.body).sort(), ['access', 'refresh']);
    const home = await app.call('GET', '/', { headers: credentialHeaders('jwt', login) });
    assert.deepEqual(home.body, { hello: 'alice', id, scheme: 'jwt' });
    const anonymous = await app.call('GET', '/');
    assert.deepEqual([anonymous.status, anonymous.headers.get('www-authenticate')], [401, 'Bearer realm="api"']);
  });

  it('issues a credential from code (token, knox, jwt) with the login route’s body; session needs a request', async (t) => {
    for (const scheme of ['token', 'knox', 'jwt']) {
      const app = await start(t, { ...SCHEME_ENV[scheme], AUTH_SCHEME: scheme });
      const id = await app.service.accounts.create({ login: 'robot', password: PASSWORD });
      const user = await app.service.auth.users.findById(id);
      const issued = await app.service.auth.schemes[0].login(user, { client: 'nightly export' });
      const home = await app.call('GET', '/', { headers: credentialHeaders(scheme, issued) });
      assert.deepEqual([home.status, home.body], [200, { hello: 'robot', id, scheme }], scheme);
    }
    const app = await start(t, { ...SCHEME_ENV.session, AUTH_SCHEME: 'session' });
    const id = await app.service.accounts.create({ login: 'robot', password: PASSWORD });
    const user = await app.service.auth.users.findById(id);
    await assert.rejects(app.service.auth.schemes[0].login(user, { client: 'nightly export' }), /login needs the request/);
  });

  it('a bad setting stops start-up with one line naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'notes-service-test-'));
    try {
      for (const [env, message] of [
        [{ AUTH_SCHEME: 'oauth' }, /^AUTH_SCHEME: unknown scheme "oauth" \(choose from token, knox, jwt, session\)$/],
        [{ AUTH_SCHEME: 'jwt', NODE_ENV: 'production' }, /^JWT_SIGNING_KEY: required in production/],
        [{ AUTH_SCHEME: 'knox', KNOX_TOKEN_TTL: 'soon' }, /^KNOX_TOKEN_TTL: /],
        [{ AUTH_SCHEME: 'token', LOGIN_THROTTLE: 'maybe' }, /^LOGIN_THROTTLE: expected true or false, got "maybe"$/],
      ]) {
        await assert.rejects(createApp({ APP_DATA_DIR: dir, ...env }), (error) => {
          assert.equal(error.name, 'ConfigError');
          assert.match(error.message, message);
          assert.doesNotMatch(error.message, /\n/);
          return true;
        });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
