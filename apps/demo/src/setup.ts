import type { Accounts, Argon2Parameters } from '@authbench/accounts';
import type { Env } from '@authbench/core';
import { authFromEnv, type EnvAuth } from '@authbench/env';
import { DEFAULT_DATABASE_PATH } from './config.js';

/** The demo keeps its users in authbench's own table, so `accounts` is always there. */
export type DemoAuth = EnvAuth & { readonly accounts: Accounts };

/** Everything the environment configures, as any application gets it from `@authbench/env`. */
export async function openDemoAuth(env: Env, options: { hashing?: Argon2Parameters } = {}): Promise<DemoAuth> {
  const auth = await authFromEnv(env, { defaultDatabasePath: DEFAULT_DATABASE_PATH, hashing: options.hashing });
  return auth as DemoAuth;
}
