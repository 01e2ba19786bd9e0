import { fileURLToPath } from 'node:url';
import { ConfigError, readInteger, readString, type Env } from '@authbench/core';
import { LOG_LEVELS, type LogLevel } from '@authbench/express';

/** The demo's own settings; everything about authentication is `@authbench/env`'s. */
export interface DemoConfig {
  readonly port: number;
  readonly host: string;
  /** Seconds between sweeps of expired credentials; 0 turns the sweep off. */
  readonly flushIntervalSeconds: number;
  /** pino's level for the JSON lines on stdout; `silent` turns them off. */
  readonly logLevel: LogLevel;
}

/** `apps/demo/data/authbench.sqlite3`, wherever the app is started from. */
export const DEFAULT_DATABASE_PATH = fileURLToPath(new URL('../data/authbench.sqlite3', import.meta.url));

function readLogLevel(env: Env): LogLevel {
  const level = readString(env, 'LOG_LEVEL', 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
  return level as LogLevel;
}

/** The demo's settings, validated; throws ConfigError naming the first bad one. */
export function readDemoConfig(env: Env): DemoConfig {
  return {
    port: readInteger(env, 'PORT', 8000, 0, 65_535),
    host: readString(env, 'HOST', '127.0.0.1'),
    flushIntervalSeconds: readInteger(env, 'FLUSH_EXPIRED_INTERVAL', 3600, 0, 7 * 86_400),
    logLevel: readLogLevel(env),
  };
}
