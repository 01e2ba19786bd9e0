// AUTH_SCHEME=jwt beyond the common flow: refresh, verify, the default
// revocation behaviour, and the public key at the service's root.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PASSWORD, SCHEME_ENV, start } from '../test-support/service.js';

const JWT_ENV = { ...SCHEME_ENV.jwt, AUTH_SCHEME: 'jwt', LOGIN_THROTTLE: 'false' };

/** @param {string} token */
const claims = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));

describe('AUTH_SCHEME=jwt', () => {
  it('/auth/refresh rotates the refresh token; the new access token works on the service’s routes; a retry within the grace window gets the same pair; past it (or with none) a spent refresh token is refused', async (t) => {
    const app = await start(t, JWT_ENV);
    const id = await app.service.accounts.create({ login: 'alice', password: PASSWORD });
    const login = await app.login('alice', PASSWORD);
    assert.equal(login.status, 200, login.text);
    assert.equal(claims(login.body.access).user_id, id); // simplejwt's claim: the id as a string

    const refreshed = await app.call('POST', '/auth/refresh', { json: { refresh: login.body.refresh } });
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.deepEqual(Object.keys(refreshed.body).sort(), ['access', 'refresh']);
    assert.notEqual(refreshed.body.refresh, login.body.refresh);
    const notes = await app.call('GET', '/api/notes', { headers: { authorization: `Bearer ${refreshed.body.access}` } });
    assert.deepEqual([notes.status, notes.body.owner], [200, id]);

    const verify = await app.call('POST', '/auth/verify', { json: { token: refreshed.body.access } });
    assert.deepEqual([verify.status, verify.body], [200, {}]);

    // Within the grace window (JWT_REFRESH_GRACE, 10 s) the same token again is a retry: the same pair.
    const retried = await app.call('POST', '/auth/refresh', { json: { refresh: login.body.refresh } });
    assert.deepEqual([retried.status, retried.body], [200, refreshed.body]);
    // Without the window, a spent token is reuse: refused, and the login revoked.
    const strict = await start(t, { ...JWT_ENV, JWT_REFRESH_GRACE: '0' });
    await strict.service.accounts.create({ login: 'bob', password: PASSWORD });
    const bobs = (await strict.login('bob', PASSWORD)).body;
    assert.equal((await strict.call('POST', '/auth/refresh', { json: { refresh: bobs.refresh } })).status, 200);
    const spent = await strict.call('POST', '/auth/refresh', { json: { refresh: bobs.refresh } });
    assert.equal(spent.status, 401);
    assert.equal(spent.body.code, 'token_not_valid');
    const missing = await app.call('POST', '/auth/refresh', { json: {} });
    assert.deepEqual([missing.status, missing.body], [400, { refresh: ['This field is required.'] }]);
  });

  it('by default an access token lives until it expires after logout, but its refresh token is refused at once', async (t) => {
    const app = await start(t, JWT_ENV);
    await app.service.accounts.create({ login: 'alice', password: PASSWORD });
    const { body } = await app.login('alice', PASSWORD);
    const auth = { authorization: `Bearer ${body.access}` };
    assert.equal((await app.call('POST', '/auth/logout', { headers: auth })).status, 204);
    assert.equal((await app.call('GET', '/api/notes', { headers: auth })).status, 200); // JWT_CHECK_REVOCATION=false
    const refused = await app.call('POST', '/auth/refresh', { json: { refresh: body.refresh } });
    assert.deepEqual([refused.status, refused.body], [401, { detail: 'Token is blacklisted', code: 'token_not_valid' }]);
  });

  it('an asymmetric key is published at the service’s root (rootRouter), and a bad header gets simplejwt’s body', async (t) => {
    const app = await start(t, { ...JWT_ENV, JWT_SIGNING_KEY: '', JWT_ALGORITHM: 'EdDSA' });
    assert.ok(app.service.notices.some((n) => n.startsWith('JWT_PRIVATE_KEY_FILE is not set')));
    const jwks = await app.call('GET', '/.well-known/jwks.json');
    assert.equal(jwks.status, 200);
    assert.equal(jwks.body.keys.length, 1);
    assert.equal(jwks.body.keys[0].kty, 'OKP');

    const bad = await app.call('GET', '/api/notes', { headers: { authorization: 'Bearer' } });
    assert.deepEqual([bad.status, bad.body], [401, { detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' }]);
  });
});
