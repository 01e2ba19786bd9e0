import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignJWT, type JWTPayload } from 'jose';
import {
  ApiError,
  AuthenticationError,
  carriesScriptCredential,
  charField,
  deleteInBatches,
  isHttpToken,
  isSafeMethod,
  newSecret,
  OptionError,
  originFailure,
  parseAuthorizationHeader,
  presentedTokenFailure,
  trustedProxies,
  ValidationError,
  type AuthRequest,
  type AuthScheme,
  type Caller,
  type FieldErrors,
  type JwtOutstandingRecord,
  type JwtStore,
  type ProxyTrust,
  type User,
  type UserId,
  type UserRepository,
} from '@authbench/core';
import { ALGORITHMS, prepareKeyRing, type JwtAlgorithm, type KeyRing } from './keys.js';
import { joseVerifier, nodeVerifier, type VerifyChecks } from './verify.js';

export { ALGORITHMS, MIN_SECRET_BYTES, type JwtAlgorithm } from './keys.js';
export { jwtWiring } from './env.js';

/** djangorestframework-simplejwt's settings, under their simplejwt names where they have one. */
export interface JwtSchemeOptions {
  readonly jwt: JwtStore;
  /** For the per-request user check and refresh. */
  readonly users: Pick<UserRepository, 'findById'>;
  /**
   * The `user_id` claim is a string, as simplejwt writes it; this turns it
   * back into the id `users.findById` expects. Default: a decimal integer
   * becomes a number, anything else (a UUID) stays a string, as Django's
   * primary key field would read it.
   */
  readonly parseUserId?: ((claim: string) => UserId | null) | undefined;
  /** ALGORITHM. Default HS256. */
  readonly algorithm?: JwtAlgorithm | undefined;
  /** SIGNING_KEY: the HMAC secret (32 bytes or more), or a PKCS#8 PEM private key. */
  readonly signingKey: string;
  /** Older secrets or SPKI PEM public keys still accepted, so a key rotates without logging anyone out. */
  readonly verifyingKeys?: readonly string[] | undefined;
  /** ACCESS_TOKEN_LIFETIME in seconds. Default 300. */
  readonly accessTokenLifetime?: number | undefined;
  /** REFRESH_TOKEN_LIFETIME in seconds. Default 86400. */
  readonly refreshTokenLifetime?: number | undefined;
  /**
   * ROTATE_REFRESH_TOKENS with BLACKLIST_AFTER_ROTATION: each refresh spends
   * the refresh token and returns a new one; presenting a spent one again
   * revokes its whole login. Default true (simplejwt's is false).
   */
  readonly rotateRefreshTokens?: boolean | undefined;
  /**
   * With rotation: seconds after a refresh during which presenting the same
   * refresh token again (two tabs, a client's retry) answers the pair that
   * refresh returned, while that pair's refresh token is still live, instead
   * of revoking the login as reuse. After it, reuse revokes as before.
   * Default 10; 0 turns the window off. simplejwt has none.
   */
  readonly refreshGraceSeconds?: number | undefined;
  /** AUTH_HEADER_TYPES, matched case-insensitively. Default ['Bearer']. */
  readonly authHeaderTypes?: readonly string[] | undefined;
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
  /** LEEWAY in seconds. Default 0. */
  readonly leeway?: number | undefined;
  /**
   * JWTStatelessUserAuthentication: trust the access token's claims and read
   * no storage per request. Default false (JWTAuthentication: the user is
   * looked up, so a deactivated user fails at once).
   */
  readonly stateless?: boolean | undefined;
  /** UPDATE_LAST_LOGIN: write the user's `last_login` at login. Default false, as simplejwt. */
  readonly updateLastLogin?: boolean | undefined;
  /** Check on every request that the access token's login was not logged out. Default false. */
  readonly checkRevocation?: boolean | undefined;
  /** The clock, for tests. */
  readonly now?: (() => Date) | undefined;
  /**
   * How access and refresh tokens are verified. `'node'` (default): a
   * synchronous check on node:crypto keys, a few µs for HMAC. `'jose'`:
   * jose's `jwtVerify` through WebCrypto, asynchronous, 40–100 µs. Both make
   * the same checks and accept the same tokens (src/verify.ts).
   */
  readonly verifier?: 'node' | 'jose' | undefined;
  /**
   * The cookie transport, for browsers: login and refresh also set the tokens
   * as httpOnly cookies (`jwt_access`, `jwt_refresh`) and a readable
   * `csrftoken`; a request without an Authorization header is authenticated
   * by the access cookie, and then an unsafe method needs Django's CSRF
   * checks (Origin/Referer, and the `csrftoken` echoed in X-CSRFToken).
   * Default false: the header transport alone, as simplejwt.
   */
  readonly cookies?: boolean | undefined;
  /** Cookie transport: mark cookies Secure: true, false, or 'auto' (when the request came over HTTPS). Default 'auto'. */
  readonly secureCookies?: boolean | 'auto' | undefined;
  /** Cookie transport: the proxies whose X-Forwarded-Proto is believed for HTTPS detection, as `sessionScheme`'s. Default none. */
  readonly trustProxy?: readonly string[] | ProxyTrust | undefined;
  /** Cookie transport: CSRF_TRUSTED_ORIGINS, as `sessionScheme`'s (`https://app.example.com`, `https://*.example.com`). */
  readonly trustedOrigins?: readonly string[] | undefined;
}

const MAX_TOKEN_LENGTH = 8192;

// simplejwt's bodies.
const tokenFailure = (message: string, challenge?: string) =>
  new AuthenticationError({ detail: message, code: 'token_not_valid' }, 'token_not_valid', challenge);
const accessFailure = (message: string) =>
  new AuthenticationError(
    {
      detail: 'Given token not valid for any token type',
      code: 'token_not_valid',
      messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
    },
    'token_not_valid',
  );
const coded = (detail: string, code: string, challenge?: string) => new AuthenticationError({ detail, code }, code, challenge);
const BAD_HEADER = Object.freeze(coded('Authorization header must contain two space-delimited values', 'bad_authorization_header'));
const NO_USER_ID = Object.freeze(coded('Token contained no recognizable user identification', 'token_not_valid'));
const USER_NOT_FOUND = Object.freeze(coded('User not found', 'user_not_found'));
const USER_INACTIVE = Object.freeze(coded('User is inactive', 'user_inactive'));
const ACCESS_INVALID = Object.freeze(accessFailure('Token is invalid'));
const ACCESS_EXPIRED = Object.freeze(accessFailure('Token is expired'));

class TokenError extends Error {}

const ACCESS_COOKIE = 'jwt_access';
const REFRESH_COOKIE = 'jwt_refresh';
const CSRF_COOKIE_AGE = 31_449_600; // Django's: 52 weeks
const EXPIRED = 'Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT';
const csrfError = (reason: string) => new ApiError(403, { detail: `CSRF Failed: ${reason}` }, 'permission_denied');
/** The `csrf` claim: a hash of the secret only the client's `csrftoken` cookie holds, so a token leaked alone forges no request. */
const csrfDigest = (secret: string) => createHash('sha256').update(`authbench-jwt-csrf:${secret}`).digest('hex');

/** The value of the first cookie called `name` in a Cookie header; the tokens need no decoding. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq !== -1 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

/** Where the refresh cookie goes: the refresh route below the router's mount (Express's `baseUrl`), else `/`. */
function refreshCookiePath(req: AuthRequest | undefined): string {
  const base = (req as { baseUrl?: unknown } | undefined)?.baseUrl;
  return typeof base === 'string' && /^(\/[A-Za-z0-9._~-]+)*$/.test(base) ? `${base}/refresh` : '/';
}

function positive(value: number | undefined, fallback: number, name: string, min = 1): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < min) throw new OptionError('jwtScheme', name, `a whole number of seconds, at least ${min}`, chosen);
  return chosen;
}

const DECIMAL_ID = /^(0|[1-9][0-9]{0,15})$/;
/** A decimal integer claim as a number (Django's AutoField), anything else as the string it is. */
function defaultParseUserId(claim: string): UserId | null {
  if (!DECIMAL_ID.test(claim)) return claim;
  const id = Number(claim);
  return Number.isSafeInteger(id) ? id : null;
}

const newId = () => randomBytes(16).toString('hex'); // simplejwt's uuid4().hex: 32 hex digits

/** simplejwt's TokenObtainPairView body. */
export interface JwtLoginBody {
  readonly refresh: string;
  readonly access: string;
}

export function jwtScheme(options: JwtSchemeOptions): AuthScheme<JwtLoginBody> {
  const { jwt: store, users } = options;
  const parseUserId = options.parseUserId ?? defaultParseUserId;
  const algorithm = options.algorithm ?? 'HS256';
  if (!ALGORITHMS.includes(algorithm)) throw new OptionError('jwtScheme', 'algorithm', `one of ${ALGORITHMS.join(', ')}`, algorithm);
  const accessLifetime = positive(options.accessTokenLifetime, 300, 'accessTokenLifetime');
  const refreshLifetime = positive(options.refreshTokenLifetime, 86_400, 'refreshTokenLifetime');
  const leeway = positive(options.leeway, 0, 'leeway', 0);
  const rotate = options.rotateRefreshTokens ?? true;
  const refreshGrace = positive(options.refreshGraceSeconds, 10, 'refreshGraceSeconds', 0);
  const headerTypes = options.authHeaderTypes ?? ['Bearer'];
  if (headerTypes.length === 0 || !headerTypes.every(isHttpToken)) {
    throw new OptionError('jwtScheme', 'authHeaderTypes', 'one or more HTTP tokens', headerTypes);
  }
  const keywords = headerTypes.map((t) => t.toLowerCase());
  const challenge = `${headerTypes[0]} realm="api"`;
  const clock = options.now ?? (() => new Date());
  const verifierName = options.verifier ?? 'node';
  if (verifierName !== 'node' && verifierName !== 'jose') throw new OptionError('jwtScheme', 'verifier', '"node" or "jose"', verifierName);
  const cookies = options.cookies ?? false;
  const secure = options.secureCookies ?? 'auto';
  if (secure !== true && secure !== false && secure !== 'auto') throw new OptionError('jwtScheme', 'secureCookies', "true, false or 'auto'", secure);
  const trustedOrigins = options.trustedOrigins ?? [];
  // Django's check 4_0.E001: an entry without a scheme would never match anything.
  const schemeless = trustedOrigins.find((t) => !t.includes('://'));
  if (schemeless !== undefined) throw new OptionError('jwtScheme', 'trustedOrigins', 'entries that start with a scheme (https://…)', schemeless);
  let trust: ProxyTrust;
  try {
    trust = typeof options.trustProxy === 'function' ? options.trustProxy : trustedProxies(options.trustProxy ?? []);
  } catch (error) {
    throw new OptionError('jwtScheme', 'trustProxy', 'proxy addresses, CIDR ranges, loopback, linklocal or uniquelocal', (error as Error).message);
  }
  const keyRing = prepareKeyRing(algorithm, options.signingKey, options.verifyingKeys ?? []);
  keyRing.catch(() => {}); // a failure surfaces at the first use; the checks above make it unlikely

  const checks: VerifyChecks = { algorithm, leeway, issuer: options.issuer, audience: options.audience };
  const verifyNode = nodeVerifier(checks);
  const verifyJose = joseVerifier(checks);
  let readyRing: KeyRing | undefined; // set once the ring is ready, so a request awaits nothing for it
  keyRing.then((ring) => (readyRing = ring), () => {});

  async function sign(payload: JWTPayload, keys: KeyRing): Promise<string> {
    let jwt = new SignJWT(payload).setProtectedHeader({ alg: algorithm, typ: 'JWT', kid: keys.signing.kid });
    if (options.issuer !== undefined) jwt = jwt.setIssuer(options.issuer);
    if (options.audience !== undefined) jwt = jwt.setAudience(options.audience);
    return jwt.sign(keys.signing.key);
  }

  /**
   * Signature, algorithm, `exp`, `nbf`, issuer and audience, then simplejwt's
   * own claim checks; every failure a TokenError with simplejwt's message.
   */
  async function decode(token: string, now: Date, tokenType: 'access' | 'refresh' | null): Promise<JWTPayload> {
    if (token.length > MAX_TOKEN_LENGTH) throw new TokenError('Token is invalid');
    const ring = readyRing ?? (await keyRing);
    const payload =
      verifierName === 'node' ? verifyNode(token, ring.verifyKeys.node, now) : await verifyJose(token, ring.verifyKeys.jose, now);
    if (typeof payload === 'string') throw new TokenError(payload === 'expired' ? 'Token is expired' : 'Token is invalid');
    if (typeof payload.exp !== 'number') throw new TokenError("Token has no 'exp' claim");
    if (typeof payload.jti !== 'string') throw new TokenError('Token has no id');
    if (tokenType !== null) {
      if (!('token_type' in payload)) throw new TokenError('Token has no type');
      if (payload['token_type'] !== tokenType) throw new TokenError('Token has wrong type');
    }
    return payload;
  }

  /** The claim as the repository's id; null when it names no one (not a string, or unparseable). */
  const userIdOf = (claim: unknown): UserId | null => {
    if (typeof claim === 'string') return claim === '' ? null : parseUserId(claim);
    // Tokens minted elsewhere (simplejwt before 5.5) may carry an integer.
    return typeof claim === 'number' && Number.isSafeInteger(claim) ? claim : null;
  };
  const loginIdOf = (payload: JWTPayload) => (typeof payload['sid'] === 'string' ? payload['sid'] : null);
  const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

  /** A new refresh token's record: a fresh jti, issued `now` (whole seconds, as `iat`), expiring a lifetime later. */
  function newRefresh(user: User, loginId: string, now: Date): JwtOutstandingRecord {
    const iat = seconds(now);
    return {
      jti: newId(),
      loginId,
      userId: user.id,
      createdAt: now.toISOString(),
      expiresAt: new Date((iat + refreshLifetime) * 1000).toISOString(),
    };
  }

  /**
   * The refresh token of a stored record, and the access token made from it
   * (simplejwt copies the claims). Every claim comes from the record, the
   * user and the options; the access token's jti is a hash of the refresh
   * token's. So signing one record twice gives the same claims, which is how
   * a refresh repeated within the grace window answers the same pair without
   * any token being stored. HS256/384/512, RS256 (PKCS#1 v1.5) and EdDSA
   * signatures are deterministic, so the tokens are byte for byte the same;
   * ES256 signatures are randomised, so there the tokens carry the same
   * claims (and jtis) under a different, equally valid signature.
   */
  async function signPair(user: User, record: JwtOutstandingRecord, csrf: string | undefined) {
    const keys = await keyRing;
    const iat = seconds(new Date(record.createdAt));
    const exp = seconds(new Date(record.expiresAt));
    // The login's CSRF digest rides in both tokens, so a refresh carries it on without storage.
    const claims = { user_id: String(user.id), username: user.username, sid: record.loginId, ...(csrf !== undefined && { csrf }) };
    const accessJti = createHash('sha256').update(`authbench-access:${record.jti}`).digest('hex').slice(0, 32);
    const refresh = await sign({ token_type: 'refresh', exp, iat, jti: record.jti, ...claims }, keys);
    const access = await sign({ token_type: 'access', exp: iat + accessLifetime, iat, jti: accessJti, ...claims }, keys);
    return { refresh, access };
  }

  function readToken(body: Readonly<Record<string, unknown>>, field: string): string {
    const errors: FieldErrors = {};
    const value = charField(body, field, errors);
    if (value === undefined) throw new ValidationError(errors);
    return value;
  }

  /** The user a refresh token names, active; simplejwt's `no_active_account` otherwise. */
  async function refreshUser(payload: JWTPayload): Promise<User> {
    const id = userIdOf(payload['user_id']);
    const user = id === null ? null : await users.findById(id);
    if (!user || !user.isActive) {
      throw new AuthenticationError({ detail: 'No active account found for the given token.' }, 'no_active_account', challenge);
    }
    return user;
  }

  const asTokenFailure = (error: unknown) => (error instanceof TokenError ? tokenFailure(error.message, challenge) : error);

  /** HTTPS: a TLS socket, or X-Forwarded-Proto from a peer that is a trusted proxy (as the session scheme decides). */
  const isHttps = (req: IncomingMessage): boolean => {
    if ((req.socket as { encrypted?: boolean }).encrypted) return true;
    const proto = req.headers['x-forwarded-proto'];
    const peer = req.socket.remoteAddress;
    return peer !== undefined && trust(peer) && typeof proto === 'string' && proto.split(',', 1)[0]!.trim().toLowerCase() === 'https';
  };
  const attributes = (req: AuthRequest | undefined, path: string, readable = false) =>
    `Path=${path}${readable ? '' : '; HttpOnly'}; SameSite=Lax${secure === true || (secure === 'auto' && req !== undefined && isHttps(req)) ? '; Secure' : ''}`;
  /** Set-Cookie for the tokens a login or refresh issued (no refresh cookie when refresh does not rotate). */
  const tokenCookies = (req: AuthRequest | undefined, access: string, refreshToken: string | undefined): string[] => [
    `${ACCESS_COOKIE}=${access}; Max-Age=${accessLifetime}; ${attributes(req, '/')}`,
    ...(refreshToken === undefined ? [] : [`${REFRESH_COOKIE}=${refreshToken}; Max-Age=${refreshLifetime}; ${attributes(req, refreshCookiePath(req))}`]),
  ];
  const expiredCookies = (req: AuthRequest) => ({
    'Set-Cookie': [`${ACCESS_COOKIE}=; ${EXPIRED}; ${attributes(req, '/')}`, `${REFRESH_COOKIE}=; ${EXPIRED}; ${attributes(req, refreshCookiePath(req))}`],
  });

  /**
   * Django's CSRF checks for a request a cookie authenticated: the Origin (or
   * over HTTPS the Referer), then X-CSRFToken against the `csrf` claim of the
   * token the cookie carried. A token without the claim was not issued to a
   * cookie login: as Django without its cookie.
   */
  function cookieCsrfFailure(req: AuthRequest, payload: JWTPayload): ApiError | null {
    const digest = payload['csrf'];
    const reason =
      originFailure(req, isHttps(req), trustedOrigins) ??
      (typeof digest === 'string'
        ? presentedTokenFailure(req, (presented) => {
            const a = Buffer.from(csrfDigest(presented));
            const b = Buffer.from(digest);
            return a.length === b.length && timingSafeEqual(a, b);
          })
        : 'CSRF cookie not set.');
    return reason === null ? null : csrfError(reason);
  }

  /**
   * Login CSRF, as the session scheme's middleware: an unsafe request from a
   * foreign origin is refused before any route (login and register
   * included), unless it carries an Authorization credential no cross-site
   * form can send.
   */
  const loginCsrf = (req: IncomingMessage, _res: ServerResponse, next: (error?: unknown) => void): void => {
    if (isSafeMethod(req.method) || carriesScriptCredential(req)) return next();
    const reason = originFailure(req, isHttps(req), trustedOrigins);
    next(reason === null ? undefined : csrfError(reason));
  };

  async function refresh(body: Readonly<Record<string, unknown>>, req: AuthRequest) {
    // The cookie transport: a body without a refresh token takes the cookie's, behind the CSRF checks.
    const fromCookie = cookies && !Object.hasOwn(body, 'refresh') ? cookieValue(req.headers.cookie, REFRESH_COOKIE) : undefined;
    const token = fromCookie ?? readToken(body, 'refresh');
    const now = clock();
    const payload = await decode(token, now, 'refresh').catch((e: unknown) => Promise.reject(asTokenFailure(e)));
    if (fromCookie !== undefined) {
      const failure = cookieCsrfFailure(req, payload);
      if (failure) throw failure;
    }
    const headers = (access: string, refreshToken: string | undefined) => (cookies ? { headers: { 'Set-Cookie': tokenCookies(req, access, refreshToken) } } : {});
    const jti = payload.jti!;
    const loginId = loginIdOf(payload);
    const user = await refreshUser(payload);
    if (!rotate) {
      if (!(await store.isRefreshUsable(jti))) throw tokenFailure('Token is blacklisted', challenge);
      const keys = await keyRing;
      const iat = seconds(now);
      const access = await sign({ ...payload, token_type: 'access', exp: iat + accessLifetime, iat, jti: newId() }, keys);
      return { status: 200, body: { access }, ...headers(access, undefined) };
    }
    if (loginId === null) throw tokenFailure('Token is invalid', challenge); // not issued here: no family to rotate in
    const successor = newRefresh(user, loginId, now);
    // Within the grace window a token rotated since `graceSince` answers the successor its rotation recorded.
    const graceSince = refreshGrace > 0 ? new Date(now.getTime() - refreshGrace * 1000).toISOString() : null;
    const result = await store.rotate(jti, successor, now.toISOString(), graceSince);
    let issued: JwtOutstandingRecord;
    if (result === 'spent') issued = successor;
    else if (typeof result === 'object' && result.successor.loginId === loginId) issued = result.successor;
    else throw tokenFailure('Token is blacklisted', challenge);
    const pair = await signPair(user, issued, typeof payload['csrf'] === 'string' ? payload['csrf'] : undefined);
    return { status: 200, body: { access: pair.access, refresh: pair.refresh }, ...headers(pair.access, pair.refresh) };
  }

  async function verify(body: Readonly<Record<string, unknown>>) {
    const token = readToken(body, 'token');
    const payload = await decode(token, clock(), null).catch((e: unknown) => Promise.reject(asTokenFailure(e)));
    if (await store.isRevoked(payload.jti!, loginIdOf(payload))) throw tokenFailure('Token is blacklisted', challenge);
    return { status: 200, body: {} };
  }

  async function flushExpired(): Promise<number> {
    const now = clock().toISOString();
    return deleteInBatches((batch) => store.deleteExpired(now, batch));
  }

  return {
    name: 'jwt',
    challenge,
    recordsLogin: options.updateLastLogin ?? false,
    cookies,
    // DRF's own AuthenticationFailed here, so the body has no code.
    loginFailure: new AuthenticationError({ detail: 'No active account found with the given credentials' }, 'no_active_account', challenge),

    ...(cookies && { middleware: loginCsrf }),

    async authenticate(req): Promise<Caller | null> {
      const header = parseAuthorizationHeader(req.headers.authorization, keywords);
      // The header wins; without one, the cookie transport's access cookie.
      let cookie: string | undefined;
      switch (header.kind) {
        case 'absent':
          cookie = cookies ? cookieValue(req.headers.cookie, ACCESS_COOKIE) : undefined;
          if (cookie === undefined) return null;
          break;
        case 'no-credentials':
        case 'spaces':
          throw BAD_HEADER;
        case 'invalid-characters':
          throw ACCESS_INVALID;
      }
      let payload: JWTPayload;
      try {
        payload = await decode(header.kind === 'credentials' ? header.credentials : cookie!, clock(), 'access');
      } catch (error) {
        if (!(error instanceof TokenError)) throw error;
        throw error.message === 'Token is invalid' ? ACCESS_INVALID : error.message === 'Token is expired' ? ACCESS_EXPIRED : accessFailure(error.message);
      }
      if (cookie !== undefined && !isSafeMethod(req.method)) {
        const failure = cookieCsrfFailure(req, payload);
        if (failure) throw failure;
      }
      const userId = payload['user_id'];
      if (userId === undefined || userId === null) throw NO_USER_ID;
      const loginId = loginIdOf(payload);
      if (options.checkRevocation && (loginId === null || !(await store.isLoginLive(loginId)))) throw ACCESS_INVALID;
      if (options.stateless) {
        // simplejwt's TokenUser: what the token says, no storage.
        const id = userIdOf(userId);
        if (id === null) throw USER_NOT_FOUND;
        const username = typeof payload['username'] === 'string' ? payload['username'] : '';
        return { user: { id, username, email: '', isActive: true, dateJoined: '' }, scheme: 'jwt', credentialId: loginId };
      }
      const id = userIdOf(userId);
      const user = id === null ? null : await users.findById(id);
      if (!user) throw USER_NOT_FOUND;
      if (!user.isActive) throw USER_INACTIVE;
      return { user, scheme: 'jwt', credentialId: loginId };
    },

    async login(user, { client, req }) {
      const now = clock();
      const loginId = newId();
      const first = newRefresh(user, loginId, now);
      // Cookie transport: a new CSRF secret per login, as Django's rotate_token(); the tokens hold its digest.
      const csrfSecret = cookies ? newSecret() : undefined;
      const pair = await signPair(user, first, csrfSecret === undefined ? undefined : csrfDigest(csrfSecret));
      await store.createLogin(
        { id: loginId, userId: user.id, created: now.toISOString(), client, expiresAt: first.expiresAt, lastRefreshed: null, revokedAt: null },
        first,
      );
      return {
        body: { refresh: pair.refresh, access: pair.access },
        ...(csrfSecret !== undefined && {
          headers: {
            'Set-Cookie': [
              ...tokenCookies(req, pair.access, pair.refresh),
              `csrftoken=${csrfSecret}; Max-Age=${Math.max(CSRF_COOKIE_AGE, refreshLifetime)}; ${attributes(req, '/', true)}`,
            ],
          },
        }),
        withdraw: async () => void (await store.revokeLogin(user.id, loginId, clock().toISOString())),
      };
    },

    // The access token names its login; logout revokes that login's whole refresh family.
    async logout(caller, req) {
      const now = clock();
      const body = (req.body ?? {}) as Readonly<Record<string, unknown>>;
      if (Object.hasOwn(body, 'refresh')) {
        const payload = await decode(readToken(body, 'refresh'), now, 'refresh').catch((e: unknown) => Promise.reject(asTokenFailure(e)));
        if (payload['user_id'] === String(caller.user.id)) await store.blacklist(payload.jti!, now.toISOString());
      }
      if (caller.credentialId !== null) await store.revokeLogin(caller.user.id, caller.credentialId, now.toISOString());
      return cookies ? { headers: expiredCookies(req) } : {};
    },
    async logoutAll(caller, req) {
      await store.revokeAllLogins(caller.user.id, clock().toISOString());
      return cookies ? { headers: expiredCookies(req) } : {};
    },
    // simplejwt revokes nothing on a password change; this revokes every login
    // (refresh family) but the caller's. Their access tokens live to their
    // expiry unless checkRevocation is on, as after a logout.
    async revokeUser(userId, keep) {
      const now = clock().toISOString();
      const kept = keep?.caller.scheme === 'jwt' ? keep.caller.credentialId : null;
      if (kept === null) {
        await store.revokeAllLogins(userId, now);
        return {};
      }
      for (const login of await store.listLogins(userId, now)) {
        if (login.id !== kept) await store.revokeLogin(userId, login.id, now);
      }
      return {};
    },

    async listSessions(caller) {
      const logins = await store.listLogins(caller.user.id, clock().toISOString());
      return logins.map((login) => ({
        id: login.id,
        created: login.created,
        expiry: login.expiresAt,
        last_used: login.lastRefreshed,
        client: login.client,
        current: login.id === caller.credentialId,
      }));
    },
    async revokeSession(caller, id) {
      return store.revokeLogin(caller.user.id, id, clock().toISOString());
    },

    flushExpired,

    endpoints: [
      { method: 'POST', path: '/refresh', handle: refresh },
      { method: 'POST', path: '/verify', handle: verify },
      // Public keys only exist for asymmetric algorithms; under HMAC the route is a 404.
      ...(algorithm.startsWith('HS')
        ? []
        : [{ method: 'GET' as const, path: '/.well-known/jwks.json', atRoot: true, handle: async () => ({ status: 200, body: (await keyRing).jwks }) }]),
    ],
  };
}
