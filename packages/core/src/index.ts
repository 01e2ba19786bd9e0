export { isHttpToken, parseAuthorizationHeader, parseBasicAuthorization, type AuthorizationHeader, type BasicCredentials } from './authorization-header.js';
export {
  ConfigError,
  OptionError,
  isProduction,
  readBoolean,
  readInteger,
  readOptionalInteger,
  readSchemeList,
  readString,
  readTrustedProxies,
  withSettings,
  type Env,
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
export type {
  AttemptThrottle,
  AuthRequest,
  AuthScheme,
  Caller,
  KeepCredential,
  LoginContext,
  LoginResult,
  LogoutResult,
  RevokeResult,
  SchemeEndpoint,
  SessionInfo,
} from './scheme.js';
export {
  UsernameTakenError,
  refusingUserStore,
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
export { drfDateTime } from './datetime.js';
export { drfTokenCredentials, INVALID_TOKEN, USER_INACTIVE } from './drf-token-header.js';
export {
  OLD_PASSWORD_INCORRECT,
  assertUserRepository,
  hasAccounts,
  publicUser,
  type PublicUser,
  type User,
  type UserAccounts,
  type UserId,
  type UserRepository,
} from './user.js';
export type { CredentialStores, SchemeWiring, WiringContext } from './wiring.js';
export { NO_PROXIES, forwardedClient, trustedProxies, type ProxyTrust } from './proxies.js';
export { SECRET_LENGTH, carriesScriptCredential, csrfFailure, isSafeMethod, maskSecret, newSecret, originFailure, presentedTokenFailure, tokenFailure } from './csrf.js';
