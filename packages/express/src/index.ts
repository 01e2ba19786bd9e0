import './request.js';

export { createAuth, type Auth, type AuthOptions } from './auth.js';
export { createAuthApp, type AuthAppOptions } from './app.js';
export { cors, corsOriginProblem, type CorsOptions } from './cors.js';
export { authenticate, refuseAnonymous, requireAuth, type AuthenticatedHandler, type AuthenticatedRequest } from './authenticate.js';
export { BODY_LIMIT_BYTES, MAX_JSON_DEPTH, readBody } from './body.js';
export { apiErrorHandler, errorHandler, notFoundHandler, unexpectedErrorHandler } from './errors.js';
export {
  LOG_LEVELS,
  createLogger,
  errorFields,
  requestLog,
  type DestinationStream,
  type LogLevel,
  type Logger,
  type RequestLogFields,
  type UnexpectedErrorReporter,
} from './logging.js';
export { MAX_HEADER_BYTES, createAuthServer, listen } from './server.js';
