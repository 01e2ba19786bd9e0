export { Accounts, type AccountsOptions } from './accounts.js';
export { OWASP_ARGON2ID, hashPassword, verifyPassword, type Argon2Parameters } from './password-hashing.js';
export { validatePassword, type PasswordUserAttributes } from './password-validation.js';
export { LOGIN_THROTTLE_DEFAULTS, LoginThrottle, addressKey, deviceKey, throttled, usernameKey, type LoginThrottleOptions } from './throttle.js';
export { validateEmail, validateUsername } from './user-validation.js';
