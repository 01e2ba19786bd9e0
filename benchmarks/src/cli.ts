/**
 * The benchmark suite: every scheme through the built app over HTTP, paired
 * with a no-auth baseline and beside the libraries a team would use instead;
 * then in-process ns per authenticate() at growing data; then logins.
 *
 *   npm run bench                 the full run (about 20 minutes), results in benchmarks/results/
 *   npm run bench -- --quick      every configuration briefly: checks the harness, asserts no speed
 *
 * Options: --pairs N, --seconds S, --connections N, --users N (HTTP),
 * --credentials 1000,100000 (in-process sizes), --only NAME (repeatable),
 * --skip-http, --skip-in-process, --out DIR.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runHttpSuite, type RunResult } from './http/suite.js';
import { createWorkspace } from './http/workspace.js';
import { runInProcess, type InProcessSize, type LoginResult } from './in-process.js';
import { describeMachine, pinCores } from './machine.js';
import { markdown, summarize, svgChart, type Report } from './report.js';
import { countSqlStatements } from './sql-counter.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    pairs: { type: 'string' },
    seconds: { type: 'string' },
    connections: { type: 'string', default: '50' },
    users: { type: 'string' },
    credentials: { type: 'string' },
    only: { type: 'string', multiple: true, default: [] },
    'skip-http': { type: 'boolean', default: false },
    'skip-in-process': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});

const quick = values.quick;
const number = (flag: string, value: string | undefined, fallback: number, min: number): number => {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isFinite(n) || n < min) {
    console.error(`bench: --${flag} must be a number of at least ${min}, got "${value}"`);
    process.exit(2);
  }
  return n;
};
const pairs = number('pairs', values.pairs, quick ? 1 : 5, 1);
const seconds = number('seconds', values.seconds, quick ? 0.25 : 4, 0.1);
const connections = number('connections', values.connections, 50, 1);
const users = number('users', values.users, quick ? 20 : 1000, 2);
const sizes = (values.credentials ?? (quick ? '1000' : '1000,100000,1000000')).split(',').map((s) => number('credentials', s, 0, 10));
const outDir = values.out ?? (quick ? join(tmpdir(), 'authbench-bench-quick') : fileURLToPath(new URL('../../results/', import.meta.url)));

const progress = (line: string) => {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}`);
  else process.stderr.write(`${line}\n`);
};

countSqlStatements();
const pinning = pinCores();
const machine = describeMachine();
console.log(`authbench benchmark${quick ? ' --quick' : ''}: ${machine}`);
console.log(`${pinning.description}; NODE_ENV=production, built JavaScript`);

let runs: RunResult[] = [];
if (!values['skip-http']) {
  const workspace = await createWorkspace(users);
  try {
    runs = await runHttpSuite({
      workspace,
      pairs,
      seconds,
      warmupSeconds: quick ? 0.1 : 2,
      connections,
      serverCore: pinning.serverCore,
      quietLimitCores: quick ? null : 0.1,
      only: values.only,
      progress,
    });
  } finally {
    workspace.remove();
  }
}

let inProcess: InProcessSize[] = [];
let login: LoginResult | null = null;
if (!values['skip-in-process']) {
  ({ sizes: inProcess, login } = await runInProcess({
    sizes,
    rounds: quick ? 1 : 5,
    roundMs: quick ? 50 : 1000,
    loginMs: quick ? 1 : 3000,
    jwtUsers: quick ? 50 : 1000,
    progress,
  }));
}
if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');

const report: Report = {
  date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  machine,
  pinning: pinning.description,
  method:
    `HTTP: each configuration's server alternated with the no-auth baseline server, ${pairs} pair(s) of ${seconds} s at ${connections} connections ` +
    `after a warm-up, ${users} users each presenting their own credential; ratio = the configuration's req/s ÷ the baseline's in the same pair, ` +
    'median (min–max); auth µs = the server process CPU per request minus the baseline\'s in the same pair; reads and writes are SQL statements the server ran. ' +
    'In-process: rounds alternated across cases, median (min–max) ns per call, keys drawn uniformly from all stored.',
  quick,
  http: summarize(runs),
  inProcess,
  login,
};

const table = markdown(report);
console.log(`\n${table}`);
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'latest.md'), `${table}\n![Server CPU added per request](chart.svg)\n`);
writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify({ report, rounds: runs }, null, 2)}\n`);
writeFileSync(join(outDir, 'chart.svg'), svgChart(report));
console.log(`Written: ${['latest.md', 'latest.json', 'chart.svg'].map((f) => relative(process.cwd(), join(outDir, f)) || f).join(', ')}`);
