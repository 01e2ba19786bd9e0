import type { RequestHandler } from 'express';

/** `createAuth`'s `cors`: the front ends on other origins allowed to call the API with credentials. */
export interface CorsOptions {
  /** Exact origins, `scheme://host[:port]` (`https://app.example.com`), as the browser sends them in `Origin`. */
  readonly origins: readonly string[];
}

const ALLOW_METHODS = 'GET, POST, DELETE, OPTIONS';
const ALLOW_HEADERS = 'Authorization, Content-Type, X-CSRFToken';
const MAX_AGE = '600';
const CORS_RAN = Symbol('authbench.cors');

/** What a browser puts in `Origin`: a scheme, a host and maybe a port; no path, no wildcard, no trailing slash. */
const ORIGIN = /^https?:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(:[0-9]{1,5})?$/;

/** @returns why `origin` is not one a browser would send, or null when it is. */
export function corsOriginProblem(origin: string): string | null {
  return ORIGIN.test(origin) ? null : `"${origin}" is not scheme://host[:port] (http or https, no path, no wildcard)`;
}

/**
 * CORS for listed origins: credentials allowed (cookies, Authorization), and
 * preflights answered here with 204. A request from any other origin gets no
 * `Access-Control-*` header, so its browser keeps the response from the page.
 * Every response to a request with an Origin varies by it, so a cache never
 * hands one origin's answer to another. Runs once per request however often
 * it is mounted (the router and `authenticate` both carry it).
 */
export function cors(options: CorsOptions): RequestHandler {
  if (!Array.isArray(options.origins) || !options.origins.every((o) => typeof o === 'string')) {
    throw new TypeError('createAuth: options.cors.origins must be a list of origins');
  }
  const problem = options.origins.map(corsOriginProblem).find((p) => p !== null);
  if (problem) throw new TypeError(`createAuth: options.cors.origins: ${problem}`);
  // Browsers send the origin lower-cased; compare so, whatever case the setting has.
  const allowed = new Set(options.origins.map((o) => o.toLowerCase()));
  return (req, res, next) => {
    const marked = req as typeof req & { [CORS_RAN]?: true };
    const origin = req.headers.origin;
    if (marked[CORS_RAN] || origin === undefined) return next();
    marked[CORS_RAN] = true;
    res.vary('Origin');
    if (!allowed.has(origin.toLowerCase())) return next();
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      res.setHeader('Access-Control-Allow-Methods', ALLOW_METHODS);
      res.setHeader('Access-Control-Allow-Headers', ALLOW_HEADERS);
      res.setHeader('Access-Control-Max-Age', MAX_AGE);
      res.status(204).end();
      return;
    }
    next();
  };
}
