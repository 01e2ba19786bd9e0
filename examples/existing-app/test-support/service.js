// Starts the real service on an ephemeral port, in a temporary folder of its
// own, and talks to it over HTTP with fetch.
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/app.js';

export const PASSWORD = 'correct horse battery staple';
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Per scheme, what a test environment sets besides AUTH_SCHEME: fixed secrets, so that no notice is printed. */
export const SCHEME_ENV = {
  token: {},
  knox: {},
  jwt: { JWT_SIGNING_KEY: 'a-test-signing-key-of-at-least-32-bytes!' },
  session: { SESSION_SECRET: 'a-test-session-secret-of-at-least-32-chars' },
};

/**
 * @typedef {object} Reply
 * @property {number} status
 * @property {any} body the parsed JSON, or undefined
 * @property {string} text
 * @property {Headers} headers
 */

/**
 * @typedef {object} Running
 * @property {string} url
 * @property {import('../src/app.js').Service} service
 * @property {string} dir
 * @property {(method: string, path: string, options?: { json?: unknown, body?: string, headers?: Record<string, string> }) => Promise<Reply>} call
 * @property {(login: string, password: string, headers?: Record<string, string>) => Promise<Reply>} login
 */

/**
 * Builds the service from an environment object (never process.env) and
 * listens on 127.0.0.1 on a free port; closed and deleted after the test.
 * @param {import('node:test').TestContext} t
 * @param {Record<string, string>} env
 * @returns {Promise<Running>}
 */
export async function start(t, env) {
  const dir = mkdtempSync(join(tmpdir(), 'notes-service-test-'));
  /** @type {unknown[]} */
  const logged = [];
  let service;
  try {
    service = await createApp({ APP_DATA_DIR: dir, ...env }, { log: (error) => logged.push(error) });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const server = service.app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  const url = `http://127.0.0.1:${address.port}`;
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** @type {Running['call']} */
  const call = async (method, path, { json, body, headers = {} } = {}) => {
    const init = { method, headers: { ...headers }, body };
    if (json !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(json);
    }
    const res = await fetch(url + path, init);
    const text = await res.text();
    let parsed;
    if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') parsed = JSON.parse(text);
    return { status: res.status, body: parsed, text, headers: res.headers };
  };
  return {
    url,
    service,
    dir,
    call,
    login: (login, password, headers) => call('POST', '/auth/login', { json: { username: login, password }, headers }),
  };
}

/**
 * The headers that carry a credential on later requests, from a successful
 * login's reply: the token or access token, or (session) the cookies and the
 * CSRF token read from the `csrftoken` cookie, as a page's script would.
 * @param {string} scheme
 * @param {Reply} login
 * @returns {Record<string, string>}
 */
export function credentialHeaders(scheme, login) {
  switch (scheme) {
    case 'token':
    case 'knox':
      return { authorization: `Token ${login.body.token}` };
    case 'jwt':
      return { authorization: `Bearer ${login.body.access}` };
    case 'session': {
      const cookies = login.headers.getSetCookie().map((c) => c.split(';', 1)[0]);
      const csrf = cookies.find((c) => c.startsWith('csrftoken='))?.slice('csrftoken='.length);
      if (!csrf || !cookies.some((c) => c.startsWith('sessionid='))) throw new Error(`no session cookies in ${JSON.stringify(cookies)}`);
      return { cookie: cookies.join('; '), 'x-csrftoken': csrf };
    }
    default:
      throw new Error(`unknown scheme ${scheme}`);
  }
}
