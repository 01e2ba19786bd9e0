/**
 * Errors are values: each carries the HTTP status and the exact JSON body that
 * its Django counterpart sends. The express glue turns them into responses in
 * one place; nothing else writes an error response.
 */

export type ErrorBody = Readonly<Record<string, unknown>>;

export class ApiError extends Error {
  override readonly name: string = 'ApiError';
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
    /** A stable machine-readable code (DRF's `default_code`). */
    readonly code: string,
    /** Response headers the answer needs (`Retry-After` on a 429 or 503). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(typeof body['detail'] === 'string' ? body['detail'] : code);
  }
}

/**
 * A request that carried no valid credential. DRF answers 401 with a
 * `WWW-Authenticate` challenge when the first configured scheme has one, and
 * 403 when it has none (session); the glue decides, so schemes never have to.
 */
export class AuthenticationError extends ApiError {
  override readonly name = 'AuthenticationError';
  constructor(
    body: ErrorBody,
    code = 'authentication_failed',
    /** Overrides the first scheme's challenge (HTTP Basic at a knox login). */
    readonly challenge?: string,
  ) {
    super(401, body, code);
  }
}

/** DRF's `AuthenticationFailed` with a plain `detail`. */
export function authenticationFailed(detail: string): AuthenticationError {
  return new AuthenticationError({ detail });
}

/** DRF's `NotAuthenticated`: a protected route reached with no credential. */
export const notAuthenticated = (): AuthenticationError =>
  new AuthenticationError({ detail: 'Authentication credentials were not provided.' }, 'not_authenticated');

/** A serializer's field errors: `{"field": ["message", ...]}`. */
export class ValidationError extends ApiError {
  override readonly name = 'ValidationError';
  constructor(readonly fields: Readonly<Record<string, readonly string[]>>) {
    super(400, fields, 'invalid');
  }
}

export const notFound = (): ApiError => new ApiError(404, { detail: 'Not found.' }, 'not_found');

export const methodNotAllowed = (method: string): ApiError =>
  new ApiError(405, { detail: `Method "${method}" not allowed.` }, 'method_not_allowed');

export const parseError = (reason: string): ApiError =>
  new ApiError(400, { detail: `JSON parse error - ${reason}` }, 'parse_error');

export const unsupportedMediaType = (mediaType: string): ApiError =>
  new ApiError(415, { detail: `Unsupported media type "${mediaType}" in request.` }, 'unsupported_media_type');

export const payloadTooLarge = (limitBytes: number): ApiError =>
  new ApiError(413, { detail: `Request body exceeds the limit of ${limitBytes} bytes.` }, 'payload_too_large');

/**
 * A storage server (PostgreSQL, Redis) that a request needs does not answer.
 * The request is refused whole, never half done, and the client may retry.
 */
export class ServiceUnavailableError extends ApiError {
  override readonly name = 'ServiceUnavailableError';
  constructor(
    readonly service: string,
    /** The driver's own error, for start-up messages and debugging; never sent to the client. */
    override readonly cause?: unknown,
  ) {
    super(503, { detail: `Service temporarily unavailable: ${service} does not answer. Try again later.` }, 'service_unavailable', {
      'Retry-After': '5',
    });
  }
}

export const permissionDenied = (detail: string): ApiError =>
  new ApiError(403, { detail }, 'permission_denied');
