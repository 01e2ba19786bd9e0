import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ApiError, AuthenticationError, methodNotAllowed, notFound, type AuthScheme } from '@authbench/core';
import { reportToLine, requestIdOf, type UnexpectedErrorReporter } from './logging.js';

/**
 * Turns authbench's errors into DRF's responses, and passes every other
 * error on, untouched, to the application's own error handlers.
 * Authentication failures follow DRF's rule: 401 with the first scheme's
 * `WWW-Authenticate` challenge, or 403 when that scheme has none.
 */
export function apiErrorHandler(schemes: readonly AuthScheme[]): ErrorRequestHandler {
  const challenge = schemes[0]?.challenge ?? null;
  return (error, _req, res, next) => {
    if (res.headersSent) return next(error);
    if (!(error instanceof ApiError)) return next(error);
    const apiError = error;
    let status = apiError.status;
    if (apiError instanceof AuthenticationError) {
      const header = apiError.challenge ?? challenge;
      if (header) res.setHeader('WWW-Authenticate', header);
      else status = 403;
    }
    res.set(apiError.headers).status(status).json(apiError.body);
  };
}

/**
 * The last handler of an app that is all API: anything unexpected is reported
 * (name, message and stack only: never the request) and answered with a bare
 * JSON 500, never a stack trace.
 */
export function unexpectedErrorHandler(report: UnexpectedErrorReporter = reportToLine((line) => console.error(line))): ErrorRequestHandler {
  return (error, _req, res, next) => {
    if (res.headersSent) return next(error);
    report(error, requestIdOf(res));
    res.status(500).json({ detail: 'A server error occurred.' });
  };
}

/** Both of the above: DRF's answers for authbench's errors, a bare 500 for the rest. */
export function errorHandler(schemes: readonly AuthScheme[], report?: UnexpectedErrorReporter): ErrorRequestHandler[] {
  return [apiErrorHandler(schemes), unexpectedErrorHandler(report)];
}

/** A JSON 404 for whatever no route matched (DRF's `NotFound`). */
export const notFoundHandler: RequestHandler = (_req, _res, next) => next(notFound());

/**
 * Express's router cannot percent-decode a path parameter (`/sessions/%`) and
 * throws a URIError quoting it. On the auth router's own routes that path
 * names nothing: 404, as DRF answers an unknown session id (Django keeps a
 * broken escape literally in the path).
 */
export const undecodablePathHandler: ErrorRequestHandler = (error, _req, _res, next) => {
  next(error instanceof URIError && (error as { status?: unknown }).status === 400 ? notFound() : error);
};

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
