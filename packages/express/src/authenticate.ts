import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { notAuthenticated, type AuthScheme, type Caller } from '@authbench/core';

/** Express's route parameters, by name. */
type ParamsDictionary = Request['params'];

/**
 * Runs the configured schemes in order, as DRF's
 * `DEFAULT_AUTHENTICATION_CLASSES`: the first that recognises a credential
 * decides, and a bad credential fails the request rather than falling through.
 * Sets `req.auth` to the caller, or null when the request is anonymous.
 */
export function authenticate(schemes: readonly AuthScheme[]): RequestHandler {
  return async (req, res, next) => {
    for (const scheme of schemes) {
      const caller = await scheme.authenticate(req);
      if (caller) {
        req.auth = caller;
        // What an authenticated response holds is the caller's: no shared cache may keep it.
        res.setHeader('Cache-Control', 'no-store');
        return next();
      }
    }
    req.auth = null;
    next();
  };
}

/** A request that `requireAuth` let through: `req.auth` is the caller, never null. */
export type AuthenticatedRequest<P = ParamsDictionary> = Request<P> & { auth: Caller };

/** A handler behind `requireAuth`. */
export type AuthenticatedHandler<P = ParamsDictionary> = (req: AuthenticatedRequest<P>, res: Response, next: NextFunction) => unknown;

const NOT_AUTHENTICATED = notAuthenticated();

/** Refuses an anonymous request, as DRF's `IsAuthenticated`; after `authenticate`. */
export const refuseAnonymous: RequestHandler = (req, _res, next) => next(req.auth ? undefined : NOT_AUTHENTICATED);

/**
 * Wraps a handler so that it runs only for an authenticated caller, and sees
 * `req.auth` typed as the caller, without a cast. Anonymous requests get
 * DRF's `NotAuthenticated` (401 with the challenge, or 403 under session).
 * Put it after `authenticate`:
 *
 *   app.get('/me', auth.authenticate, requireAuth((req, res) => res.json(req.auth.user)));
 */
export function requireAuth<P = ParamsDictionary>(handler: AuthenticatedHandler<P>): RequestHandler<P> {
  return (req, res, next) => {
    if (!req.auth) return next(NOT_AUTHENTICATED);
    // Express 5 passes a rejected promise on to the error handlers.
    return handler(req as AuthenticatedRequest<P>, res, next) as void;
  };
}
