import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * The browser every package's browser tests use: Debian's Chromium, driven
 * headless by playwright-core (a devDependency of each package that imports
 * this file).
 */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * The skip rule: without Chromium the browser tests are skipped, saying why in
 * one line; under CI=true a missing browser is a failure instead.
 */
export function chromiumMissing(): boolean {
  if (existsSync(CHROMIUM)) return false;
  const why = `${CHROMIUM} is missing (apt-get install chromium)`;
  if (process.env['CI'] === 'true') throw new Error(`browser tests: ${why}; CI needs it`);
  console.warn(`browser tests skipped: ${why}`);
  return true;
}

/** This machine's network is closed: nothing a browser would fetch from outside. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
