/**
 * The soak: each scheme of the built demo app at full load for a bounded
 * time on loopback, with valid, invalid and revoked credentials mixed;
 * reports errors (any status other than the one expected for its kind, socket
 * errors, timeouts), 5xx answers and the server's memory growth. Exits 1
 * unless every scheme has 0 errors, 0 5xx and flat memory.
 *
 *   npm run soak                              60 s per scheme, the four schemes (about 5 minutes)
 *   npm run soak -- --seconds 10 --only jwt   a shorter run of one scheme
 *
 * Options: --seconds N (per scheme; memory is judged from 20 s), --only SCHEME
 * (repeatable), --connections N (default 50), --json FILE (the full report).
 */
import { writeFileSync } from 'node:fs';
import { readCommandLine } from './args.js';
import { describeMachine, pinCores } from './machine.js';
import { formatFailures, formatLatency, formatMix, formatSummary, MEMORY_TOLERANCE, MIN_MEMORY_SECONDS, SOAK_SCHEMES, soakScheme, type SchemeSoak, type SoakScheme } from './soak-run.js';

const USAGE = `
usage: npm run soak -- [options]

  --seconds N       per scheme (default 60; memory is judged from 20 s)
  --only SCHEME     one scheme (repeatable)
  --connections N   autocannon connections (default 50)
  --json FILE       the full report as JSON
  --help            this text
`;

const values = readCommandLine('soak', USAGE, {
  seconds: { type: 'string', default: '60' },
  only: { type: 'string', multiple: true, default: [] },
  connections: { type: 'string', default: '50' },
  json: { type: 'string' },
});

const fail = (message: string): never => {
  console.error(`soak: ${message}`);
  process.exit(2);
};
const whole = (flag: string, value: string, min: number): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) fail(`--${flag} must be a whole number of at least ${min}, got "${value}"`);
  return n;
};
const seconds = whole('seconds', values.seconds, 1);
const connections = whole('connections', values.connections, 1);
for (const name of values.only) if (!(SOAK_SCHEMES as readonly string[]).includes(name)) fail(`--only expects one of ${SOAK_SCHEMES.join(', ')}, got "${name}"`);
const schemes = SOAK_SCHEMES.filter((s) => values.only.length === 0 || values.only.includes(s));

const progress = (line: string) => process.stderr.write(`${line}\n`);

const pinning = pinCores();
console.log(`authbench soak: ${describeMachine()}`);
console.log(`${pinning.description}; NODE_ENV=production, built JavaScript, loopback (127.0.0.1)`);
console.log(
  `${seconds} s per scheme at ${connections} connections; memory flat when it grows under ` +
    `${MEMORY_TOLERANCE.bytes / 2 ** 20} MiB or ${MEMORY_TOLERANCE.fraction * 100} % (judged from ${MIN_MEMORY_SECONDS} s runs)\n`,
);

const results: SchemeSoak[] = [];
for (const scheme of schemes as SoakScheme[]) {
  const result = await soakScheme({ scheme, seconds, connections, serverCore: pinning.serverCore, progress });
  progress(`${scheme}: ${result.requests} requests, ${result.errors} errors, ${result.serverErrors} 5xx, memory ${result.memory.verdict}`);
  results.push(result);
}

console.log(formatSummary(results));
console.log(`\nRequests by kind (responses × the status each must get):\n\n${formatMix(results)}`);
console.log(`\nLatency (autocannon, whole ms):\n${formatLatency(results)}`);
const failures = formatFailures(results);
if (failures) console.log(`\n${failures}`);
if (values.json) writeFileSync(values.json, `${JSON.stringify({ machine: describeMachine(), seconds, connections, results }, null, 2)}\n`);
process.exitCode = results.every((r) => r.ok) ? 0 : 1;
