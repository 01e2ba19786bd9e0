import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router, type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import {
  assertUserRepository,
  AuthenticationError,
  charField,
  expectObject,
  hasAccounts,
  NO_PROXIES,
  notFound,
  OLD_PASSWORD_INCORRECT,
  parseBasicAuthorization,
  publicUser,
  revokeCredentials,
  trustedProxies,
  ValidationError,
  type AttemptThrottle,
  type AuthScheme,
  type Caller,
  type FieldErrors,
  type Fields,
  type ProxyTrust,
  type SchemeEndpoint,
  type User,
  type UserRepository,
} from '@authbench/core';
import { authenticate, refuseAnonymous, requireAuth } from './authenticate.js';
import { cors, type CorsOptions } from './cors.js';
import { readBody } from './body.js';
import { clientAddress } from './client-address.js';
import { deviceCookies } from './device-cookie.js';
import { apiErrorHandler, methodNotAllowedHandler, undecodablePathHandler } from './errors.js';
import { reportToLine, requestIdOf, type UnexpectedErrorReporter } from './logging.js';

export interface AuthOptions {
  /** Tried in order on each request; the first issues credentials at login and names the challenge. */
  readonly schemes: readonly AuthScheme[];
  /**
   * Where users come from: `Accounts` of `@authbench/accounts` over
   * authbench's users table, or your own repository. Register and password
   * change are served only when it also has `register` and `changePassword`.
   */
  readonly users: UserRepository;
  /** Login throttling for login, register and password change (`LoginThrottle`); none when absent. */
  readonly throttle?: AttemptThrottle | undefined;
  /**
   * The proxies in front whose X-Forwarded-For is believed for the client
   * address, as Express's `trust proxy` names them (`['loopback']`,
   * `['10.0.0.0/8', '192.0.2.7']`), or a function of an address. Default
   * none: the socket's peer is the client.
   */
  readonly trustProxy?: false | readonly string[] | ProxyTrust | undefined;
  /**
   * Signs the device cookie that tells a client that logged in before from a
   * stranger (login throttling: see `AttemptThrottle.login`). Give the same
   * secret to every instance; default a random one per process, so devices
   * are forgotten at a restart and not known to other instances.
   */
  readonly deviceSecret?: string | undefined;
  /**
   * Where a failure after a login's response is reported (the session's late
   * store check); default one line on stderr.
   */
  readonly report?: UnexpectedErrorReporter | undefined;
  /**
   * CORS for a front end on other origins: the listed ones may call with
   * credentials, and their preflights are answered. Under session (or jwt's
   * cookie transport) they must also be CSRF-trusted (CSRF_TRUSTED_ORIGINS).
   * Default none: no `Access-Control-*` header is sent.
   */
  readonly cors?: CorsOptions | undefined;
}

/** What an application mounts. */
export interface Auth {
  /**
   * Authenticates every request it sees: sets `req.auth` to the caller, or
   * null when anonymous; a bad credential is an error (401, or 403 under
   * session) for `errorHandler`. Runs the schemes' own middleware first
   * (express-session's cookie, for `session`).
   */
  readonly authenticate: RequestHandler[];
  /** `authenticate`, then DRF's `IsAuthenticated`: for a route group whose every request needs a caller. */
  readonly authenticated: RequestHandler[];
  /**
   * Every route of the HTTP contract (docs/http-api.md) at whatever prefix it
   * is mounted: `app.use('/auth', auth.router)`. It answers its own errors
   * and adds no catch-all: a path it does not know goes on to the
   * application's routes and 404.
   */
  readonly router: Router;
  /** Routes that belong at the application's root (jwt's `/.well-known/jwks.json`); empty for the other schemes. */
  readonly rootRouter: Router;
  /**
   * DRF's answer for an authentication failure raised on the application's
   * own routes (behind `authenticate`); every other error goes on to the
   * application's handlers. Mount it after your routes, before your own.
   */
  readonly errorHandler: ErrorRequestHandler;
  /** The schemes, in order. */
  readonly schemes: readonly AuthScheme[];
}

const INVALID_CREDENTIALS = 'Unable to log in with provided credentials.';
const BASIC_CHALLENGE = 'Basic realm="api"';
const NO_STORE = { 'Cache-Control': 'no-store' };
const PASSWORD_SAVED = 'New password has been saved.'; // dj-rest-auth's PasswordChangeView

/** A password check that passed: the user, the password stamp read before the check, and the device it came from. */
interface VerifiedLogin {
  readonly user: User;
  readonly stamp: string | null;
  readonly device: string | null;
}

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;
const SCHEME_MIDDLEWARE_RAN = Symbol('authbench.schemeMiddleware');

/**
 * The schemes' own middleware, once per request however many times it is
 * mounted (the router and the application's `authenticate` both need it).
 */
function schemeMiddleware(schemes: readonly AuthScheme[]): RequestHandler {
  const chain = schemes.map((s) => s.middleware).filter((m): m is Middleware => m !== undefined);
  return (req, res, next) => {
    const marked = req as Request & { [SCHEME_MIDDLEWARE_RAN]?: true };
    if (chain.length === 0 || marked[SCHEME_MIDDLEWARE_RAN]) return next();
    marked[SCHEME_MIDDLEWARE_RAN] = true;
    let i = 0;
    const step = (error?: unknown): void => {
      if (error !== undefined || i === chain.length) return next(error);
      chain[i++]!(req, res, step);
    };
    step();
  };
}

/**
 * Builds what an application mounts for the configured schemes: the
 * authenticate middleware, the router of the HTTP contract and the error
 * handler. Options are checked here, once: a bad one throws a TypeError
 * naming it.
 */
export function createAuth(options: AuthOptions): Auth {
  const { schemes, users, throttle, trustProxy = false } = options;
  const primary = schemes?.[0];
  if (!primary) throw new TypeError('createAuth: options.schemes must name at least one scheme');
  assertUserRepository(users, 'createAuth: options.users');
  const proxies = proxyTrust(trustProxy);
  const report = options.report ?? reportToLine((line) => console.error(line));
  const byName = new Map(schemes.map((s) => [s.name, s]));
  const schemeOf = (caller: Caller): AuthScheme => byName.get(caller.scheme)!;
  const accounts = hasAccounts(users) ? users : null;

  const devices = deviceCookies(options.deviceSecret);
  const sessionLayer = schemeMiddleware(schemes);
  // First, before any scheme can refuse: a refusal the browser may read is one the page can handle.
  const corsLayer: RequestHandler[] = options.cors ? [cors(options.cors)] : [];
  const auth = [...corsLayer, sessionLayer, authenticate(schemes)];
  const json = readBody({ form: false });
  const jsonOrForm = readBody({ form: true });
  const errors = apiErrorHandler(schemes);

  const router = Router({ strict: false }); // a trailing slash is accepted on every route
  router.use(...corsLayer, sessionLayer);
  /**
   * A route of the contract. A method it does not serve is a 405 only after
   * `before` has run, as DRF's APIView authenticates (and checks CSRF and
   * permissions) before it looks for the method's handler: a session's PUT
   * without its CSRF token is the 403, an anonymous one the 401.
   */
  const route = (path: string, methods: Record<string, RequestHandler[]>, before: RequestHandler[] = []): void => {
    const r = router.route(path);
    for (const [method, handlers] of Object.entries(methods)) r[method as 'get' | 'post' | 'delete'](...handlers);
    const allowed = Object.keys(methods).map((m) => m.toUpperCase());
    if (allowed.includes('GET')) allowed.push('HEAD');
    r.all(...before, methodNotAllowedHandler(allowed));
  };
  const authenticated = [...auth, refuseAnonymous];

  if (accounts) {
    // As DRF's APIView: anonymous callers welcome, but a bad credential still fails.
    route('/register', {
      post: [
        ...auth,
        jsonOrForm,
        async (req, res) => {
          const data = expectObject(req.body);
          const user = throttle
            ? await throttle.register(clientAddress(req, proxies), () => accounts.register(data))
            : await accounts.register(data);
          res.status(201).json(publicUser(user));
        },
      ],
    }, auth);
  }

  // Ignores any Authorization header (shared API.md): a stale token must not block a fresh login.
  route('/login', {
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
          valid = await stillValid(verified);
        } catch (error) {
          // Not known to stand (the read failed): what this login issued must not either.
          await result.withdraw().catch(() => {});
          throw error;
        }
        if (!valid) {
          await result.withdraw();
          throw byBasic ? basicFailure('Invalid username/password.') : bodyLoginFailure();
        }
        if (primary.recordsLogin) await users.recordLogin?.(verified.user);
        // A session is stored as the response ends, after that check: look once more then.
        void result.stored
          ?.then(async () => {
            if (!(await stillValid(verified))) await result.withdraw();
          })
          .catch((error: unknown) => report(error, requestIdOf(res)));
        res.set(NO_STORE).set(result.headers ?? {});
        // Known from now on: this client's later logins are not held back by strangers' guesses.
        if (throttle && verified.device?.startsWith('cookie:') !== true) res.append('Set-Cookie', devices.issue(verified.user.username, isHttps(req)));
        res.status(200).json(result.body);
      },
    ],
  });

  route('/logout', {
    post: [
      ...auth,
      json,
      requireAuth(async (req, res) => {
        const result = await schemeOf(req.auth).logout(req.auth, req);
        res.set(result?.headers ?? {}).status(204).end();
      }),
    ],
  }, authenticated);

  route('/logoutall', {
    post: [
      ...auth,
      json,
      requireAuth(async (req, res) => {
        const result = await schemeOf(req.auth).logoutAll(req.auth, req);
        res.set(result?.headers ?? {}).status(204).end();
      }),
    ],
  }, authenticated);

  if (accounts) {
    // A new password ends every other credential of the user, in every
    // configured scheme; the caller's own is kept, or replaced (token) and
    // returned beside the message.
    route('/password', {
      post: [
        ...auth,
        json,
        requireAuth(async (req, res) => {
          const caller = req.auth;
          const data = expectObject(req.body);
          // A wrong old password is a guess, by whoever holds a stolen credential: it counts
          // against the username (and address) as a failed login does, and waits as one.
          let wrongOldPassword: ValidationError | undefined;
          const change = async (): Promise<true | null> => {
            try {
              await accounts.changePassword(caller.user, data);
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
        }),
      ],
    }, authenticated);
  }

  // Only schemes with many logins per user have a use for these.
  if (schemes.some((s) => s.listSessions && s.revokeSession)) {
    route('/sessions', {
      get: [
        ...auth,
        requireAuth(async (req, res) => {
          const scheme = schemeOf(req.auth);
          if (!scheme.listSessions) throw notFound();
          res.set(NO_STORE).json(await scheme.listSessions(req.auth));
        }),
      ],
    }, authenticated);
    route('/sessions/:id', {
      delete: [
        ...auth,
        requireAuth(async (req, res) => {
          const scheme = schemeOf(req.auth);
          if (!scheme.revokeSession || !(await scheme.revokeSession(req.auth, String(req.params['id'])))) throw notFound();
          res.status(204).end();
        }),
      ],
    }, authenticated);
  }

  const endpointRoute = (endpoint: SchemeEndpoint): Record<string, RequestHandler[]> => ({
    [endpoint.method.toLowerCase()]: [
      json,
      async (req, res) => {
        const { status, body, headers } = await endpoint.handle(expectObject(req.body), req);
        res.set(NO_STORE).set(headers ?? {}).status(status).json(body);
      },
    ],
  });
  const rootRouter = Router({ strict: false });
  for (const scheme of schemes) {
    for (const endpoint of scheme.endpoints ?? []) {
      if (endpoint.atRoot) {
        rootRouter.route(endpoint.path)[endpoint.method === 'GET' ? 'get' : 'post'](...endpointRoute(endpoint)[endpoint.method.toLowerCase()]!);
      } else {
        route(endpoint.path, endpointRoute(endpoint));
      }
    }
  }
  router.use(undecodablePathHandler, errors);
  rootRouter.use(errors);

  /** The password check, behind the throttle when there is one: a throttled attempt hashes nothing. */
  async function checkCredentials(req: Request, username: string, password: string): Promise<VerifiedLogin | null> {
    const device = throttle ? await knownDevice(req, username) : null;
    const check = async (): Promise<VerifiedLogin | null> => {
      const user = await users.findByUsername(username);
      // Read before the check: a change between the two then shows at the last look.
      const stamp = user && users.passwordStamp ? await users.passwordStamp(user) : null;
      const matches = await users.checkPassword(user, password);
      // Django's ModelBackend: an inactive user cannot log in, and is told no more than a wrong password.
      return user && matches && user.isActive ? { user, stamp, device } : null;
    };
    return throttle ? throttle.login(username, clientAddress(req, proxies), check, device) : check();
  }

  /**
   * A client that has logged in as `username` before: its device cookie, or
   * a credential of that user's that the request still carries (the login
   * route ignores it otherwise). null for a stranger.
   */
  async function knownDevice(req: Request, username: string): Promise<string | null> {
    const cookie = devices.read(req.headers.cookie, username);
    if (cookie !== null) return `cookie:${cookie}`;
    for (const scheme of schemes) {
      const caller = await scheme.authenticate(req).catch(() => null);
      if (caller) return caller.user.username === username ? `credential:${caller.scheme}:${caller.credentialId ?? String(caller.user.id)}` : null;
    }
    return null;
  }

  /** HTTPS: a TLS socket, or X-Forwarded-Proto from a trusted proxy. */
  function isHttps(req: Request): boolean {
    if ((req.socket as { encrypted?: boolean }).encrypted) return true;
    const peer = req.socket.remoteAddress;
    const proto = req.headers['x-forwarded-proto'];
    return peer !== undefined && proxies(peer) && typeof proto === 'string' && proto.split(',', 1)[0]!.trim().toLowerCase() === 'https';
  }

  /** Whether a passed check still stands: the user active, the password unchanged. */
  async function stillValid(verified: VerifiedLogin): Promise<boolean> {
    const user = await users.findById(verified.user.id);
    if (user === null || !user.isActive) return false;
    return users.passwordStamp ? (await users.passwordStamp(user)) === verified.stamp : true;
  }

  const bodyLoginFailure = () => primary.loginFailure ?? new ValidationError({ non_field_errors: [INVALID_CREDENTIALS] });
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

  return { authenticate: auth, authenticated, router, rootRouter, errorHandler: errors, schemes };
}

/** The trust of `options.trustProxy`, checked once. */
function proxyTrust(option: unknown): ProxyTrust {
  if (option === false) return NO_PROXIES;
  if (typeof option === 'function') return option as ProxyTrust;
  if (Array.isArray(option) && option.every((e) => typeof e === 'string')) {
    try {
      return trustedProxies(option);
    } catch (error) {
      throw new TypeError(`createAuth: options.trustProxy: ${(error as Error).message}`);
    }
  }
  // `true` or a hop count would believe X-Forwarded-For from any peer that can reach the app.
  throw new TypeError(`createAuth: options.trustProxy must be false, a list of proxy addresses or CIDR ranges, or a function, got ${String(option)}`);
}

function clientOf(req: Request): string {
  return (req.headers['user-agent'] ?? '').slice(0, 200);
}
