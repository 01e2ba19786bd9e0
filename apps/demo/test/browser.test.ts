import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chromiumMissing,
  cookieJar,
  CSP,
  deviceStatus,
  Demos,
  holdTogether,
  launchBrowser,
  loginDevice,
  NEW_PASSWORD,
  otherOrigin,
  PageDriver,
  PASSWORD,
  sentCookie,
  type PageWindow,
  type Scheme,
} from './browser/harness.js';

/**
 * The demo's page at `/` in a real browser (Debian's Chromium, headless),
 * over the built demo: each scheme's whole flow (and jwt's with its cookie
 * transport), two tabs, a CSRF attempt from another origin, escaping and
 * storage. Screenshots of each scheme's
 * page after login go to test-results/screenshots/; UPDATE_DOC_IMAGES=1 also
 * copies them to docs/images/ for the README.
 */
const SCREENSHOTS = fileURLToPath(new URL('../test-results/screenshots/', import.meta.url));
const DOC_IMAGES = fileURLToPath(new URL('../../../docs/images/', import.meta.url));
const SCHEMES: Scheme[] = ['token', 'knox', 'jwt', 'session'];
/** The schemes, and jwt with its cookie transport (JWT_COOKIE=true). */
type Flavour = Scheme | 'jwt-cookie';
const FLAVOURS: Flavour[] = [...SCHEMES, 'jwt-cookie'];
const schemeOf = (flavour: Flavour): Scheme => (flavour === 'jwt-cookie' ? 'jwt' : flavour);

const demos = new Demos();
afterAll(() => demos.stop());
const demo = (flavour: Flavour) => demos.origin(flavour, { AUTH_SCHEME: schemeOf(flavour), ...(flavour === 'jwt-cookie' && { JWT_COOKIE: 'true' }) });

/** What a refused credential answers, by scheme: DRF's 401, or 403 under session (no challenge). */
const REFUSED: Record<Scheme, number> = { token: 401, knox: 401, jwt: 401, session: 403 };
/** A wrong password at login: DRF's 400, simplejwt's 401. */
const BAD_LOGIN: Record<Scheme, number> = { token: 400, knox: 400, jwt: 401, session: 400 };
/** The start of what the page says the browser holds. */
const HOLDS: Record<Flavour, string> = {
  token: 'A token in memory',
  knox: 'A token in memory',
  jwt: 'An access token and a refresh token in memory',
  session: 'An HttpOnly session cookie (sessionid) that no script can read, and a readable CSRF cookie (csrftoken)',
  'jwt-cookie':
    'Two HttpOnly cookies that no script can read: the access token (jwt_access, minutes) and the refresh token ' +
    '(jwt_refresh, sent to /api/auth/refresh only), and a readable CSRF cookie (csrftoken)',
};
/** What the page shows of its memory after login. */
const MEMORY: Record<Flavour, RegExp> = {
  token: /^a token, …[0-9a-f]{8} \(40 characters\), never expires$/,
  knox: /^a token, …[0-9a-f]{8} \(64 characters\), expires .+$/,
  jwt: /^an access token, …[\w-]{8} \(\d+ characters\), expires .+; a refresh token, expires .+; refreshed 0 times$/,
  session: /^nothing: the credential is the session cookie, which the browser keeps$/,
  'jwt-cookie': /^nothing: the tokens are the HttpOnly cookies jwt_access and jwt_refresh, which the browser keeps$/,
};
/** What the page shows of the readable cookies after login, where a cookie carries the credential. */
const COOKIES: Partial<Record<Flavour, RegExp>> = {
  session: /^csrftoken=…\w{8} \(\d+ characters\), copied into X-CSRFToken; sessionid is HttpOnly: not readable here$/,
  'jwt-cookie': /^csrftoken=…\w{8} \(32 characters\), copied into X-CSRFToken; jwt_access and jwt_refresh are HttpOnly: not readable here$/,
};
const NOT_PROVIDED = 'Not logged in: Authentication credentials were not provided.';
const BLACKLISTED = { detail: 'Token is blacklisted', code: 'token_not_valid' };
/** What the page says when the server refused its refresh cookie: spent, logged out or revoked. */
const REFRESH_REFUSED = 'Not logged in: the server refused the refresh cookie (Token is blacklisted). Log in again.';
/** How many refreshes the page says this tab made under jwt-cookie. */
const refreshedInTab = (memory: string) => Number(/; this tab refreshed them (\d+) times?$/.exec(memory)?.[1] ?? '0');

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

  it.each([
    ['token', []],
    ['jwt', []],
    ['jwt-cookie', ['jwt']],
    ['session', ['session']],
  ] as const)('%s: GET /healthz names the schemes, and those a cookie carries (how the page picks its transport)', async (flavour, cookies) => {
    const res = await fetch(`${await demo(flavour)}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', schemes: [schemeOf(flavour)], cookies });
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

  it.each(FLAVOURS)('%s: register, log in, who am I, sessions and revoke, password, log out, log out everywhere', async (flavour) => {
    const scheme = schemeOf(flavour);
    const inCookies = flavour === 'jwt-cookie';
    const origin = await demo(flavour);
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    try {
      const tab = await PageDriver.open(context, origin);
      const sent: Response[] = [];
      tab.page.on('response', (r) => void sent.push(r));
      expect(await tab.text('#scheme')).toBe(scheme);
      expect(await tab.text('#holds')).toMatch(new RegExp(`^${escape(HOLDS[flavour])}`));
      if (inCookies) expect(await tab.text('#scheme-extra')).toBe('with its cookie transport (JWT_COOKIE=true)');
      const user = `${flavour}-alice`;
      const email = `${flavour}@example.com`;

      expect(await tab.register(user, email)).toBe('POST /api/auth/register → 201');
      expect(await tab.text('#me')).toMatch(new RegExp(`^Registered ${user} \\(id \\d+\\): now log in\\.$`));
      const login = await tab.login(user);
      expect(login.status).toBe(200);
      expect(await tab.text('#me')).toMatch(new RegExp(`^Logged in as ${user} \\(id \\d+, email ${email}\\)$`));
      expect(await tab.whoAmI()).toMatch(new RegExp(`^Logged in as ${user} \\(id \\d+, email ${email}\\)$`));
      expect(await tab.text('#status')).toBe('GET /api/me → 200');
      expect(await tab.text('#memory')).toMatch(MEMORY[flavour]);
      expect(await tab.text('#cookies')).toMatch(COOKIES[flavour] ?? /^none \(no cookie carries the token\)$/);

      // Nothing outside memory: no storage, no token in the URL or a readable cookie.
      const kept = await tab.persisted();
      expect(kept.storage).toBe(0);
      expect(kept.url).toBe(`${origin}/`);
      for (const secret of [login.body['token'], login.body['access'], login.body['refresh']].filter((s): s is string => typeof s === 'string')) {
        expect(kept.url).not.toContain(secret);
        expect(kept.cookies).not.toContain(secret);
      }
      if (scheme === 'session') expect(kept.cookies).not.toContain('sessionid');
      if (inCookies) {
        // The server still answers simplejwt's body; the same tokens are the HttpOnly cookies, and the page holds neither.
        expect(login.body).toEqual({ refresh: expect.any(String), access: expect.any(String) });
        expect(kept.cookies).toMatch(/^csrftoken=[a-zA-Z0-9]{32}$/);
        const jar = await cookieJar(context);
        // authbench_device: the login throttle's device cookie (HttpOnly too).
        expect(Object.keys(jar).sort()).toEqual(['authbench_device', 'csrftoken', 'jwt_access', 'jwt_refresh']);
        expect(jar['authbench_device']!.httpOnly).toBe(true);
        expect(jar['jwt_access']).toMatchObject({ value: login.body['access'], path: '/', httpOnly: true, sameSite: 'Lax' });
        expect(jar['jwt_refresh']).toMatchObject({ value: login.body['refresh'], path: '/api/auth/refresh', httpOnly: true, sameSite: 'Lax' });
        expect(jar['csrftoken']).toMatchObject({ value: kept.cookies.slice('csrftoken='.length), path: '/', httpOnly: false, sameSite: 'Lax' });
        const held = await tab.page.evaluate('JSON.stringify(state)');
        expect(held).not.toContain(login.body['access']);
        expect(held).not.toContain(login.body['refresh']);
      }

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
      await tab.page.screenshot({ path: `${SCREENSHOTS}${flavour}.png` });
      if (process.env['UPDATE_DOC_IMAGES'] === '1') {
        mkdirSync(DOC_IMAGES, { recursive: true });
        copyFileSync(`${SCREENSHOTS}${flavour}.png`, `${DOC_IMAGES}page-${flavour}.png`);
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
      const memoryAfter = flavour === 'session' || flavour === 'jwt-cookie' ? MEMORY[flavour] : /^nothing: no tokens? \(log in; a reload forgets (it|them)\)$/;
      expect(await tab.text('#memory')).toMatch(memoryAfter);
      // jwt-cookie: the logout sent both token cookies back expired; csrftoken stays, as in Django.
      if (inCookies) expect(Object.keys(await cookieJar(context)).sort()).toEqual(['authbench_device', 'csrftoken']);
      expect(await tab.whoAmI()).toBe(NOT_PROVIDED);
      expect(await tab.text('#status')).toBe(`GET /api/me → ${REFUSED[scheme]} (Authentication credentials were not provided.)`);
      expect(await deviceStatus(origin, scheme, laptop.device!)).toBe(scheme === 'token' ? 401 : 200);

      // Log out everywhere: every device ends.
      const again = scheme === 'token' ? await loginDevice(origin, scheme, user, NEW_PASSWORD, 'laptop') : laptop;
      expect((await tab.login(user, NEW_PASSWORD)).status).toBe(200);
      expect(await tab.logoutAll()).toBe('POST /api/auth/logoutall → 204');
      expect(await tab.text('#me')).toBe('Logged out everywhere.');
      if (inCookies) expect(Object.keys(await cookieJar(context)).sort()).toEqual(['authbench_device', 'csrftoken']);
      expect(await tab.whoAmI()).toBe(NOT_PROVIDED);
      expect(await deviceStatus(origin, scheme, again.device!)).toBe(REFUSED[scheme]);

      if (inCookies) {
        // Every request went without Authorization; every unsafe one after the first login carried
        // X-CSRFToken, the csrftoken cookie; a refresh (after the logouts, with no cookie to spend) sent {}.
        const requests = await Promise.all(
          sent.map(async (r) => ({ method: r.request().method(), path: new URL(r.url()).pathname, status: r.status(), headers: await r.request().allHeaders(), body: r.request().postData() })),
        );
        expect(requests.filter((r) => 'authorization' in r.headers)).toEqual([]);
        const unsafe = requests.filter((r) => r.method !== 'GET' && !['/api/auth/register', '/api/auth/login'].includes(r.path));
        // The second login drew a new CSRF secret.
        const first = kept.cookies.slice('csrftoken='.length);
        const second = (await cookieJar(context))['csrftoken']!.value;
        expect(second).not.toBe(first);
        expect(unsafe.map((r) => [`${r.method} ${r.path.replace(/[0-9a-f]{32}$/, '{id}')}`, r.status, r.headers['x-csrftoken'], r.body])).toEqual([
          ['DELETE /api/auth/sessions/{id}', 204, first, null],
          ['POST /api/auth/password', 200, first, JSON.stringify({ old_password: PASSWORD, new_password: NEW_PASSWORD })],
          ['POST /api/auth/logout', 204, first, null],
          ['POST /api/auth/refresh', 400, first, '{}'], // who am I after the logout: no refresh cookie left to spend
          ['POST /api/auth/logoutall', 204, second, null],
          ['POST /api/auth/refresh', 400, second, '{}'],
        ]);
      }
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

  it.each(['session', 'jwt-cookie'] as const)('%s, two tabs: both are logged in by the cookies; a logout in one is seen by the other', async (flavour) => {
    const origin = await demo(flavour);
    const user = `${flavour}-tabs`;
    const context = await browser.newContext();
    try {
      const one = await PageDriver.open(context, origin);
      const two = await PageDriver.open(context, origin);
      expect(await two.text('#reload-note')).toMatch(/^Reload, or open a second tab: the browser sends the cookies?, so you stay logged in, in every tab\./);
      await one.register(user, '');
      expect((await one.login(user)).status).toBe(200);
      expect(await two.whoAmI()).toMatch(new RegExp(`^Logged in as ${user} `));
      await two.goto(); // a reload keeps the login: the browser keeps the cookies
      expect(await two.text('#me')).toMatch(new RegExp(`^Logged in as ${user} `));
      expect(await two.text('#memory')).toMatch(MEMORY[flavour]);
      expect(await one.logout()).toBe('POST /api/auth/logout → 204');
      // jwt-cookie: the second tab's 401 sends it to refresh, with no refresh cookie left: 400, and no retry.
      const refresh = flavour === 'jwt-cookie' ? two.page.waitForResponse((r) => new URL(r.url()).pathname === '/api/auth/refresh') : null;
      expect(await two.whoAmI()).toBe(NOT_PROVIDED);
      if (refresh) {
        expect(Object.keys(await cookieJar(context)).sort()).toEqual(['authbench_device', 'csrftoken']);
        expect([(await refresh).status(), await (await refresh).json()]).toEqual([400, { refresh: ['This field is required.'] }]);
      }
      expect(await two.text('#status')).toBe(`GET /api/me → ${REFUSED[schemeOf(flavour)]} (Authentication credentials were not provided.)`);
      await two.goto();
      expect(await two.text('#me')).toBe('Not logged in.');
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

  /**
   * Two tabs of one browser, logged in by the one set of cookies (jwt-cookie,
   * access tokens of 2 seconds), ask who am I at the same moment once the
   * access cookie is gone: each gets 401 and refreshes, and both refreshes are
   * held until both wait, so they leave with the same refresh cookie.
   */
  async function refreshRace(context: BrowserContext, origin: string, username: string) {
    const one = await PageDriver.open(context, origin);
    const two = await PageDriver.open(context, origin);
    await one.register(username, '');
    expect((await one.login(username)).status).toBe(200);
    // The second tab never logged in: the cookies do it.
    expect(await two.whoAmI()).toMatch(new RegExp(`^Logged in as ${username} `));
    const before = [refreshedInTab(await one.text('#memory')), refreshedInTab(await two.text('#memory'))];
    const refreshes: [Response[], Response[]] = [[], []];
    [one, two].forEach((tab, i) => tab.page.on('response', (r) => void (new URL(r.url()).pathname === '/api/auth/refresh' && refreshes[i]!.push(r))));
    await one.page.waitForTimeout(3_000); // the access cookie (Max-Age=2) is gone from the jar
    expect(Object.keys(await cookieJar(context)).sort()).toEqual(['authbench_device', 'csrftoken', 'jwt_refresh']);
    const spent = (await cookieJar(context))['jwt_refresh']!.value;
    const gate = await holdTogether([one.page, two.page], '/api/auth/refresh', 2);
    await PageDriver.clickTogether([one, two], 'me-button');
    await gate.stop();
    // One refresh per tab, both with the same refresh cookie, `{}` and the X-CSRFToken.
    expect(refreshes.map((r) => r.length)).toEqual([1, 1]);
    const [a, b] = [refreshes[0][0]!, refreshes[1][0]!];
    expect(await sentCookie(a.request(), 'jwt_refresh')).toBe(spent);
    expect(await sentCookie(b.request(), 'jwt_refresh')).toBe(spent);
    for (const r of [a, b]) {
      expect(r.request().postData()).toBe('{}');
      expect((await r.request().allHeaders())['x-csrftoken']).toBe((await cookieJar(context))['csrftoken']!.value);
    }
    return { one, two, answers: [a, b] as const, before };
  }
  /** A demo for the race: jwt-cookie, access tokens of 2 seconds. */
  const raceDemo = (name: string, env: Record<string, string> = {}) =>
    demos.origin(name, { AUTH_SCHEME: 'jwt', JWT_COOKIE: 'true', JWT_ACCESS_TOKEN_LIFETIME: '2', ...env });

  it('jwt-cookie, two tabs refresh at once with one refresh cookie: within JWT_REFRESH_GRACE both get the same pair and stay logged in', async () => {
    const origin = await raceDemo('jwt-cookie-race');
    const context = await browser.newContext();
    try {
      const { one, two, answers, before } = await refreshRace(context, origin, 'jwt-race');
      expect(answers.map((r) => r.status())).toEqual([200, 200]);
      // The later one is a repeat within the window: the same pair again, not reuse.
      const [first, second] = (await Promise.all(answers.map((r) => r.json()))) as { access: string; refresh: string }[];
      expect(second).toEqual(first);
      const jar = await cookieJar(context);
      expect(jar['jwt_refresh']!.value).toBe(first!.refresh);
      expect(jar['jwt_access']!.value).toBe(first!.access);
      for (const [i, tab] of [one, two].entries()) {
        expect(await tab.text('#me')).toMatch(/^Logged in as jwt-race /);
        expect(await tab.text('#status')).toBe('GET /api/me → 200');
        expect(refreshedInTab(await tab.text('#memory'))).toBe(before[i]! + 1);
      }
      // The login stands: its one entry, and the pair's refresh token is live.
      expect(await one.sessions()).toEqual([expect.stringMatching(/^this page/)]);
      expect(await one.text('#sessions-note')).toBe('1 live login of this user.');
      const verify = await fetch(`${origin}/api/auth/verify`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: first!.refresh }) });
      expect([verify.status, await verify.json()]).toEqual([200, {}]);
    } finally {
      await context.close();
    }
  });

  it('jwt-cookie, the same race with JWT_REFRESH_GRACE=0: the later refresh is reuse, refused, and it revokes the login', async () => {
    const origin = await raceDemo('jwt-cookie-race-nograce', { JWT_REFRESH_GRACE: '0' });
    const context = await browser.newContext();
    try {
      const { one, two, answers } = await refreshRace(context, origin, 'jwt-nograce');
      // Which tab's refresh reaches the server first is chance; exactly one wins.
      const statuses = answers.map((r) => r.status());
      expect([...statuses].sort()).toEqual([200, 401]);
      const winner = statuses[0] === 200 ? 0 : 1;
      const [won, lost] = [answers[winner]!, answers[1 - winner]!];
      const pair = (await won.json()) as { access: string; refresh: string };
      expect(await lost.json()).toEqual(BLACKLISTED);
      const [winnerTab, loserTab] = winner === 0 ? [one, two] : [two, one];
      // The winner retried with the new access cookie; the loser does not retry after a refused refresh.
      expect(await winnerTab.text('#me')).toMatch(/^Logged in as jwt-nograce /);
      expect(await winnerTab.text('#status')).toBe('GET /api/me → 200');
      expect(await loserTab.text('#me')).toBe(REFRESH_REFUSED);
      expect(await loserTab.text('#status')).toBe('GET /api/me → 401 (Authentication credentials were not provided.)');
      // The reuse revoked the whole login: the winner's new refresh token is dead already...
      const verify = await fetch(`${origin}/api/auth/verify`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: pair.refresh }) });
      expect([verify.status, await verify.json()]).toEqual([401, BLACKLISTED]);
      expect((await cookieJar(context))['jwt_refresh']!.value).toBe(pair.refresh);
      // ...so once its access cookie is gone too, the winning tab is logged out as well.
      await winnerTab.page.waitForTimeout(2_500);
      expect(await winnerTab.whoAmI()).toBe(REFRESH_REFUSED);
      expect(await winnerTab.text('#status')).toBe('GET /api/me → 401 (Authentication credentials were not provided.)');
    } finally {
      await context.close();
    }
  });

  it('jwt-cookie: a CSRF form post from another origin cannot log the user out, nor spend the refresh cookie', async () => {
    const origin = await demo('jwt-cookie');
    const evil = await otherOrigin(
      `<!doctype html><form id="csrf" method="post" action="${origin}/api/auth/logout"><input name="x" value="1"><button>go</button></form>`,
    );
    const foreign = { detail: `CSRF Failed: Origin checking failed - ${evil.origin} does not match any trusted origins.` };
    const context = await browser.newContext();
    try {
      const tab = await PageDriver.open(context, origin);
      await tab.register('jwt-cookie-csrf', '');
      expect((await tab.login('jwt-cookie-csrf')).status).toBe(200);
      const cookies = await cookieJar(context);

      const attacker = await context.newPage();
      await attacker.goto(`${evil.origin}/`);
      const [response] = await Promise.all([
        attacker.waitForResponse((r) => r.url() === `${origin}/api/auth/logout`),
        attacker.locator('#csrf button').click(),
      ]);
      // Same site (another port of 127.0.0.1), so SameSite=Lax lets the access cookie go: the Origin check stops it.
      expect(await sentCookie(response.request(), 'jwt_access')).toBe(cookies['jwt_access']!.value);
      expect(response.status()).toBe(403);
      expect(await response.json()).toEqual(foreign);
      // Scripts' "simple" cross-origin POSTs, no preflight, fare no better: log out everywhere, or spend the refresh cookie.
      for (const path of ['/api/auth/logoutall', '/api/auth/refresh']) {
        await attacker.goto(`${evil.origin}/`);
        const [scripted] = await Promise.all([
          attacker.waitForResponse((r) => r.url() === `${origin}${path}`),
          attacker.evaluate((url) => fetch(url, { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{}' }).then(() => 'sent'), `${origin}${path}`),
        ]);
        expect(scripted.status()).toBe(403); // an opaque answer: no body to read
      }
      // From the page's own origin, without X-CSRFToken: the token check refuses it.
      const bare = await tab.page.evaluate(() =>
        fetch('/api/auth/logout', { method: 'POST', credentials: 'same-origin' }).then(async (r) => [r.status, await r.json()] as const),
      );
      expect(bare).toEqual([403, { detail: 'CSRF Failed: CSRF token missing.' }]);

      // Nothing changed: the same cookies, the login stands.
      expect(await cookieJar(context)).toEqual(cookies);
      expect(await tab.whoAmI()).toMatch(/^Logged in as jwt-cookie-csrf /);
      expect(await tab.text('#status')).toBe('GET /api/me → 200');
    } finally {
      await context.close();
      evil.server.close();
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
