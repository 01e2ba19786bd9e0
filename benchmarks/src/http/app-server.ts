/**
 * The demo app as `npm start` builds it (the demo's own config reader and
 * wiring, the real createAuthApp and server), started by the harness in a
 * child process. With BENCH_BASELINE=1 the configured schemes are replaced
 * by one that names a fixed user without reading anything: the same app,
 * route and response body with no credential check, the baseline every
 * configuration is paired with.
 */
import type { AuthScheme, Caller } from '@authbench/core';
import { readConfig } from '@authbench/demo/config';
import { buildAuthStack } from '@authbench/demo/setup';
import { createAuthApp, createAuthServer } from '@authbench/express';
import { countSqlStatements } from '../sql-counter.js';
import { serveForBenchmark } from './child.js';

countSqlStatements();
const stack = await buildAuthStack(readConfig(process.env));
let schemes = stack.schemes;
if (process.env['BENCH_BASELINE'] === '1') {
  const user = await stack.store.users.findByUsername(process.env['BENCH_BASELINE_USER'] ?? '');
  if (!user) throw new Error('baseline: BENCH_BASELINE_USER names no user');
  schemes = [noAuthentication({ user, scheme: 'none', credentialId: null })];
}
serveForBenchmark(createAuthServer(createAuthApp({ schemes, accounts: stack.accounts })), () => void stack.close());

function noAuthentication(caller: Caller): AuthScheme {
  const refuse = () => Promise.reject(new Error('the baseline issues no credentials'));
  return {
    name: 'none',
    challenge: null,
    authenticate: () => Promise.resolve(caller),
    login: refuse,
    logout: refuse,
    logoutAll: refuse,
  };
}
