import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Request, RequestHandler, Response } from 'express';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { UserId } from '@authbench/core';

export type { DestinationStream, Logger } from 'pino';

/** pino's levels; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The logger the demo runs with: one JSON object per line, the level as its
 * name, written synchronously (to stdout unless a destination is given), so a
 * crash loses no line. Nothing in this package passes it a header, a cookie or
 * a body; see `requestLog`.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = { level, formatters: { level: (label: string) => ({ level: label }) } };
  return destination ? pino(options, destination) : pino(options);
}

/** What a request line holds. Every field is chosen here, never copied from the request wholesale. */
export interface RequestLogFields {
  reqId: string;
  method: string;
  /** The route's pattern (`/api/auth/sessions/:id`, so no id from the path), or `(no route)`. */
  path: string;
  status: number;
  ms: number;
  scheme?: string;
  userId?: UserId;
  /** The client went away before the response was written. */
  aborted?: true;
}

/**
 * The matched route's pattern. A path no route matched is not logged at all:
 * it is whatever the client typed, and a client that puts a token in a URL
 * (which this API never asks for) must not get it into the log.
 */
function pathOf(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  return route && typeof route.path === 'string' ? req.baseUrl + route.path : UNMATCHED;
}
export const UNMATCHED = '(no route)';

/** The request id of a response, for the error line of the same request. */
export const requestIdOf = (res: Response): string | undefined => res.locals['requestId'] as string | undefined;

/**
 * One line per request when its response ends: method, route, status, time
 * taken, a request id (also sent as `X-Request-Id`, so a client can quote it),
 * and who called when someone was authenticated. Headers, cookies and bodies
 * are never read here, so no credential, password or token can reach the log.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const start = performance.now();
    const reqId = randomUUID();
    res.locals['requestId'] = reqId;
    res.setHeader('X-Request-Id', reqId);
    res.once('close', () => {
      const fields: RequestLogFields = {
        reqId,
        method: req.method,
        path: pathOf(req),
        status: res.statusCode,
        ms: Math.round((performance.now() - start) * 1000) / 1000,
      };
      if (req.auth) {
        fields.scheme = req.auth.scheme;
        fields.userId = req.auth.user.id;
      }
      if (!res.writableFinished) fields.aborted = true;
      if (res.statusCode >= 500) logger.error(fields, 'request');
      else logger.info(fields, 'request');
    });
    next();
  };
}

/** Receives an error that has no API answer (the 500 path). */
export type UnexpectedErrorReporter = (error: unknown, requestId: string | undefined) => void;

/**
 * Name, message and stack only: pino's own error serializer copies every
 * enumerable property, and a library's error may carry the request or its body.
 */
export function errorFields(error: unknown): { type: string; message: string; stack?: string } {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error).slice(0, 1000) };
  return { type: error.name, message: error.message, ...(error.stack !== undefined && { stack: error.stack }) };
}

export function reportToLogger(logger: Logger): UnexpectedErrorReporter {
  return (error, reqId) => logger.error({ ...(reqId !== undefined && { reqId }), error: errorFields(error) }, 'unhandled error');
}

export function reportToLine(log: (line: string) => void): UnexpectedErrorReporter {
  return (error) => log(`authbench: unhandled error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
}
