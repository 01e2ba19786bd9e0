import { trustedProxies } from './proxies.js';

/**
 * Reading settings from the environment. Every reader validates at start-up
 * and throws a ConfigError whose message is one line that names the setting;
 * nothing falls back silently.
 */

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`${setting}: ${problem}`);
  }
}

/**
 * A scheme factory's refusal of an option: the option's name, and one line
 * saying what it must be. Whoever built the options from settings reports it
 * under the setting's name (`optionsToSettings`), never by parsing the text.
 */
export class OptionError extends TypeError {
  override readonly name = 'OptionError';
  constructor(
    /** The factory, e.g. `knoxScheme`. */
    readonly factory: string,
    /** The option, e.g. `tokenTtlSeconds`. */
    readonly option: string,
    /** What it must be, e.g. `a whole number of seconds above 0`. */
    readonly expected: string,
    got: unknown,
  ) {
    super(`${factory}: options.${option} must be ${expected}, got ${describe(got)}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * Runs a factory on options read from settings, and reports an OptionError
 * as a ConfigError naming the setting the option came from.
 * @param settingOf option name to setting name, e.g. `{ keyword: 'TOKEN_KEYWORD' }`.
 */
export function withSettings<T>(settingOf: Readonly<Record<string, string>>, fallback: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof OptionError)) throw error;
    throw new ConfigError(settingOf[error.option] ?? fallback, error.message);
  }
}

function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

export function readString(env: Env, name: string, fallback: string): string {
  return raw(env, name) ?? fallback;
}

export function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(name, `expected a whole number from ${min} to ${max}, got "${value}"`);
  }
  return Number(value);
}

/** A whole number, or `none` (Python's None in the Django settings it mirrors) for null. */
export function readOptionalInteger(env: Env, name: string, fallback: number | null, min: number, max: number): number | null {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  return value.toLowerCase() === 'none' ? null : readInteger(env, name, 0, min, max);
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

export function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw new ConfigError(name, `expected true or false, got "${value}"`);
}

/**
 * `AUTH_SCHEME`: one scheme or a comma list tried in order, as DRF's
 * `DEFAULT_AUTHENTICATION_CLASSES`.
 * @param available the schemes this build provides.
 */
export function readSchemeList(env: Env, name: string, available: readonly string[], fallback: string): string[] {
  const value = raw(env, name) ?? fallback;
  const schemes = value.split(',').map((s) => s.trim().toLowerCase());
  const seen = new Set<string>();
  for (const scheme of schemes) {
    if (scheme === '') throw new ConfigError(name, `empty entry in "${value}"`);
    if (!available.includes(scheme)) throw new ConfigError(name, `unknown scheme "${scheme}" (choose from ${available.join(', ')})`);
    if (seen.has(scheme)) throw new ConfigError(name, `scheme "${scheme}" is listed twice`);
    seen.add(scheme);
  }
  return schemes;
}

/** Production mode is `NODE_ENV=production`: secrets must then be given, never generated. */
export function isProduction(env: Env): boolean {
  return raw(env, 'NODE_ENV') === 'production';
}

/**
 * `TRUST_PROXY`: the proxies in front of the app whose X-Forwarded-For (and
 * -Proto) are believed, as Express's `trust proxy` names them: a comma list
 * of addresses, CIDR ranges, `loopback`, `linklocal`, `uniquelocal`. Unset or
 * `false`: none. `true` is refused: it would believe any peer.
 */
export function readTrustedProxies(env: Env, name = 'TRUST_PROXY'): string[] {
  const value = raw(env, name);
  if (value === undefined || FALSE.has(value.toLowerCase())) return [];
  if (TRUE.has(value.toLowerCase())) {
    throw new ConfigError(name, 'name the proxies instead (addresses, CIDR ranges or loopback, e.g. "loopback" or "10.0.0.0/8"): true would believe X-Forwarded-For from any peer');
  }
  const entries = value.split(',').map((e) => e.trim()).filter(Boolean);
  try {
    trustedProxies(entries);
  } catch (error) {
    throw new ConfigError(name, (error as Error).message);
  }
  return entries;
}
