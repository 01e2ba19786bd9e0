import express, { Router, type Express, type Request, type RequestHandler } from 'express';
import {
  AuthenticationError,
  charField,
  parseBasicAuthorization,
  expectObject,
  notFound,
  OLD_PASSWORD_INCORRECT,
  publicUser,
  revokeCredentials,
  ValidationError,
  type Accounts,
  type AuthScheme,
  type Caller,
  type FieldErrors,
  type Fields,
  type LoginThrottle,
  type VerifiedLogin,
} from '@authbench/core';
import { authenticate, requireAuth } from './authenticate.js';
import { clientAddress } from './client-address.js';
import { readBody } from './body.js';
import { errorHandler, methodNotAllowedHandler, notFoundHandler } from './errors.js';
import { reportToLine, reportToLogger, requestIdOf, requestLog, type Logger } from './logging.js';

export interface AuthAppOptions {
  /** Tried in order on each request; the first issues credentials at login and names the challenge. */
  readonly schemes: readonly AuthScheme[];
  readonly accounts: Accounts;
  /** Login throttling for login and register (core's LoginThrottle); none when absent. */
  readonly throttle?: LoginThrottle | undefined;
  /**
   * Proxies in front whose X-Forwarded-For is believed for the client address
   * (`true` is one); default none, the socket's peer.
   */
  readonly trustProxy?: boolean | number | undefined;
  /** Where unexpected errors are reported, one line each, when no `logger` is given. Default: stderr. */
  readonly log?: ((line: string) => void) | undefined;
  /**
   * A pino logger: one line per request (logging.ts says what it holds, and
   * that no header, cookie or body is in it) and every unexpected error.
   * Default: none, and no request lines.
   */
  readonly logger?: Logger | undefined;
}

const INVALID_CREDENTIALS = 'Unable to log in with provided credentials.';
const BASIC_CHALLENGE = 'Basic realm="api"';
const NO_STORE = { 'Cache-Control': 'no-store' };
const PASSWORD_SAVED = 'New password has been saved.'; // dj-rest-auth's PasswordChangeView

/** The whole HTTP contract of shared API.md, for whichever schemes are configured. */
export function createAuthApp({ schemes, accounts, log, logger, throttle, trustProxy = false }: AuthAppOptions): Express {
  const proxies = trustProxy === true ? 1 : trustProxy === false ? 0 : trustProxy;
  const primary = schemes[0];
  if (!primary) throw new TypeError('createAuthApp: options.schemes must name at least one scheme');
  const byName = new Map(schemes.map((s) => [s.name, s]));
  const schemeOf = (caller: Caller): AuthScheme => byName.get(caller.scheme)!;
  const report = logger ? reportToLogger(logger) : reportToLine(log ?? ((line) => console.error(line)));

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

  for (const scheme of schemes) if (scheme.middleware) app.use(scheme.middleware);

  const router = Router({ strict: false }); // a trailing slash is accepted on every route
  const auth = authenticate(schemes);
  const json = readBody({ form: false });
  const jsonOrForm = readBody({ form: true });
  const route = (path: string, methods: Record<string, RequestHandler[]>): void => {
    const r = router.route(path);
    for (const [method, handlers] of Object.entries(methods)) r[method as 'get' | 'post' | 'delete'](...handlers);
    const allowed = Object.keys(methods).map((m) => m.toUpperCase());
    if (allowed.includes('GET')) allowed.push('HEAD');
    r.all(methodNotAllowedHandler(allowed));
  };

  route('/healthz', {
    get: [(_req, res) => void res.json({ status: 'ok', schemes: schemes.map((s) => s.name) })],
  });

  // As DRF's APIView: anonymous callers welcome, but a bad credential still fails.
  route('/api/auth/register', {
    post: [
      auth,
      jsonOrForm,
      async (req, res) => {
        const data = expectObject(req.body);
        const user = throttle
          ? await throttle.register(clientAddress(req, proxies), () => accounts.register(data))
          : await accounts.register(data);
        res.status(201).json(publicUser(user));
      },
    ],
  });

  // Ignores any Authorization header (shared API.md): a stale token must not block a fresh login.
  route('/api/auth/login', {
    post: [
      jsonOrForm,
      async (req, res) => {
        const data = expectObject(req.body);
        const byBasic = primary.basicLogin ? await basicLogin(req, data) : null;
        const verified = byBasic ?? (await bodyLogin(req, data));
        const result = await primary.login(verified.user, { req, client: clientOf(req) });
        // A password change (or deactivation) that landed since the check may have revoked
        // the user's credentials before this one existed: it must not outlive that change.
        let valid: boolean;
        try {
          valid = await accounts.stillValid(verified);
        } catch (error) {
          // Not known to stand (the read failed): what this login issued must not either.
          await result.withdraw().catch(() => {});
          throw error;
        }
        if (!valid) {
          await result.withdraw();
          throw byBasic ? basicFailure('Invalid username/password.') : bodyLoginFailure();
        }
        // A session is stored as the response ends, after that check: look once more then.
        void result.stored
          ?.then(async () => {
            if (!(await accounts.stillValid(verified))) await result.withdraw();
          })
          .catch((error: unknown) => report(error, requestIdOf(res)));
        res.set(NO_STORE).set(result.headers ?? {}).status(200).json(result.body);
      },
    ],
  });

  route('/api/auth/logout', {
    post: [
      auth,
      requireAuth,
      json,
      async (req, res) => {
        await schemeOf(req.auth!).logout(req.auth!, req);
        res.status(204).end();
      },
    ],
  });

  route('/api/auth/logoutall', {
    post: [
      auth,
      requireAuth,
      json,
      async (req, res) => {
        await schemeOf(req.auth!).logoutAll(req.auth!, req);
        res.status(204).end();
      },
    ],
  });

  // A new password ends every other credential of the user, in every
  // configured scheme; the caller's own is kept, or replaced (token) and
  // returned beside the message.
  route('/api/auth/password', {
    post: [
      auth,
      requireAuth,
      json,
      async (req, res) => {
        const caller = req.auth!;
        const data = expectObject(req.body);
        // A wrong old password is a guess, by whoever holds a stolen credential: it counts
        // against the username (and address) as a failed login does, and waits as one.
        let wrongOldPassword: ValidationError | undefined;
        const change = async (): Promise<true | null> => {
          try {
            await accounts.changePassword(caller.user.id, data);
            return true;
          } catch (error) {
            if (!(error instanceof ValidationError) || !error.fields['old_password']?.includes(OLD_PASSWORD_INCORRECT)) throw error;
            wrongOldPassword = error;
            return null;
          }
        };
        const changed = throttle ? await throttle.login(caller.user.username, clientAddress(req, proxies), change) : await change();
        if (changed === null) throw wrongOldPassword!;
        const issued = await revokeCredentials(schemes, caller.user.id, { caller, req });
        res.set(NO_STORE).status(200).json({ detail: PASSWORD_SAVED, ...issued });
      },
    ],
  });

  // Only schemes with many logins per user have a use for these.
  if (schemes.some((s) => s.listSessions && s.revokeSession)) {
    route('/api/auth/sessions', {
      get: [
        auth,
        requireAuth,
        async (req, res) => {
          const scheme = schemeOf(req.auth!);
          if (!scheme.listSessions) throw notFound();
          res.set(NO_STORE).json(await scheme.listSessions(req.auth!));
        },
      ],
    });
    route('/api/auth/sessions/:id', {
      delete: [
        auth,
        requireAuth,
        async (req, res) => {
          const scheme = schemeOf(req.auth!);
          if (!scheme.revokeSession || !(await scheme.revokeSession(req.auth!, String(req.params['id'])))) {
            throw notFound();
          }
          res.status(204).end();
        },
      ],
    });
  }

  for (const scheme of schemes) {
    for (const endpoint of scheme.endpoints ?? []) {
      route(endpoint.path, {
        [endpoint.method.toLowerCase()]: [
          json,
          async (req, res) => {
            const { status, body } = await endpoint.handle(expectObject(req.body), req);
            res.set(NO_STORE).status(status).json(body);
          },
        ],
      });
    }
  }

  route('/api/me', {
    get: [auth, requireAuth, (req, res) => void res.json(publicUser(req.auth!.user))],
  });

  /** The password check, behind the throttle when there is one: a throttled attempt hashes nothing. */
  function checkCredentials(req: Request, username: string, password: string): Promise<VerifiedLogin | null> {
    const check = () => accounts.checkCredentials(username, password);
    return throttle ? throttle.login(username, clientAddress(req, proxies), check) : check();
  }

  const bodyLoginFailure = () => primary!.loginFailure ?? new ValidationError({ non_field_errors: [INVALID_CREDENTIALS] });
  const basicFailure = (detail: string) => new AuthenticationError({ detail }, 'authentication_failed', BASIC_CHALLENGE);

  /** DRF's `AuthTokenSerializer`: the fields, then the password check. */
  async function bodyLogin(req: Request, data: Fields): Promise<VerifiedLogin> {
    const errors: FieldErrors = {};
    const username = charField(data, 'username', errors);
    const password = charField(data, 'password', errors, { trim: false });
    if (username === undefined || password === undefined) throw new ValidationError(errors);
    const verified = await checkCredentials(req, username, password);
    if (!verified) throw bodyLoginFailure();
    return verified;
  }

  /**
   * DRF's `BasicAuthentication`, which knox's `LoginView` runs: used when the
   * body names no credentials. Its failures are 401s with a Basic challenge.
   */
  async function basicLogin(req: Request, data: Fields): Promise<VerifiedLogin | null> {
    if (Object.hasOwn(data, 'username') || Object.hasOwn(data, 'password')) return null;
    const basic = parseBasicAuthorization(req.headers.authorization);
    if (basic === null) return null;
    if (typeof basic === 'string') throw basicFailure(basic);
    const verified = await checkCredentials(req, basic.username, basic.password);
    if (!verified) throw basicFailure('Invalid username/password.');
    return verified;
  }

  app.use(router);
  app.use(notFoundHandler);
  app.use(errorHandler(schemes, report));
  return app;
}

function clientOf(req: Request): string {
  return (req.headers['user-agent'] ?? '').slice(0, 200);
}
