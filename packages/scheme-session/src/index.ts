import { hash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import session from 'express-session';
import {
  ApiError,
  deleteInBatches,
  isSafeMethod,
  newSecret,
  OptionError,
  originFailure,
  publicUser,
  tokenFailure,
  trustedProxies,
  type AuthRequest,
  type AuthScheme,
  type Caller,
  type ProxyTrust,
  type PublicUser,
  type SessionRecord,
  type SessionStore,
  type User,
} from '@authbench/core';
import { signedCookieReader } from './signed-cookie.js';
import { SessionStoreAdapter, type AuthSessionData } from './store-adapter.js';

export { maskSecret } from '@authbench/core';
export { sessionWiring } from './env.js';

/** DRF's SessionAuthentication over express-session, with Django's cookie names and CSRF. */
export interface SessionSchemeOptions {
  /** Sessions, read together with their user. */
  readonly sessions: SessionStore;
  /** Signing secrets: the first signs, all verify, so a secret can rotate. At least 32 characters each. */
  readonly secrets: readonly string[];
  /** SESSION_COOKIE_AGE in seconds. Default two weeks, as Django. */
  readonly cookieAgeSeconds?: number | undefined;
  /** Mark cookies Secure: true, false, or 'auto' (when the request came over HTTPS). Default 'auto'. */
  readonly secureCookies?: boolean | 'auto' | undefined;
  /**
   * The proxies in front whose X-Forwarded-Proto is believed (HTTPS
   * detection for `secureCookies: 'auto'`): a list as Express's `trust proxy`
   * takes it (`['loopback']`, `['10.0.0.0/8']`), or a function of the peer's
   * address. Default none.
   */
  readonly trustProxy?: readonly string[] | ProxyTrust | undefined;
  /** Slide the expiry on use; stored at most once per `rollingIntervalSeconds`. Default false, as Django. */
  readonly rolling?: boolean | undefined;
  readonly rollingIntervalSeconds?: number | undefined;
  /** CSRF_TRUSTED_ORIGINS: `https://app.example.com`, or `https://*.example.com`. */
  readonly trustedOrigins?: readonly string[] | undefined;
  readonly now?: (() => Date) | undefined;
}

export const MIN_SECRET_LENGTH = 32;
const CSRF_COOKIE_AGE = 31_449_600; // Django's: 52 weeks

/** What the read path found: the session id the cookie carries (null: none, or badly signed) and its stored row. */
interface SessionRead {
  readonly sid: string | null;
  readonly record: (SessionRecord & { readonly user: User | null }) | null;
  /** For express-session, should this request come to change its session. */
  readonly res: ServerResponse;
}

type SessionRequest = AuthRequest & { session?: session.Session & Partial<session.SessionData>; sessionID?: string };

/**
 * Resolves once express-session has stored `sess`, which it does as the
 * response ends, whether or not the client is still there: it calls the
 * session's own `save`, wrapped here to tell when the store write is done.
 */
function storedBySave(sess: session.Session): Promise<void> {
  const save = sess.save.bind(sess);
  return new Promise((resolve) => {
    // Not enumerable, as express-session's own: the session's data and hash stay as they were.
    Object.defineProperty(sess, 'save', {
      configurable: true,
      writable: true,
      value: (callback?: (error?: unknown) => void) =>
        save((error?: unknown) => {
          if (!error) resolve();
          callback?.(error);
        }),
    });
  });
}

const csrfError = (reason: string) => new ApiError(403, { detail: `CSRF Failed: ${reason}` }, 'permission_denied');

/** The Authorization schemes a browser sends on its own (cached), which a cross-site form can ride on. */
const AMBIENT_AUTHORIZATION = new Set(['basic', 'digest', 'negotiate', 'ntlm']);

/** An Authorization header only a script can have set, which a cross-origin page cannot without CORS allowing it. */
function carriesScriptCredential(req: IncomingMessage): boolean {
  const header = req.headers.authorization;
  if (header === undefined) return false;
  const keyword = header.trimStart().split(/[ \t]/, 1)[0]!.toLowerCase();
  return keyword !== '' && !AMBIENT_AUTHORIZATION.has(keyword);
}

/** The id the sessions routes show: a hash of the session id, which itself is the credential. */
const publicId = (sid: string) => hash('sha256', sid, 'hex').slice(0, 32);

/** A session login answers with the user, as Django's login view; the credential is the cookie. */
export type SessionLoginBody = PublicUser;

export function sessionScheme(options: SessionSchemeOptions): AuthScheme<SessionLoginBody> {
  const { sessions } = options;
  if (options.secrets.length === 0 || options.secrets.some((s) => s.length < MIN_SECRET_LENGTH)) {
    throw new OptionError('sessionScheme', 'secrets', `one or more secrets of at least ${MIN_SECRET_LENGTH} characters`, `${options.secrets.length} secret(s)`);
  }
  const cookieAge = options.cookieAgeSeconds ?? 1_209_600;
  if (!Number.isInteger(cookieAge) || cookieAge < 1) throw new OptionError('sessionScheme', 'cookieAgeSeconds', 'a whole number above 0', cookieAge);
  const secure = options.secureCookies ?? 'auto';
  const clock = options.now ?? (() => new Date());
  const rolling = options.rolling ?? false;
  const trustedOrigins = options.trustedOrigins ?? [];
  // Django's check 4_0.E001: an entry without a scheme would never match anything.
  const schemeless = trustedOrigins.find((t) => !t.includes('://'));
  if (schemeless !== undefined) throw new OptionError('sessionScheme', 'trustedOrigins', 'entries that start with a scheme (https://…)', schemeless);
  let trust: ProxyTrust;
  try {
    trust = typeof options.trustProxy === 'function' ? options.trustProxy : trustedProxies(options.trustProxy ?? []);
  } catch (error) {
    throw new OptionError('sessionScheme', 'trustProxy', 'proxy addresses, CIDR ranges, loopback, linklocal or uniquelocal', (error as Error).message);
  }
  const store = new SessionStoreAdapter(sessions, clock, rolling ? (options.rollingIntervalSeconds ?? 60) * 1000 : null);

  const sessionMiddleware = session({
    name: 'sessionid',
    secret: [...options.secrets],
    store,
    resave: false,
    saveUninitialized: false, // no row for anonymous visitors
    rolling,
    // express-session asks req.secure, which the middleware below sets (from `trust` under 'auto').
    proxy: secure === false ? false : undefined,
    unset: 'destroy',
    cookie: { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: cookieAge * 1000 },
  });

  /** HTTPS: a TLS socket, or X-Forwarded-Proto from a peer that is a trusted proxy. */
  const isHttps = (req: SessionRequest): boolean => {
    if ((req.socket as { encrypted?: boolean }).encrypted) return true;
    const proto = req.headers['x-forwarded-proto'];
    const peer = req.socket.remoteAddress;
    return peer !== undefined && trust(peer) && typeof proto === 'string' && proto.split(',', 1)[0]!.trim().toLowerCase() === 'https';
  };
  const secureFor = (req: SessionRequest) => secure === true || (secure === 'auto' && isHttps(req));
  const expiredSessionCookie = (req: SessionRequest) =>
    `sessionid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Lax${secureFor(req) ? '; Secure' : ''}`;
  const csrfCookie = (req: SessionRequest, secret: string) => {
    const isSecure = secure === true || (secure === 'auto' && isHttps(req));
    return `csrftoken=${secret}; Max-Age=${CSRF_COOKIE_AGE}; Path=/; SameSite=Lax${isSecure ? '; Secure' : ''}`;
  };

  /**
   * express-session asks req.secure: answer from this scheme's own trust, not the app's. With
   * secure cookies on, it is always yes, so the cookie goes out marked Secure, as Django sends it,
   * rather than not at all (express-session's choice over plain HTTP). Set just before
   * express-session runs, and only then: it is the one reader, and the property costs microseconds.
   */
  const answerSecure = (req: SessionRequest): void => {
    if (secure !== false) Object.defineProperty(req, 'secure', { value: secure === true || isHttps(req), configurable: true });
  };

  const sessionIdOf = signedCookieReader('sessionid', options.secrets);
  /**
   * Each request's read, beside the request rather than on it: a property added
   * to an Express request (whose prototype Express swaps per request) costs
   * microseconds, a WeakMap entry a fraction of one.
   */
  const reads = new WeakMap<IncomingMessage, SessionRead>();
  const runExpressSession = (req: IncomingMessage, res: ServerResponse) =>
    new Promise<void>((resolve, reject) => sessionMiddleware(req as never, res as never, (error?: unknown) => (error ? reject(error) : resolve())));

  /**
   * The read path, for every request that does not change its session: the
   * cookie's signature checked, then one store read of the session with its
   * user. Nothing else: express-session would also build its Session and
   * Cookie objects, hash the session's JSON once as it reads it and twice
   * more as the response ends (to learn it has not changed) and wrap the
   * response, a cost that is not the scheme's. A request that logs in, out
   * or changes its password has express-session run then (`sessionOf`),
   * so every write, new id and cookie is still express-session's own.
   */
  const readSession = (req: SessionRequest, res: ServerResponse, next: (error?: unknown) => void): void => {
    const sid = sessionIdOf(req.headers.cookie);
    if (sid === null) {
      reads.set(req, { sid, record: null, res });
      return next();
    }
    sessions.get(sid, clock().toISOString()).then((record) => {
      reads.set(req, { sid, record, res });
      next();
    }, next);
  };

  /**
   * express-session's session of this request, running its middleware now if
   * the read path served the request; it reads the cookie and the row again
   * (a login, a logout, a password change: rare). Undefined when the scheme's
   * middleware never saw the request.
   */
  const sessionOf = async (req: SessionRequest): Promise<(session.Session & Partial<session.SessionData>) | undefined> => {
    const read = reads.get(req);
    if (req.session === undefined && read !== undefined) {
      answerSecure(req);
      await runExpressSession(req, read.res);
    }
    return req.session;
  };
  const needsMiddleware = (what: string) => new Error(`sessionScheme: ${what} needs the request, after the scheme's middleware ran`);

  /**
   * Login CSRF: Django checks Origin (and over HTTPS, Referer) on every unsafe
   * request, not only on a logged-in user's, so a foreign page cannot log a
   * browser into the attacker's account, nor register one from it. Here it
   * runs for every unsafe request, before any route, except one carrying an
   * Authorization credential a browser never attaches by itself (a token, not
   * Basic, Digest, Negotiate or NTLM): no cross-site form can send that.
   */
  const middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void => {
    const request = req as SessionRequest;
    // Mounted twice (an app's own use beside the router's): the session is read once.
    if (request.session !== undefined || reads.has(req)) return next();
    // Before the session is read: a refused request costs no store read.
    if (!isSafeMethod(req.method) && !carriesScriptCredential(req)) {
      const reason = originFailure(req, isHttps(request), trustedOrigins);
      if (reason !== null) return next(csrfError(reason));
    }
    // Rolling sessions send a fresh cookie with every response, which is express-session's to
    // write; so does a request cookie-parser has been through (express-session's deprecated reads
    // of req.signedCookies and req.cookies). Every other request takes the read path.
    if (rolling || 'signedCookies' in req || 'cookies' in req) {
      answerSecure(request);
      sessionMiddleware(req as never, res as never, next);
    } else {
      readSession(request, res, next);
    }
  };

  const call = <T>(fn: (done: (error?: unknown) => void) => void) =>
    new Promise<T | void>((resolve, reject) => fn((error) => (error ? reject(error) : resolve())));

  /** The session's user and CSRF secret, from express-session's session where it ran, else from the read path. */
  const current = (req: SessionRequest): { sid: string; user: User; csrfSecret: () => string | undefined } | null => {
    if (req.session !== undefined) {
      const { user } = req.session;
      const sess = req.session;
      return user ? { sid: req.sessionID!, user, csrfSecret: () => sess.csrfSecret } : null;
    }
    const record = reads.get(req)?.record;
    if (!record?.user) return null;
    // The stored JSON is parsed only for an unsafe method's CSRF check.
    return { sid: record.sid, user: record.user, csrfSecret: () => (JSON.parse(record.data) as AuthSessionData).csrfSecret };
  };

  return {
    name: 'session',
    challenge: null, // DRF: SessionAuthentication has no challenge, so failures are 403
    recordsLogin: true, // Django's login() sends user_logged_in
    cookies: true,
    middleware,

    async authenticate(request): Promise<Caller | null> {
      const req = request as SessionRequest;
      // The user came with the session row, in the store's one read.
      const found = current(req);
      if (found === null || !found.user.isActive) return null; // DRF: an inactive user's session is anonymous
      if (!isSafeMethod(req.method)) {
        // The middleware checked the origin already, unless it let a script credential through.
        const origin = carriesScriptCredential(req) ? originFailure(req, isHttps(req), trustedOrigins) : null;
        const reason = origin ?? tokenFailure(req, found.csrfSecret());
        if (reason) throw csrfError(reason);
      }
      return { user: found.user, scheme: 'session', credentialId: publicId(found.sid) };
    },

    async login(user, { req: request, client }) {
      const req = request as SessionRequest | undefined;
      // The session lives in the request: there is no session login outside one.
      const old = req && (await sessionOf(req));
      if (!req || !old) throw needsMiddleware('login');
      await call((done) => old.regenerate(done)); // a new id: no session fixation
      const secret = newSecret(); // and a new CSRF secret, as Django's rotate_token() at login
      const sess = Object.assign(req.session!, { userId: user.id, client, csrfSecret: secret });
      return {
        body: publicUser(user),
        headers: { 'Set-Cookie': [csrfCookie(req, secret)] },
        // Destroyed before the response, express-session neither stores it nor sets its cookie.
        withdraw: () => call((done) => sess.destroy(done)),
        stored: storedBySave(sess),
      };
    },

    // Django's logout flushes the session, and its middleware then sends the cookie back expired.
    async logout(_caller, request) {
      const req = request as SessionRequest;
      const sess = await sessionOf(req);
      if (!sess) throw needsMiddleware('logout');
      await call((done) => sess.destroy(done));
      return { headers: { 'Set-Cookie': [expiredSessionCookie(req)] } };
    },
    async logoutAll(caller, request) {
      await sessions.destroyByUser(caller.user.id);
      return { headers: { 'Set-Cookie': [expiredSessionCookie(request as SessionRequest)] } };
    },
    async revokeUser(userId, keep) {
      const req = keep?.caller.scheme === 'session' ? (keep.req as SessionRequest) : undefined;
      // express-session reads the caller's session before the rows go: it gives it a new id below.
      if (req !== undefined) await sessionOf(req);
      await sessions.destroyByUser(userId);
      if (req?.session) {
        // Django's update_session_auth_hash: the caller stays logged in under a
        // new session id (cycle_key), so a stolen copy of the old cookie dies
        // with the other sessions. The CSRF secret is kept, as cycle_key keeps
        // it: without the session it authenticates nothing, and the page's
        // csrftoken cookie stays valid.
        const { userId: id, client, csrfSecret } = req.session;
        await call((done) => req.session!.regenerate(done));
        Object.assign(req.session, { userId: id, client, csrfSecret });
      }
      return {};
    },

    async listSessions(caller) {
      const records = await sessions.listByUser(caller.user.id, clock().toISOString());
      return records.map((r) => ({
        id: publicId(r.sid),
        created: r.created,
        expiry: r.expires,
        last_used: r.lastUsed,
        client: r.client,
        current: publicId(r.sid) === caller.credentialId,
      }));
    },
    async revokeSession(caller, id) {
      const records = await sessions.listByUser(caller.user.id, clock().toISOString());
      const match = records.find((r) => publicId(r.sid) === id);
      if (!match) return false;
      await sessions.destroy(match.sid);
      return true;
    },

    async flushExpired() {
      const now = clock().toISOString();
      return deleteInBatches((batch) => sessions.deleteExpired(now, batch));
    },
  };
}
