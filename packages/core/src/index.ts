export { Accounts, OLD_PASSWORD_INCORRECT, type AccountsOptions, type VerifiedLogin } from './accounts.js';
export { isHttpToken, parseAuthorizationHeader, parseBasicAuthorization, type AuthorizationHeader, type BasicCredentials } from './authorization-header.js';
export {
  ConfigError,
  SCHEME_NAMES,
  isProduction,
  readBoolean,
  readInteger,
  readOptionalInteger,
  readSchemeList,
  readString,
  type Env,
  type SchemeName,
} from './config.js';
export {
  ApiError,
  AuthenticationError,
  ServiceUnavailableError,
  ValidationError,
  authenticationFailed,
  methodNotAllowed,
  notAuthenticated,
  notFound,
  parseError,
  payloadTooLarge,
  permissionDenied,
  unsupportedMediaType,
  type ErrorBody,
} from './errors.js';
export { charField, expectObject, type CharFieldOptions, type FieldErrors, type Fields } from './fields.js';
export { OWASP_ARGON2ID, hashPassword, verifyPassword, type Argon2Parameters } from './password-hashing.js';
export { validatePassword, type PasswordUserAttributes } from './password-validation.js';
export type {
  AuthRequest,
  AuthScheme,
  Caller,
  KeepCredential,
  LoginContext,
  LoginResult,
  RevokeResult,
  SchemeEndpoint,
  SessionInfo,
} from './scheme.js';
export {
  UsernameTakenError,
  type JwtLoginRecord,
  type JwtOutstandingRecord,
  type JwtSpendResult,
  type JwtStore,
  type KnoxCandidate,
  type KnoxCreateResult,
  type KnoxTokenRecord,
  type KnoxTokenStore,
  type NewUser,
  type SessionRecord,
  type SessionStore,
  type ThrottleCounter,
  type ThrottleStore,
  type TokenRecord,
  type TokenStore,
  type UserStore,
} from './stores.js';
export { deleteInBatches } from './batches.js';
export { revokeCredentials } from './revocation.js';
export { LOGIN_THROTTLE_DEFAULTS, LoginThrottle, addressKey, throttled, usernameKey, type LoginThrottleOptions } from './throttle.js';
export { drfDateTime } from './datetime.js';
export { drfTokenCredentials, INVALID_TOKEN, USER_INACTIVE } from './drf-token-header.js';
export { publicUser, type PublicUser, type User } from './user.js';
export { validateEmail, validateUsername } from './user-validation.js';
