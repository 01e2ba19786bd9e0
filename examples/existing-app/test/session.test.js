// AUTH_SCHEME=session beyond the common flow: the cookies and CSRF on the
// service's own unsafe routes, as a page in a browser would meet them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialHeaders, PASSWORD, SCHEME_ENV, start } from '../test-support/service.js';

const SESSION_ENV = { ...SCHEME_ENV.session, AUTH_SCHEME: 'session', LOGIN_THROTTLE: 'false' };

describe('AUTH_SCHEME=session', () => {
  it('sets an HttpOnly sessionid and a readable csrftoken; the service’s own POST needs X-CSRFToken', async (t) => {
    const app = await start(t, SESSION_ENV);
    await app.service.accounts.create({ login: 'alice', password: PASSWORD });
    const login = await app.login('alice', PASSWORD);
    assert.equal(login.status, 200, login.text);
    const setCookies = login.headers.getSetCookie();
    const sessionCookie = setCookies.find((c) => c.startsWith('sessionid='));
    const csrfCookie = setCookies.find((c) => c.startsWith('csrftoken='));
    assert.match(sessionCookie ?? '', /; HttpOnly/i);
    assert.match(sessionCookie ?? '', /; SameSite=Lax/i);
    assert.doesNotMatch(csrfCookie ?? '', /HttpOnly/i); // the page's script reads it

    const { cookie, 'x-csrftoken': csrf } = credentialHeaders('session', login);
    // A safe method needs the cookie alone.
    assert.equal((await app.call('GET', '/api/notes', { headers: { cookie } })).status, 200);

    const missing = await app.call('POST', '/api/notes', { json: { text: 'hi' }, headers: { cookie } });
    assert.deepEqual([missing.status, missing.body], [403, { detail: 'CSRF Failed: CSRF token missing.' }]);
    const wrong = await app.call('POST', '/api/notes', { json: { text: 'hi' }, headers: { cookie, 'x-csrftoken': 'x'.repeat(64) } });
    assert.equal(wrong.status, 403);
    assert.match(wrong.body.detail, /^CSRF Failed: /);
    const foreign = await app.call('POST', '/api/notes', { json: { text: 'hi' }, headers: { cookie, 'x-csrftoken': csrf, origin: 'http://evil.example' } });
    assert.deepEqual([foreign.status, foreign.body], [403, { detail: 'CSRF Failed: Origin checking failed - http://evil.example does not match any trusted origins.' }]);

    const added = await app.call('POST', '/api/notes', { json: { text: 'hi' }, headers: { cookie, 'x-csrftoken': csrf, origin: app.url } });
    assert.equal(added.status, 201, added.text);
    // Logout is unsafe too.
    assert.equal((await app.call('POST', '/auth/logout', { headers: { cookie } })).status, 403);
    assert.equal((await app.call('POST', '/auth/logout', { headers: { cookie, 'x-csrftoken': csrf } })).status, 204);
    assert.equal((await app.call('GET', '/api/notes', { headers: { cookie } })).status, 403);
  });

  it('lists the account’s logins, one per device, and ends one', async (t) => {
    const app = await start(t, SESSION_ENV);
    await app.service.accounts.create({ login: 'alice', password: PASSWORD });
    const laptop = credentialHeaders('session', await app.login('alice', PASSWORD, { 'user-agent': 'laptop' }));
    const phone = credentialHeaders('session', await app.login('alice', PASSWORD, { 'user-agent': 'phone' }));
    const list = await app.call('GET', '/auth/sessions', { headers: laptop });
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.body.map((s) => [s.client, s.current]).sort(), [['laptop', true], ['phone', false]]);
    const phoneId = list.body.find((s) => !s.current).id;
    assert.equal((await app.call('DELETE', `/auth/sessions/${phoneId}`, { headers: laptop })).status, 204);
    assert.equal((await app.call('GET', '/api/notes', { headers: phone })).status, 403);
    assert.equal((await app.call('GET', '/api/notes', { headers: laptop })).status, 200);
  });
});
