import { describe, expect, it } from 'vitest';
import { ConfigError } from '@authbench/core';
import { DEFAULT_DATABASE_PATH, readDemoConfig } from '../src/config.js';

describe('readDemoConfig', () => {
  it('serves on 127.0.0.1:8000, sweeps hourly, logs at info; the database is the app folder’s file', () => {
    expect(readDemoConfig({})).toEqual({ port: 8000, host: '127.0.0.1', flushIntervalSeconds: 3600, logLevel: 'info' });
    expect(readDemoConfig({ PORT: '0', HOST: '::1', FLUSH_EXPIRED_INTERVAL: '0', LOG_LEVEL: 'SILENT' })).toEqual({
      port: 0,
      host: '::1',
      flushIntervalSeconds: 0,
      logLevel: 'silent',
    });
    expect(DEFAULT_DATABASE_PATH).toMatch(/apps\/demo\/data\/authbench\.sqlite3$/);
  });

  it.each([
    [{ PORT: 'http' }, 'PORT: expected a whole number from 0 to 65535, got "http"'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "verbose"'],
    [{ FLUSH_EXPIRED_INTERVAL: '-1' }, 'FLUSH_EXPIRED_INTERVAL: expected a whole number from 0 to 604800, got "-1"'],
  ])('refuses %j with one line naming the setting', (env, message) => {
    expect(() => readDemoConfig(env)).toThrow(ConfigError);
    expect(() => readDemoConfig(env)).toThrow(message);
  });
});
