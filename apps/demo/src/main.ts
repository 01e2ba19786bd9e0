#!/usr/bin/env node
import { ConfigError } from '@authbench/core';
import { createAuthApp, createAuthServer, createLogger, listen } from '@authbench/express';
import { readConfig } from './config.js';
import { buildAuthStack } from './setup.js';

/** Starts the demo from the environment; a bad setting stops it with one line naming the setting. */
async function main(): Promise<void> {
  const config = readConfig(process.env);
  const stack = await buildAuthStack(config);
  // JSON lines on stdout, after the human start-up lines; LOG_LEVEL=silent turns them off.
  const logger = createLogger(config.logLevel);
  const server = createAuthServer(
    createAuthApp({
      schemes: stack.schemes,
      accounts: stack.accounts,
      logger,
      throttle: stack.throttle ?? undefined,
      trustProxy: config.session.trustProxy, // TRUST_PROXY: the client address from X-Forwarded-For
    }),
  );
  let port: number;
  try {
    port = await listen(server, config.port, config.host);
  } catch (error) {
    await stack.close();
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError('PORT', `cannot listen on ${config.host}:${config.port} (${code})`);
  }

  const origin = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const database = config.databaseUrl === null ? `SQLite at ${config.databasePath}` : 'PostgreSQL (DATABASE_URL)';
  const redis = config.redisUrl === null ? '' : `, Redis (REDIS_URL${config.redisCacheTtlSeconds === null ? '' : `, cache ${config.redisCacheTtlSeconds} s`})`;
  console.log(`authbench demo: AUTH_SCHEME=${config.schemes.join(',')}, ${database}${redis}`);
  for (const notice of config.notices) console.log(`Note: ${notice}`);
  console.log(`Listening on ${origin}`);
  console.log('Try:');
  console.log(
    `  curl -s -X POST ${origin}/api/auth/register -H 'Content-Type: application/json' ` +
      `-d '{"username":"alice","password":"correct-horse-battery"}'`,
  );

  // Expired credentials are swept in small batches that yield to requests in between.
  const sweep = (): void => {
    stack.flushExpired().catch((error: unknown) => console.error(`authbench: sweeping expired credentials failed: ${String(error)}`));
  };
  const sweeper = config.flushIntervalSeconds > 0 ? setInterval(sweep, config.flushIntervalSeconds * 1000).unref() : undefined;

  const stop = (): void => {
    clearInterval(sweeper);
    server.close(() => void stack.close());
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`authbench: ${error instanceof ConfigError ? error.message : String(error)}`);
  process.exitCode = error instanceof ConfigError ? 2 : 1;
});
