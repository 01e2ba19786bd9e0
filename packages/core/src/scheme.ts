import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiError } from './errors.js';
import type { User, UserId } from './user.js';

/** What a scheme reads from a request: headers, the parsed body where a route has one, and whatever its own middleware attached. */
export type AuthRequest = IncomingMessage & { body?: unknown };

/** The authenticated caller, on `req.auth`. */
export interface Caller {
  readonly user: User;
  /** The name of the scheme that authenticated the request. */
  readonly scheme: string;
  /**
   * A non-secret id of the credential that made the request (a knox token's
   * id, a jwt login's id, a session's id), so logout can revoke exactly that
   * one; null when the scheme has one credential per user.
   */
  readonly credentialId: string | null;
}

export interface LoginContext {
  /**
   * The login's request. Only a scheme whose credential lives in the
   * request's own state needs it (session); the others issue outside any
   * request too (a CLI, a test, a service account).
   */
  readonly req?: AuthRequest | undefined;
  /** The client's User-Agent, recorded per device by multi-device schemes. */
  readonly client: string;
}

export interface LoginResult<Body = unknown> {
  /** The JSON body of a successful login, in the Django package's shape. */
  readonly body: Body;
  /** Extra response headers (a session's cookies). */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  /**
   * Revokes the credential this login issued, before anyone learnt it: the
   * password changed (or the user went) while the login was in flight, and
   * that change's revocation may have run before the credential existed.
   */
  withdraw(): Promise<void>;
  /**
   * For a credential stored only as the response ends (a session: express-
   * session saves it then): resolves once it is stored, so the login route
   * can look again, after the store write, for a change that came in between.
   */
  readonly stored?: Promise<void>;
}

/** What a logout tells the client beside its 204: a session's expired cookie, as Django's logout sends. */
export interface LogoutResult {
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
}

/** One live login, as `GET /api/auth/sessions` lists it; never a secret. */
export interface SessionInfo {
  readonly id: string;
  readonly created: string | null;
  readonly expiry: string | null;
  readonly last_used: string | null;
  readonly client: string | null;
  readonly current: boolean;
}

/** The request whose own credential survives a revocation: a password change keeps its caller logged in. */
export interface KeepCredential {
  readonly caller: Caller;
  readonly req: AuthRequest;
}

/** What a revocation tells the kept caller: a replacement credential, as fields of the response body. */
export interface RevokeResult {
  readonly body?: Readonly<Record<string, unknown>>;
}

/** A route a scheme adds beside the shared ones (jwt's refresh and verify). */
export interface SchemeEndpoint {
  readonly method: 'GET' | 'POST';
  /** Below the auth router's mount point (`/refresh`), or below the app root when `atRoot`. */
  readonly path: string;
  /** Served at the application's root (`/.well-known/jwks.json`), not under the router's prefix. */
  readonly atRoot?: boolean;
  /** `headers`: extra response headers (jwt's refresh sets its cookies under the cookie transport). */
  handle(
    body: Readonly<Record<string, unknown>>,
    req: AuthRequest,
  ): Promise<{ status: number; body: unknown; headers?: Readonly<Record<string, string | readonly string[]>> }>;
}

/**
 * One authentication scheme. Two questions, as DRF's `BaseAuthentication`:
 * who is calling (per request, the hot path), and issue or revoke a credential
 * (login and logout, rare). Schemes throw `ApiError`s and never write a response.
 */
export interface AuthScheme<LoginBody = unknown> {
  readonly name: string;
  /**
   * The `WWW-Authenticate` value DRF's `authenticate_header()` gives; when
   * this scheme is the first configured one, failures are 401 with it. null
   * (session) makes every failure a 403.
   */
  readonly challenge: string | null;

  /**
   * @returns the caller; null when the request carries no credential of this
   *   scheme, so the next one may try.
   * @throws AuthenticationError when it carries one that is bad.
   */
  authenticate(req: AuthRequest): Promise<Caller | null>;

  /** Issues a credential to a user whose password was just checked. */
  login(user: User, context: LoginContext): Promise<LoginResult<LoginBody>>;
  /** Revokes the credential that authenticated `caller`. */
  logout(caller: Caller, req: AuthRequest): Promise<LogoutResult | void>;
  /** Revokes every credential of the caller's user in this scheme. */
  logoutAll(caller: Caller, req: AuthRequest): Promise<LogoutResult | void>;
  /**
   * Revokes every credential of the user in this scheme (a password change,
   * a deactivation), whoever calls. When `keep` is a caller of this scheme,
   * its own credential survives or is replaced; a replacement the client must
   * learn of comes back in `body`. Required: a scheme that forgot it would
   * leave a thief's credential alive after the password change meant to end it.
   */
  revokeUser(userId: UserId, keep?: KeepCredential): Promise<RevokeResult>;

  /** Multi-device schemes list their live logins; without it the sessions routes are 404. */
  listSessions?(caller: Caller): Promise<SessionInfo[]>;
  /** @returns false when no such login of the caller's exists (404). */
  revokeSession?(caller: Caller, id: string): Promise<boolean>;

  /** What a login with wrong credentials answers; default DRF's 400 `non_field_errors` (simplejwt: a 401). */
  readonly loginFailure?: ApiError;

  /** Runs before every route (express-session's cookie handling). */
  readonly middleware?: (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

  /**
   * Its Django package sends `user_logged_in` at login, so the user's
   * `last_login` is written (`UserRepository.recordLogin`): knox and session;
   * jwt when simplejwt's `UPDATE_LAST_LOGIN` is on; not DRF's token view.
   */
  readonly recordsLogin?: boolean;

  /** Login also takes HTTP Basic credentials, as knox's `LoginView` does. */
  readonly basicLogin?: boolean;

  /**
   * Its credential travels in a cookie the browser attaches by itself
   * (session; jwt with its cookie transport), so a browser client keeps no
   * token and sends `X-CSRFToken` on unsafe requests. `GET /healthz` lists
   * these schemes as `cookies`.
   */
  readonly cookies?: boolean;

  /** Deletes expired credentials; resolves with how many. Run by the CLI and periodically. */
  flushExpired?(): Promise<number>;

  /** Called after a user is created (DRF's post_save recipe for tokens). */
  onUserCreated?(user: User): Promise<void>;

  readonly endpoints?: readonly SchemeEndpoint[];
}

/**
 * What the login and register routes ask of a throttle
 * (`@authbench/accounts`' LoginThrottle is one): run the attempt unless the
 * username or the client address is in its delay (then throw a 429), and
 * count the outcome.
 */
export interface AttemptThrottle {
  /**
   * Runs `verify` (the password check); null from it is a failed attempt.
   * `device` names a client known to have logged in as this user before (a
   * device cookie, a credential it holds): counted apart from strangers.
   */
  login<T>(username: string, address: string | undefined, verify: () => Promise<T | null>, device?: string | null): Promise<T | null>;
  /** Runs `create` (a registration); a ValidationError from it is a failed attempt. */
  register<T>(address: string | undefined, create: () => Promise<T>): Promise<T>;
}
