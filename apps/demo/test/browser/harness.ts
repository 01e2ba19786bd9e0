import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Cookie, Page, Request, Response, Route } from 'playwright-core';
import { startDemo } from '../servers.js';

export { CHROMIUM, chromiumMissing, launchBrowser } from '../../../../chromium.js';

/**
 * What the browser tests share: Debian's Chromium driven by playwright-core,
 * demos started as child processes, a driver for the page's controls, and a
 * client on the Node side that plays the user's other devices.
 */
export const PASSWORD = 'correct-horse-battery';
export const NEW_PASSWORD = 'staple-battery-horse-correct';
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** Demos by name, each on its own SQLite file; all stopped and removed by `stop`. */
export class Demos {
  private readonly children: ChildProcess[] = [];
  private readonly started = new Map<string, Promise<string>>();
  private readonly dir = mkdtempSync(join(tmpdir(), 'authbench-browser-'));

  /** The origin of the demo called `name`, started with `env` on first use. */
  origin(name: string, env: Record<string, string>): Promise<string> {
    let origin = this.started.get(name);
    if (!origin) {
      origin = startDemo({ LOG_LEVEL: 'silent', DATABASE_PATH: join(this.dir, `${name}.sqlite3`), ...env }, this.children);
      this.started.set(name, origin);
    }
    return origin;
  }

  stop(): void {
    for (const child of this.children) child.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Holds every request to `path` from these pages until `count` of them wait,
 * then lets them all go at once, so that they leave with the same cookies
 * (the jar changes only when an answer comes back). Should fewer come, they go
 * after `timeoutMs`, and the test's assertions say what happened instead.
 */
export async function holdTogether(pages: readonly Page[], path: string, count: number, timeoutMs = 10_000): Promise<{ stop(): Promise<void> }> {
  let waiting = 0;
  let release!: () => void;
  const all = new Promise<void>((resolve) => (release = resolve));
  const timer = setTimeout(release, timeoutMs);
  const handler = async (route: Route): Promise<void> => {
    if (++waiting === count) release();
    await all;
    await route.continue();
  };
  const pattern = (url: URL) => url.pathname === path;
  for (const page of pages) await page.route(pattern, handler);
  return {
    async stop() {
      clearTimeout(timer);
      for (const page of pages) await page.unroute(pattern, handler);
    },
  };
}

/** The context's cookies by name (all paths: `jwt_refresh` lives at /api/auth/refresh). */
export async function cookieJar(context: BrowserContext): Promise<Record<string, Cookie>> {
  return Object.fromEntries((await context.cookies()).map((c) => [c.name, c]));
}

/** A value of the Cookie header a request carried, or undefined. */
export async function sentCookie(request: Request, name: string): Promise<string | undefined> {
  const header = (await request.allHeaders())['cookie'] ?? '';
  for (const pair of header.split(';')) {
    const [key, ...rest] = pair.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

/** Another origin (same host, another port): serves one HTML page. */
export async function otherOrigin(html: string): Promise<{ origin: string; server: Server }> {
  const server = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(html));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

// ---- The user's other devices, from Node ------------------------------------------

export type Scheme = 'token' | 'knox' | 'jwt' | 'session';

/** A credential held outside the browser: the headers that carry it (and jwt's refresh token). */
export interface Device {
  headers: Record<string, string>;
  refresh?: string;
}

/** Logs in from Node as a device whose User-Agent is `client`: the status and, on 200, the device. */
export async function loginDevice(origin: string, scheme: Scheme, username: string, password: string, client: string): Promise<{ status: number; device: Device | null }> {
  const res = await fetch(`${origin}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'User-Agent': client },
    body: JSON.stringify({ username, password }),
  });
  const body = (await res.json()) as Record<string, string>;
  if (res.status !== 200) return { status: res.status, device: null };
  if (scheme === 'jwt') return { status: 200, device: { headers: { Authorization: `Bearer ${body['access']}` }, refresh: body['refresh']! } };
  if (scheme === 'session') {
    const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]!).filter((c) => /^(sessionid|csrftoken)=/.test(c));
    return { status: 200, device: { headers: { Cookie: cookies.join('; ') } } };
  }
  return { status: 200, device: { headers: { Authorization: `Token ${body['token']}` } } };
}

/**
 * Whether the device's login still stands: 200 if so. jwt is asked through its
 * refresh token (an access token outlives its logout until it expires, as in
 * simplejwt); the device then holds the rotated pair.
 */
export async function deviceStatus(origin: string, scheme: Scheme, device: Device): Promise<number> {
  if (scheme !== 'jwt') return (await fetch(`${origin}/api/me`, { headers: device.headers })).status;
  const res = await fetch(`${origin}/api/auth/refresh`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refresh: device.refresh }),
  });
  const body = (await res.json()) as Record<string, string>;
  if (res.status === 200) device.refresh = body['refresh']!;
  return res.status;
}

// ---- The page, driven as a user drives it -------------------------------------------

/**
 * What functions run in the page see of it (the test's TypeScript has no DOM
 * types). Functions, not strings: the page's CSP forbids eval, and Playwright's
 * polling evaluates a string predicate with it.
 */
export interface PageWindow {
  document: {
    body: { dataset: Record<string, string | undefined> };
    cookie: string;
    scripts: ArrayLike<{ getAttribute(name: string): string | null }>;
    querySelectorAll(selector: string): { length: number };
    getElementById(id: string): { click(): void } | null;
  };
  localStorage: { length: number };
  sessionStorage: { length: number };
  __cspViolations: string[];
  __xss?: unknown;
}

/** Records every Content-Security-Policy violation: the page must cause none. */
const RECORD_CSP_VIOLATIONS = `
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
`;

/** By timer: a tab in the background gets no animation frames, Playwright's default polling. */
const POLL = { polling: 20 };

export class PageDriver {
  /** Dialogs opened (alert() from injected markup would be one). */
  readonly dialogs: string[] = [];

  private constructor(readonly page: Page, readonly origin: string) {
    page.on('dialog', (dialog) => {
      this.dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  }

  /** A new tab of `context` on the demo's page, once its script has booted. */
  static async open(context: BrowserContext, origin: string): Promise<PageDriver> {
    const page = await context.newPage();
    await page.addInitScript(RECORD_CSP_VIOLATIONS);
    const driver = new PageDriver(page, origin);
    await driver.goto();
    return driver;
  }

  /** Loads (or reloads) the page and waits for its boot. */
  async goto(): Promise<Response | null> {
    const response = await this.page.goto(`${this.origin}/`);
    await this.page.waitForFunction(() => Number((globalThis as unknown as PageWindow).document.body.dataset['actions'] ?? '0') >= 1, undefined, POLL);
    return response;
  }

  text(selector: string): Promise<string> {
    return this.page.locator(selector).innerText();
  }

  /** Does what `start` starts and waits until the page has finished that many actions. */
  async act(start: () => Promise<unknown>, count = 1): Promise<void> {
    // The user looks at the tab they use: a background tab gets no animation frames, and clicks wait for them.
    await this.page.bringToFront();
    const before = await this.page.evaluate(() => Number((globalThis as unknown as PageWindow).document.body.dataset['actions'] ?? '0'));
    await start();
    await this.page.waitForFunction(
      (n) => Number((globalThis as unknown as PageWindow).document.body.dataset['actions'] ?? '0') >= n,
      before + count,
      POLL,
    );
  }

  /**
   * Clicks the button `id` in every tab in the same moment (through the DOM, so
   * that a background tab needs no animation frame) and waits until each has
   * finished that action.
   */
  static async clickTogether(tabs: readonly PageDriver[], id: string): Promise<void> {
    const count = () => Number((globalThis as unknown as PageWindow).document.body.dataset['actions'] ?? '0');
    const before = await Promise.all(tabs.map((tab) => tab.page.evaluate(count)));
    await Promise.all(tabs.map((tab) => tab.page.evaluate((button) => (globalThis as unknown as PageWindow).document.getElementById(button)!.click(), id)));
    await Promise.all(
      tabs.map((tab, i) =>
        tab.page.waitForFunction((n) => Number((globalThis as unknown as PageWindow).document.body.dataset['actions'] ?? '0') >= n, before[i]! + 1, POLL),
      ),
    );
  }

  /** `start`'s action, and the response of the first request to `path` it made. */
  async actAndCatch(path: string, start: () => Promise<unknown>): Promise<Response> {
    const response = this.page.waitForResponse((r) => new URL(r.url()).pathname === path);
    await this.act(start);
    return response;
  }

  async register(username: string, email: string, password = PASSWORD): Promise<string> {
    const details = this.page.locator('#register-details');
    if ((await details.getAttribute('open')) === null) await details.locator('summary').click();
    const form = this.page.locator('#register-form');
    await form.locator('[name=username]').fill(username);
    await form.locator('[name=email]').fill(email);
    await form.locator('[name=password]').fill(password);
    await this.act(() => form.locator('button[type=submit]').click());
    return this.text('#status');
  }

  /** Logs in through the form; resolves with the login response's status and body. */
  async login(username: string, password = PASSWORD): Promise<{ status: number; body: Record<string, unknown> }> {
    const form = this.page.locator('#login-form');
    await form.locator('[name=username]').fill(username);
    await form.locator('[name=password]').fill(password);
    const response = await this.actAndCatch('/api/auth/login', () => form.locator('button[type=submit]').click());
    return { status: response.status(), body: (await response.json()) as Record<string, unknown> };
  }

  /** Clicks "Who am I?" and resolves with what the page then says. */
  async whoAmI(): Promise<string> {
    await this.act(() => this.page.locator('#me-button').click());
    return this.text('#me');
  }

  /** Lists the sessions; resolves with the rows' texts (none when there is no list). */
  async sessions(): Promise<string[]> {
    await this.act(() => this.page.locator('#sessions-button').click());
    if (await this.page.locator('#sessions').isHidden()) return [];
    return this.page.locator('#sessions-body tr').allInnerTexts();
  }

  /** Revokes the listed login whose client is `client`. */
  async revoke(client: string): Promise<void> {
    const row = this.page.locator('#sessions-body tr', { has: this.page.locator('.agent', { hasText: new RegExp(`^${client}$`) }) });
    await this.act(() => row.locator('button.revoke').click());
  }

  async changePassword(oldPassword: string, newPassword: string): Promise<string> {
    const form = this.page.locator('#password-form');
    await form.locator('[name=old_password]').fill(oldPassword);
    await form.locator('[name=new_password]').fill(newPassword);
    await this.act(() => form.locator('button[type=submit]').click());
    return this.text('#status');
  }

  async logout(): Promise<string> {
    await this.act(() => this.page.locator('#logout-button').click());
    return this.text('#status');
  }

  async logoutAll(): Promise<string> {
    await this.act(() => this.page.locator('#logoutall-button').click());
    return this.text('#status');
  }

  /** Where the page could have kept a credential besides memory: storage, the URL, readable cookies. */
  async persisted(): Promise<{ storage: number; url: string; cookies: string }> {
    return {
      storage: await this.page.evaluate(() => {
        const w = globalThis as unknown as PageWindow;
        return w.localStorage.length + w.sessionStorage.length;
      }),
      url: this.page.url(),
      cookies: await this.page.evaluate(() => (globalThis as unknown as PageWindow).document.cookie),
    };
  }

  cspViolations(): Promise<string[]> {
    return this.page.evaluate(() => (globalThis as unknown as PageWindow).__cspViolations);
  }
}
