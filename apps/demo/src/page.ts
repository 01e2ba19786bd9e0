import { readFileSync } from 'node:fs';
import { hasAccounts, type AuthScheme, type UserRepository } from '@authbench/core';
import { requestLog, type Logger } from '@authbench/express';
import { Router, type RequestHandler, type Response } from 'express';

/**
 * The browser page's policy: no inline script or style, nothing from another
 * origin, no framing. An injected `<script>` or `onerror=` attribute does not
 * run even if some text ever reached the DOM as markup.
 */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** The page's files, beside src/ and dist/ alike, so the build copies nothing. */
const PAGE_DIR = new URL('../page/', import.meta.url);
const FILES: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
};

export interface PageOptions {
  /** The configured schemes, in order: the `/api/` index lists their routes only. */
  readonly schemes: readonly AuthScheme[];
  /** The users: register and password change are listed only when it serves them. */
  readonly users: UserRepository;
  /** One JSON line per page request, as the API's own; none when absent or silent. */
  readonly logger?: Logger | undefined;
}

/**
 * `GET /` (the page, its script and style) and `GET /api/` (a JSON index of
 * the routes, as DRF's API root). Mount it before the API app, whose JSON 404
 * would answer these paths otherwise. Other methods fall through to the API
 * app, so that its CSRF Origin check still comes before its 404.
 */
export function pageRouter({ schemes, users, logger }: PageOptions): Router {
  const router = Router({ strict: false });
  const log: RequestHandler[] = logger && logger.level !== 'silent' ? [requestLog(logger)] : [];

  for (const [path, [file, type]] of Object.entries(FILES)) {
    // Read once at start-up: a missing file stops the demo instead of failing per request.
    const body = readFileSync(new URL(file, PAGE_DIR));
    router.get(path, ...log, (_req, res) => {
      pageHeaders(res);
      // Revalidated on every load, so a rebuilt page is never served stale.
      res.set({ 'Content-Type': type, 'Cache-Control': 'no-cache' }).send(body);
    });
  }

  router.get('/api', ...log, (req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.json(apiIndex(`${req.protocol}://${req.get('host') ?? 'localhost'}`, schemes, users));
  });
  return router;
}

function pageHeaders(res: Response): void {
  res.set({
    'Content-Security-Policy': PAGE_CSP,
    'X-Content-Type-Options': 'nosniff',
    // The CSRF check reads Origin; a same-origin Referer is all it ever needs.
    'Referrer-Policy': 'same-origin',
  });
}

/**
 * What `createAuth` serves with these schemes and users: register and
 * password with accounts, the sessions routes when a scheme lists logins,
 * each scheme's own endpoints (jwt's refresh and verify, its JWKS at root).
 */
export function apiIndex(origin: string, schemes: readonly AuthScheme[], users: UserRepository): Record<string, unknown> {
  const auth: Record<string, string> = {};
  const at = (path: string): string => `${origin}${path}`;
  if (hasAccounts(users)) auth['register'] = at('/api/auth/register');
  auth['login'] = at('/api/auth/login');
  auth['logout'] = at('/api/auth/logout');
  auth['logoutall'] = at('/api/auth/logoutall');
  if (hasAccounts(users)) auth['password'] = at('/api/auth/password');
  if (schemes.some((s) => s.listSessions)) auth['sessions'] = at('/api/auth/sessions');
  const root: Record<string, unknown> = { healthz: at('/healthz'), me: at('/api/me'), auth };
  for (const endpoint of schemes.flatMap((s) => s.endpoints ?? [])) {
    // `/refresh` → "refresh", `/.well-known/jwks.json` → "jwks".
    const name = endpoint.path.split('/').pop()!.replace(/\..*$/, '');
    if (endpoint.atRoot) root[name] = at(endpoint.path);
    else auth[name] = at(`/api/auth${endpoint.path}`);
  }
  return root;
}
