#!/usr/bin/env node
// Builds a workspace and what it depends on (turbo, cached) without turbo's
// banner: `npm start`, `npm run cli`, `bench` and `soak` print only their own
// lines. On a failure, everything turbo said is printed, and its exit code kept.
import { spawnSync } from 'node:child_process';

const [workspace] = process.argv.slice(2);
if (!workspace) {
  console.error('usage: node scripts/build-quietly.mjs <workspace name>');
  process.exit(2);
}
const turbo = spawnSync(
  'npx',
  ['--no-install', 'turbo', 'run', 'build', `--filter=${workspace}...`, '--output-logs=errors-only', '--no-update-notifier'],
  { cwd: new URL('..', import.meta.url), env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' }, encoding: 'utf8' },
);
if (turbo.status !== 0) {
  process.stderr.write(`${turbo.stdout ?? ''}${turbo.stderr ?? ''}`);
  if (turbo.error) console.error(`build-quietly: ${turbo.error.message}`);
  process.exit(turbo.status ?? 1);
}
