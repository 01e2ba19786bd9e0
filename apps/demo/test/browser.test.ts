import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chromiumMissing,
  CSP,
  deviceStatus,
  Demos,
  launchBrowser,
  loginDevice,
  NEW_PASSWORD,
  otherOrigin,
  PageDriver,
  PASSWORD,
  type PageWindow,
  type Scheme,
} from './browser/harness.js';

/**
 * The demo's page at `/` in a real browser (Debian's Chromium, headless),
 * over the built demo: each scheme's whole flow, two tabs, a CSRF attempt
 * from another origin, escaping and storage. Screenshots of each scheme's
 * page after login go to test-results/screenshots/; UPDATE_DOC_IMAGES=1 also
 * copies them to docs/images/ for the README.
 */
const SCREENSHOTS = fileURLToPath(new URL('../test-results/screenshots/', import.meta.url));
const DOC_IMAGES = fileURLToPath(new URL('../../../docs/images/', import.meta.url));
const SCHEMES: Scheme[] = ['token', 'knox', 'jwt', 'session'];

const demos = new Demos();
afterAll(() => demos.stop());
const demo = (scheme: Scheme) => demos.origin(scheme, { AUTH_SCHEME: scheme });

/** What a refused credential answers, by scheme: DRF's 401, or 403 under session (no challenge). */
const REFUSED: Record<Scheme, number> = { token: 401, knox: 401, jwt: 401, session: 403 };
/** A wrong password at login: DRF's 400, simplejwt's 401. */
const BAD_LOGIN: Record<Scheme, number> = { token: 400, knox: 400, jwt: 401, session: 400 };
/** The start of what the page says the browser holds. */
const HOLDS: Record<Scheme, string> = {
  token: 'A token in memory',
  knox: 'A token in memory',
  jwt: 'An access token and a refresh token in memory',
  session: 'An HttpOnly session cookie (sessionid) that no script can read, and a readable CSRF cookie (csrftoken)',
};
/** What the page shows of its memory after login. */
const MEMORY: Record<Scheme, RegExp> = {
  token: /^a token, …[0-9a-f]{8} \(40 characters\), never expires$/,
  knox: /^a token, …[0-9a-f]{8} \(64 characters\), expires .+$/,
  jwt: /^an access token, …[\w-]{8} \(\d+ characters\), expires .+; a refresh token, expires .+; refreshed 0 times$/,
  session: /^nothing: the credential is the session cookie, which the browser keeps$/,
};
const NOT_PROVIDED = 'Not logged in: Authentication credentials were not provided.';

describe('the page and the API index, over HTTP', () => {
  it.each(SCHEMES)('%s: GET / is the page, with its CSP; its script and style too', async (scheme) => {
    const origin = await demo(scheme);
    for (const [path, type] of [['/', 'text/html'], ['/app.js', 'text/javascript'], ['/style.css', 'text/css']] as const) {
      const res = await fetch(`${origin}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(`${type}; charset=utf-8`);
      expect(res.headers.get('content-security-policy')).toBe(CSP);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect(await (await fetch(`${origin}/`)).text()).toContain('<script src="/app.js" defer></script>');
    // The API app's own 404 still answers everything else.
    const unknown = await fetch(`${origin}/nope`);
    expect([unknown.status, await unknown.json()]).toEqual([404, { detail: 'Not found.' }]);
  });

  it.each([
    ['token', {}, []],
    ['knox', {}, ['sessions']],
    ['jwt', {}, ['sessions', 'refresh', 'verify']],
    ['session', {}, ['sessions']],
    ['jwt, ES256', { JWT_ALGORITHM: 'ES256' }, ['sessions', 'refresh', 'verify']],
  ] as const)('%s: GET /api/ is an index of the scheme\'s routes, as DRF\'s API root', async (name, env, extra) => {
    const scheme = name.split(',')[0] as Scheme;
    const origin = await demos.origin(name.replace(/\W+/g, '-'), { AUTH_SCHEME: scheme, ...env });
    const auth: Record<string, string> = {};
    for (const route of ['register', 'login', 'logout', 'logoutall', 'password', ...extra]) auth[route] = `${origin}/api/auth/${route}`;
    const expected: Record<string, unknown> = { healthz: `${origin}/healthz`, me: `${origin}/api/me`, auth };
    if ('JWT_ALGORITHM' in env) expected['jwks'] = `${origin}/.well-known/jwks.json`;
    for (const path of ['/api/', '/api']) {
      const res = await fetch(`${origin}${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(expected);
    }
  });

  it('session: a foreign POST to / still meets the CSRF check before the 404', async () => {
    const origin = await demo('session');
    const res = await fetch(`${origin}/`, { method: 'POST', headers: { Origin: 'http://evil.example' } });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ detail: 'CSRF Failed: Origin checking failed - http://evil.example does not match any trusted origins.' });
  });
});

describe.skipIf(chromiumMissing())('the page in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    console.log(`browser tests: screenshots in ${SCREENSHOTS}`);
  });

  it.each(SCHEMES)('%s: register, log in, who am I, sessions and revoke, password, log out, log out everywhere', async (scheme) => {
    const origin = await demo(scheme);
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    try {
      const tab = await PageDriver.open(context, origin);
      expect(await tab.text('#scheme')).toBe(scheme);
      expect(await tab.text('#holds')).toMatch(new RegExp(`^${escape(HOLDS[scheme])}`));
      const user = `${scheme}-alice`;
      const email = `${scheme}@example.com`;

      expect(await tab.register(user, email)).toBe('POST /api/auth/register → 201');
      expect(await tab.text('#me')).toMatch(new RegExp(`^Registered ${user} \\(id \\d+\\): now log in\\.$`));
      const login = await tab.login(user);
      expect(login.status).toBe(200);
      expect(await tab.text('#me')).toMatch(new RegExp(`^Logged in as ${user} \\(id \\d+, email ${email}\\)$`));
      expect(await tab.whoAmI()).toMatch(new RegExp(`^Logged in as ${user} \\(id \\d+, email ${email}\\)$`));
      expect(await tab.text('#status')).toBe('GET /api/me → 200');
      expect(await tab.text('#memory')).toMatch(MEMORY[scheme]);
      if (scheme === 'session') expect(await tab.text('#cookies')).toMatch(/^csrftoken=…\w{8} \(\d+ characters\), copied into X-CSRFToken; sessionid is HttpOnly: not readable here$/);
      else expect(await tab.text('#cookies')).toBe('none (no cookie carries the token)');

      // Nothing outside memory: no storage, no token in the URL or a readable cookie.
      const kept = await tab.persisted();
      expect(kept.storage).toBe(0);
      expect(kept.url).toBe(`${origin}/`);
      for (const secret of [login.body['token'], login.body['access'], login.body['refresh']].filter((s): s is string => typeof s === 'string')) {
        expect(kept.url).not.toContain(secret);
        expect(kept.cookies).not.toContain(secret);
      }
      if (scheme === 'session') expect(kept.cookies).not.toContain('sessionid');

      // Another device, logged in from elsewhere; the page lists it and revokes it.
      const phone = await loginDevice(origin, scheme, user, PASSWORD, 'phone');
      expect(phone.status).toBe(200);
      const rows = await tab.sessions();
      if (scheme === 'token') {
        expect(rows).toEqual([]);
        expect(await tab.text('#status')).toBe('GET /api/auth/sessions → 404 (Not found.)');
        expect(await tab.text('#sessions-note')).toContain('token keeps no list of devices');
      } else {
        expect(rows).toHaveLength(2);
        expect(rows.filter((r) => r.startsWith('this page'))).toHaveLength(1);
        expect(rows.filter((r) => r.startsWith('phone'))).toHaveLength(1);
        expect(await tab.text('#sessions-note')).toBe('2 live logins of this user.');
      }
      await tab.page.screenshot({ path: `${SCREENSHOTS}${scheme}.png` });
      if (process.env['UPDATE_DOC_IMAGES'] === '1') {
        mkdirSync(DOC_IMAGES, { recursive: true });
        copyFileSync(`${SCREENSHOTS}${scheme}.png`, `${DOC_IMAGES}page-${scheme}.png`);
      }
      if (scheme !== 'token') {
        await tab.revoke('phone');
        expect(await tab.text('#status')).toBe('GET /api/auth/sessions → 200');
        const left = await tab.page.locator('#sessions-body tr').allInnerTexts();
        expect(left).toHaveLength(1);
        expect(left[0]).toMatch(/^this page/);
        expect(await deviceStatus(origin, scheme, phone.device!)).toBe(REFUSED[scheme]);
      }

      // Change password: the page stays logged in (token: with the replacement token it was sent).
      const memoryBefore = await tab.text('#memory');
      expect(await tab.changePassword(PASSWORD, NEW_PASSWORD)).toBe('POST /api/auth/password → 200 (New password has been saved.)');
      if (scheme === 'token') expect(await tab.text('#memory')).not.toBe(memoryBefore);
      expect(await tab.whoAmI()).toMatch(new RegExp(`^Logged in as ${user} `));
      expect((await loginDevice(origin, scheme, user, PASSWORD, 'laptop')).status).toBe(BAD_LOGIN[scheme]);
      const laptop = await loginDevice(origin, scheme, user, NEW_PASSWORD, 'laptop');
      expect(laptop.status).toBe(200);

      // Log out: this page's credential ends (under token, the user's one token: the laptop's too).
      expect(await tab.logout()).toBe('POST /api/auth/logout → 204');
      expect(await tab.text('#me')).toBe('Logged out.');
      expect(await tab.text('#memory')).toMatch(scheme === 'session' ? MEMORY.session : /^nothing: no tokens? \(log in; a reload forgets (it|them)\)$/);
      expect(await tab.whoAmI()).toBe(NOT_PROVIDED);
      expect(await tab.text('#status')).toBe(`GET /api/me → ${REFUSED[scheme]} (Authentication credentials were not provided.)`);
      expect(await deviceStatus(origin, scheme, laptop.device!)).toBe(scheme === 'token' ? 401 : 200);

      // Log out everywhere: every device ends.
      const again = scheme === 'token' ? await loginDevice(origin, scheme, user, NEW_PASSWORD, 'laptop') : laptop;
      expect((await tab.login(user, NEW_PASSWORD)).status).toBe(200);
      expect(await tab.logoutAll()).toBe('POST /api/auth/logoutall → 204');
      expect(await tab.text('#me')).toBe('Logged out everywhere.');
      expect(await tab.whoAmI()).toBe(NOT_PROVIDED);
      expect(await deviceStatus(origin, scheme, again.device!)).toBe(REFUSED[scheme]);

      expect(await tab.cspViolations()).toEqual([]);
      expect(tab.dialogs).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('token: a reload forgets the token in memory; the server still knows it', async () => {
    const origin = await demo('token');
    const context = await browser.newContext();
    try {
      const tab = await PageDriver.open(context, origin);
      expect(await tab.text('#reload-note')).toMatch(/^Reload the page and the credential is gone: it lives in a JavaScript variable only/);
      await tab.register('token-reload', '');
      const { body } = await tab.login('token-reload');
      expect(await tab.text('#memory')).toMatch(MEMORY.token);
      await tab.goto();
      expect(await tab.text('#memory')).toBe('nothing: no token (log in; a reload forgets it)');
      expect(await tab.text('#me')).toBe('Not logged in: nothing in memory.');
      expect(await tab.whoAmI()).toBe(NOT_PROVIDED);
      expect(await deviceStatus(origin, 'token', { headers: { Authorization: `Token ${String(body['token'])}` } })).toBe(200);
    } finally {
      await context.close();
    }
  });

  it('session, two tabs: both are logged in by the one cookie; a logout in one is seen by the other', async () => {
    const origin = await demo('session');
    const context = await browser.newContext();
    try {
      const one = await PageDriver.open(context, origin);
      const two = await PageDriver.open(context, origin);
      await one.register('session-tabs', '');
      expect((await one.login('session-tabs')).status).toBe(200);
      expect(await two.whoAmI()).toMatch(/^Logged in as session-tabs /);
      await two.goto(); // a reload keeps the login: the browser keeps the cookie
      expect(await two.text('#me')).toMatch(/^Logged in as session-tabs /);
      expect(await one.logout()).toBe('POST /api/auth/logout → 204');
      expect(await two.whoAmI()).toBe(NOT_PROVIDED);
      expect(await two.text('#status')).toBe('GET /api/me → 403 (Authentication credentials were not provided.)');
    } finally {
      await context.close();
    }
  });

  it('jwt, two tabs: each logs in on its own and refreshes its own pair; one refresh per tab however many calls', async () => {
    // Access tokens of 2 seconds, so that the test can outlive one.
    const origin = await demos.origin('jwt-short', { AUTH_SCHEME: 'jwt', JWT_ACCESS_TOKEN_LIFETIME: '2' });
    const context = await browser.newContext();
    try {
      const one = await PageDriver.open(context, origin);
      const two = await PageDriver.open(context, origin);
      await one.register('jwt-tabs', '');
      expect((await one.login('jwt-tabs')).status).toBe(200);
      // Memory is per tab: the second tab holds nothing until it logs in itself.
      expect(await two.whoAmI()).toBe(NOT_PROVIDED);
      expect((await two.login('jwt-tabs')).status).toBe(200);

      const refreshes = { one: 0, two: 0 };
      one.page.on('response', (r) => void (r.url().endsWith('/api/auth/refresh') && r.status() === 200 && refreshes.one++));
      two.page.on('response', (r) => void (r.url().endsWith('/api/auth/refresh') && r.status() === 200 && refreshes.two++));
      await one.page.waitForTimeout(3_000); // both access tokens expire
      // Two calls at once in the first tab: one refresh serves both (a second is reuse; past JWT_REFRESH_GRACE it revokes the login).
      await one.act(
        () =>
          one.page.evaluate(() => {
            // In one tick, so that both requests go out with the expired token.
            const { document } = globalThis as unknown as PageWindow;
            document.getElementById('me-button')!.click();
            document.getElementById('sessions-button')!.click();
          }),
        2,
      );
      expect(refreshes.one).toBe(1);
      expect(await one.text('#me')).toMatch(/^Logged in as jwt-tabs /);
      expect(await one.text('#memory')).toMatch(/; refreshed 1 time$/);
      // Two logins, one per tab: the second tab's pair was never used, never spent.
      const rows = await one.page.locator('#sessions-body tr').allInnerTexts();
      expect(rows).toHaveLength(2);
      expect(rows.filter((r) => r.startsWith('this page'))).toHaveLength(1);
      // The second tab refreshes its own pair.
      expect(await two.whoAmI()).toMatch(/^Logged in as jwt-tabs /);
      expect(refreshes.two).toBe(1);
      expect(await two.text('#memory')).toMatch(/; refreshed 1 time$/);
    } finally {
      await context.close();
    }
  });

  it('session: a CSRF form post from another origin cannot log the user out', async () => {
    const origin = await demo('session');
    const evil = await otherOrigin(
      `<!doctype html><form id="csrf" method="post" action="${origin}/api/auth/logout"><input name="x" value="1"><button>go</button></form>`,
    );
    const context = await browser.newContext();
    try {
      const tab = await PageDriver.open(context, origin);
      await tab.register('session-csrf', '');
      expect((await tab.login('session-csrf')).status).toBe(200);

      const attacker = await context.newPage();
      await attacker.goto(`${evil.origin}/`);
      const [response] = await Promise.all([
        attacker.waitForResponse((r) => r.url() === `${origin}/api/auth/logout`),
        attacker.locator('#csrf button').click(),
      ]);
      // Same site (another port of 127.0.0.1), so SameSite=Lax lets the cookie go: the Origin check stops it.
      expect((await response.request().allHeaders())['cookie']).toContain('sessionid=');
      expect(response.status()).toBe(403);
      expect(await response.json()).toEqual({
        detail: `CSRF Failed: Origin checking failed - ${evil.origin} does not match any trusted origins.`,
      });
      // A script's "simple" cross-origin POST, no preflight, fares no better.
      await attacker.goto(`${evil.origin}/`);
      const [scripted] = await Promise.all([
        attacker.waitForResponse((r) => r.url() === `${origin}/api/auth/logoutall`),
        attacker.evaluate((url) => fetch(url, { method: 'POST', mode: 'no-cors', credentials: 'include', body: 'x' }).then(() => 'sent'), `${origin}/api/auth/logoutall`),
      ]);
      expect(scripted.status()).toBe(403);

      expect(await tab.whoAmI()).toMatch(/^Logged in as session-csrf /);
    } finally {
      await context.close();
      evil.server.close();
    }
  });

  it('knox: what the API returns is shown as text, never markup (email, a device\'s User-Agent, a username)', async () => {
    const origin = await demo('knox');
    const context = await browser.newContext();
    try {
      const tab = await PageDriver.open(context, origin);
      // Django's EmailValidator takes a quoted local part with markup in it.
      const email = '"<img/src=x/onerror=alert(1)>"@example.com';
      expect(await tab.register('knox-xss', email)).toBe('POST /api/auth/register → 201');
      await tab.login('knox-xss');
      expect(await tab.whoAmI()).toMatch(new RegExp(`^Logged in as knox-xss \\(id \\d+, email ${escape(email)}\\)$`));

      const agent = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
      expect((await loginDevice(origin, 'knox', 'knox-xss', PASSWORD, agent)).status).toBe(200);
      await tab.sessions();
      expect(await tab.page.locator('#sessions-body .agent').allTextContents()).toContain(agent);

      // A hostile username as the API might return it: still text.
      const username = '<img src=x onerror="window.__xss=3">';
      await tab.page.route('**/api/me', (route) => route.fulfill({ json: { id: 7, username, email: '' } }));
      expect(await tab.whoAmI()).toBe(`Logged in as ${username} (id 7, no email)`);
      await tab.page.unroute('**/api/me');

      const dom = await tab.page.evaluate(() => {
        const w = globalThis as unknown as PageWindow;
        const scripts = Array.from(w.document.scripts, (s) => s.getAttribute('src'));
        return { images: w.document.querySelectorAll('img').length, scripts, xss: typeof w.__xss };
      });
      expect(dom).toEqual({ images: 0, scripts: ['/app.js'], xss: 'undefined' });
      expect(tab.dialogs).toEqual([]);
      expect(await tab.cspViolations()).toEqual([]);
      expect((await tab.persisted()).storage).toBe(0);
    } finally {
      await context.close();
    }
  });
});

/** `text` as a literal inside a RegExp. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
