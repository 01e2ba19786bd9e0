import './request.js';

export { createAuthApp, type AuthAppOptions } from './app.js';
export { authenticate, requireAuth } from './authenticate.js';
export { BODY_LIMIT_BYTES, MAX_JSON_DEPTH, readBody } from './body.js';
export { errorHandler, notFoundHandler } from './errors.js';
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
