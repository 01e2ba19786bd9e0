#!/usr/bin/env node
import { ConfigError } from '@authbench/core';
import { createAuthApp, createAuthServer, createLogger, listen } from '@authbench/express';
import express from 'express';
import { readDemoConfig } from './config.js';
import { pageRouter } from './page.js';
import { openDemoAuth } from './setup.js';

/** Starts the demo from the environment; a bad setting stops it with one line naming the setting. */
async function main(): Promise<void> {
  const config = readDemoConfig(process.env);
  const stack = await openDemoAuth(process.env);
  // JSON lines on stdout, after the human start-up lines; LOG_LEVEL=silent turns them off.
  const logger = createLogger(config.logLevel);
  // The browser page and the API index first: the API app ends with its own JSON 404.
  const app = express();
  app.disable('x-powered-by');
  app.use(pageRouter({ schemes: stack.schemes, users: stack.users, logger }));
  // The schemes, users, throttle and TRUST_PROXY, as the environment configured them.
  app.use(createAuthApp({ ...stack, logger }));
  const server = createAuthServer(app);
  let port: number;
  try {
    port = await listen(server, config.port, config.host);
  } catch (error) {
    await stack.close();
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError('PORT', `cannot listen on ${config.host}:${config.port} (${code})`);
  }

  const origin = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  console.log(`authbench demo: AUTH_SCHEME=${stack.schemes.map((s) => s.name).join(',')}, ${stack.description}`);
  for (const notice of stack.notices) console.log(`Note: ${notice}`);
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
