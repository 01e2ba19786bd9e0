import type { Env } from './config.js';
import type { AuthScheme } from './scheme.js';
import type { JwtStore, KnoxTokenStore, SessionStore, TokenStore } from './stores.js';
import type { UserRepository } from './user.js';

/** The credential stores a scheme may use, from whichever engine is configured. */
export interface CredentialStores {
  readonly tokens: TokenStore;
  readonly knoxTokens: KnoxTokenStore;
  readonly jwt: JwtStore;
  readonly sessions: SessionStore;
}

/** What a scheme is built with besides its own settings. */
export interface WiringContext {
  readonly stores: CredentialStores;
  readonly users: UserRepository;
  /** Lines to print at start-up (a secret generated for a development run, say). */
  readonly notices: string[];
}

/**
 * How one scheme is configured from environment variables. Each scheme
 * package exports one, beside its factory, so its settings' names, defaults
 * and validation live with the scheme; `@authbench/env` lists them once.
 */
export interface SchemeWiring {
  /** The `AUTH_SCHEME` value that selects it. */
  readonly name: string;
  /** The environment variables it reads. */
  readonly settings: readonly string[];
  /**
   * Reads its settings and builds the scheme. Called only for a configured
   * scheme, so its secrets are required (or generated) only then.
   * @throws ConfigError naming the first bad setting.
   */
  fromEnv(env: Env, context: WiringContext): AuthScheme;
}
