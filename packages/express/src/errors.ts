import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ApiError, AuthenticationError, methodNotAllowed, notFound, type AuthScheme } from '@authbench/core';
import { bodyParserError } from './body.js';
import { reportToLine, requestIdOf, type UnexpectedErrorReporter } from './logging.js';

/**
 * The one place where errors become responses. Authentication failures follow
 * DRF's rule: 401 with the first scheme's `WWW-Authenticate` challenge, or 403
 * when that scheme has none. Anything unexpected is logged (name, message and
 * stack only: never the request) and answered with a bare 500.
 */
export function errorHandler(
  schemes: readonly AuthScheme[],
  report: UnexpectedErrorReporter = reportToLine((line) => console.error(line)),
): ErrorRequestHandler {
  const challenge = schemes[0]?.challenge ?? null;
  return (error, _req, res, next) => {
    if (res.headersSent) return next(error);
    const apiError = error instanceof ApiError ? error : (bodyParserError(error) ?? routerError(error));
    if (!apiError) {
      report(error, requestIdOf(res));
      res.status(500).json({ detail: 'A server error occurred.' });
      return;
    }
    let status = apiError.status;
    if (apiError instanceof AuthenticationError) {
      const header = apiError.challenge ?? challenge;
      if (header) res.setHeader('WWW-Authenticate', header);
      else status = 403;
    }
    res.set(apiError.headers).status(status).json(apiError.body);
  };
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(notFound());

/**
 * Express's router cannot percent-decode a path parameter (`/api/auth/sessions/%`)
 * and throws a URIError quoting it. That path names nothing: 404, as DRF answers
 * an unknown session id (Django keeps a broken escape literally in the path).
 */
function routerError(error: unknown): ApiError | null {
  return error instanceof URIError && (error as { status?: unknown }).status === 400 ? notFound() : null;
}

/** For `router.route(path).all(...)` after the allowed methods. */
export function methodNotAllowedHandler(allowed: readonly string[]): RequestHandler {
  const allow = [...allowed, 'OPTIONS'].join(', ');
  return (req, res, next) => {
    res.setHeader('Allow', allow);
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next(methodNotAllowed(req.method));
  };
}
