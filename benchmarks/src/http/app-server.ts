/**
 * The demo app as `npm start` builds it (the demo's own config reader and
 * wiring, the real createAuthApp and server), started by the harness in a
 * child process. With BENCH_BASELINE=1 the configured schemes are replaced
 * by one that names a fixed user without reading anything: the same app,
 * route and response body with no credential check, the baseline every
 * configuration is paired with.
 */
import type { AuthScheme, Caller } from '@authbench/core';
import { readDemoConfig } from '@authbench/demo/config';
import { openDemoAuth } from '@authbench/demo/setup';
import { createAuthApp, createAuthServer, createLogger } from '@authbench/express';
import { countSqlStatements } from '../sql-counter.js';
import { countStoreCommands } from '../store-counter.js';
import { serveForBenchmark } from './child.js';

countSqlStatements();
await countStoreCommands();
const config = readDemoConfig(process.env);
const stack = await openDemoAuth(process.env);
let schemes = stack.schemes;
if (process.env['BENCH_BASELINE'] === '1') {
  const user = await stack.stores.users.findByUsername(process.env['BENCH_BASELINE_USER'] ?? '');
  if (!user) throw new Error('baseline: BENCH_BASELINE_USER names no user');
  schemes = [noAuthentication({ user, scheme: 'none', credentialId: null })];
}
// The demo's logger, at the LOG_LEVEL the harness sets: silent (configs.ts says why).
const logger = createLogger(config.logLevel);
// Login throttling as `npm start` has it (on by default): the harness's logins all succeed, at most 8 at a time (under the address's allowance of 20), so it never answers 429.
const throttle = stack.throttle ?? undefined;
serveForBenchmark(createAuthServer(createAuthApp({ schemes, users: stack.users, logger, throttle, trustProxy: stack.trustProxy })), () => void stack.close());

function noAuthentication(caller: Caller): AuthScheme {
  const refuse = () => Promise.reject(new Error('the baseline issues no credentials'));
  return {
    name: 'none',
    challenge: null,
    authenticate: () => Promise.resolve(caller),
    login: refuse,
    logout: refuse,
    logoutAll: refuse,
    revokeUser: refuse,
  };
}
