import express, { type Express } from 'express';
import { publicUser } from '@authbench/core';
import { createAuth, type AuthOptions } from './auth.js';
import { requireAuth } from './authenticate.js';
import { methodNotAllowedHandler, notFoundHandler, unexpectedErrorHandler } from './errors.js';
import { reportToLine, reportToLogger, requestLog, type Logger } from './logging.js';

export interface AuthAppOptions extends Omit<AuthOptions, 'report'> {
  /** Where unexpected errors are reported, one line each, when no `logger` is given. Default: stderr. */
  readonly log?: ((line: string) => void) | undefined;
  /**
   * A pino logger: one line per request (logging.ts says what it holds, and
   * that no header, cookie or body is in it) and every unexpected error.
   * Default: none, and no request lines.
   */
  readonly logger?: Logger | undefined;
}

/**
 * A whole app that is only the API: the auth router at `/api/auth`, `/api/me`,
 * `/healthz`, JSON 404s and 500s. The demo's composition of `createAuth`; an
 * application of your own mounts `createAuth`'s parts among its routes instead.
 */
export function createAuthApp({ log, logger, ...options }: AuthAppOptions): Express {
  const report = logger ? reportToLogger(logger) : reportToLine(log ?? ((line) => console.error(line)));
  const auth = createAuth({ ...options, report });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // hashing every response body is work no client here asks for
  app.set('query parser', false); // no route reads a query string
  // First, so that its time covers every other middleware.
  if (logger && logger.level !== 'silent') app.use(requestLog(logger));
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  // Before any route, as DRF's middleware: an unsafe request from a foreign origin is refused first.
  // (CORS and the schemes' own middleware: every layer of `authenticate` but the scheme check itself.)
  app.use(auth.authenticate.slice(0, -1));

  const schemeNames = auth.schemes.map((s) => s.name);
  // Those whose credential rides in a cookie: a browser client keeps no token and sends X-CSRFToken.
  const cookieSchemes = auth.schemes.filter((s) => s.cookies === true).map((s) => s.name);
  app
    .route('/healthz')
    .get((_req, res) => void res.json({ status: 'ok', schemes: schemeNames, cookies: cookieSchemes }))
    .all(methodNotAllowedHandler(['GET', 'HEAD']));
  app.use('/api/auth', auth.router);
  app.use(auth.rootRouter);
  app
    .route('/api/me')
    .get(auth.authenticate, requireAuth((req, res) => void res.json(publicUser(req.auth.user))))
    .all(auth.authenticated, methodNotAllowedHandler(['GET', 'HEAD']));

  app.use(notFoundHandler);
  app.use(auth.errorHandler, unexpectedErrorHandler(report));
  return app;
}
