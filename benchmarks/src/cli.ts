/**
 * The benchmark suite: every scheme through the built app over HTTP, paired
 * with a no-auth baseline and beside the libraries a team would use instead;
 * then in-process ns per authenticate() at growing data; then logins.
 *
 *   npm run bench                 the full run (about 20 minutes), results in benchmarks/results/
 *   npm run bench -- --quick      every configuration briefly: checks the harness, asserts no speed
 *   npm run bench -- --storage postgres,redis --skip-in-process     the PostgreSQL and Redis variants only
 *
 * Options: --pairs N, --seconds S, --connections N, --users N (HTTP),
 * --credentials 1000,100000 (in-process sizes), --only NAME (repeatable),
 * --storage sqlite,postgres,redis|all, --database-url URL, --redis-url URL,
 * --skip-http, --skip-two-instances, --skip-in-process, --out DIR,
 * --instructions and --instruction-requests N (instructions per request under callgrind: opt-in, slow).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCommandLine, shownPath } from './args.js';
import { cpus } from 'node:os';
import { runTwoInstances, type InstancesResult } from './http/instances.js';
import { DEFAULT_URLS, probePostgres, probeRedis, STORAGE_LABEL, STORAGES, type Storage } from './http/storage.js';
import { CONFIGS } from './http/configs.js';
import { callgrindMissing, countable, INSTRUCTION_CONFIGS, measureInstructions, summarizeInstructions, type InstructionSample } from './http/instructions.js';
import { runHttpSuite, selectConfigs, unavailableConfigs, type RunResult } from './http/suite.js';
import { createWorkspace } from './http/workspace.js';
import { runInProcess, type InProcessSize, type LoginResult } from './in-process.js';
import { describeMachine, pinCores } from './machine.js';
import { markdown, summarize, summarizeInstances, svgChart, type Report } from './report.js';
import { reportHtml } from './report-html.js';
import { countSqlStatements } from './sql-counter.js';

const USAGE = `
usage: npm run bench -- [options]

  (no option)                 the full run (about 20 minutes); results in benchmarks/results/
  --quick                     every configuration briefly, into a new temporary folder: checks the harness
  --pairs N                   HTTP: paired rounds per configuration (default 5)
  --seconds S                 HTTP: seconds per round (default 4)
  --connections N             HTTP: autocannon connections (default 50)
  --users N                   HTTP: users logged in for the load (default 1000)
  --only NAME                 only configurations whose name contains NAME (repeatable)
  --storage LIST              sqlite,postgres,redis or all (default all)
  --database-url URL          PostgreSQL for the postgres variants
  --redis-url URL             Redis for the redis variants
  --credentials LIST          in-process: stored credentials per size (default 1000,100000,1000000)
  --skip-http, --skip-two-instances, --skip-in-process
  --instructions              also count instructions per request under valgrind's callgrind (repeatable
                              whatever else the machine runs; 7 to 12 minutes for the five schemes and the
                              baseline, so not part of the full run unless asked; with --skip-http, only that)
  --instruction-requests N    requests counted per server (default 2000; --quick 100)
  --instruction-warmup N      requests each server answers uncounted first, for V8 to optimise (default 2000)
  --out DIR                   where latest.md, latest.json, chart.svg and report.html (the run as one
                              self-contained page, charts included) go
  --help                      this text
`;

const values = readCommandLine('bench', USAGE, {
  quick: { type: 'boolean', default: false },
  pairs: { type: 'string' },
  seconds: { type: 'string' },
  connections: { type: 'string', default: '50' },
  users: { type: 'string' },
  credentials: { type: 'string' },
  only: { type: 'string', multiple: true, default: [] },
  storage: { type: 'string', default: 'all' },
  'database-url': { type: 'string', default: DEFAULT_URLS.postgres },
  'redis-url': { type: 'string', default: DEFAULT_URLS.redis },
  'skip-http': { type: 'boolean', default: false },
  'skip-two-instances': { type: 'boolean', default: false },
  'skip-in-process': { type: 'boolean', default: false },
  instructions: { type: 'boolean', default: false },
  'instruction-requests': { type: 'string' },
  'instruction-warmup': { type: 'string' },
  out: { type: 'string' },
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
const instructionRequests = number('instruction-requests', values['instruction-requests'], quick ? 100 : 2000, 1);
// Even --quick warms up fully: before some 2,000 requests V8 is still tiering up, and that compiling, not the scheme, would be counted.
const instructionWarmup = number('instruction-warmup', values['instruction-warmup'], 2000, 0);
const sizes = (values.credentials ?? (quick ? '1000' : '1000,100000,1000000')).split(',').map((s) => number('credentials', s, 0, 10));

const requested: readonly string[] = values.storage === 'all' ? STORAGES : values.storage.split(',').map((s) => s.trim());
for (const s of requested) {
  if (!(STORAGES as readonly string[]).includes(s)) {
    console.error(`bench: --storage takes ${STORAGES.join(', ')} (comma-separated) or all, got "${s}"`);
    process.exit(2);
  }
}
let storages = STORAGES.filter((s) => requested.includes(s));
// A run without the SQLite configurations is not the full run: it must not replace the table and chart the docs show.
const resultsDir = requested.includes('sqlite') ? '../../results/' : '../../results/storage/';
// A quick run writes a folder of its own, so two runs at once never overwrite each other.
const outDir = values.out ?? (quick ? mkdtempSync(join(tmpdir(), 'authbench-bench-quick-')) : fileURLToPath(new URL(resultsDir, import.meta.url)));

const progress = (line: string) => {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}`);
  else process.stderr.write(`${line}\n`);
};

countSqlStatements();
const pinning = pinCores();
const machine = describeMachine();
console.log(`authbench benchmark${quick ? ' --quick' : ''}: ${machine}`);
console.log(`${pinning.description}; NODE_ENV=production, built JavaScript`);

/*
 * PostgreSQL and Redis must answer for their variants. Asked for by name, or
 * under CI=true, a missing server fails the run; in a plain `npm run bench`
 * their variants are skipped with the reason printed.
 */
const skipped: string[] = [];
// Configurations that need something beyond Node (the Django peers): skipped, with one line saying what to install.
const unavailable = values['skip-http'] ? [] : unavailableConfigs(values.only, storages);
for (const requirement of new Set(unavailable.map((c) => c.requires!))) {
  const why = `${unavailable.filter((c) => c.requires === requirement).map((c) => c.name).join(', ')}: ${requirement.missing}`;
  console.log(`Skipped ${why}`);
  skipped.push(why);
}
if (values.instructions) {
  const missing = callgrindMissing();
  if (missing) {
    console.error(`bench: --instructions needs valgrind: ${missing}`);
    process.exit(1);
  }
}
// --instructions counts the five schemes of the issue, or the Node configurations on SQLite that --only names.
const instructionConfigs = !values.instructions
  ? []
  : values.only.length
    ? CONFIGS.filter((c) => values.only.includes(c.name) && countable(c))
    : CONFIGS.filter((c) => INSTRUCTION_CONFIGS.includes(c.name));
const wanted = !values['skip-http'] && (selectConfigs(values.only, storages).some((c) => c.storage !== 'sqlite'));
if (wanted) {
  const databaseUrl = values['database-url'];
  const redisUrl = values['redis-url'];
  const pgDown = await probePostgres(databaseUrl);
  const redisDown = storages.includes('redis') ? await probeRedis(redisUrl) : null;
  const lost: [Storage, string][] = [];
  if (pgDown) for (const s of ['postgres', 'redis'] as const) if (storages.includes(s)) lost.push([s, pgDown]);
  if (redisDown && !pgDown) lost.push(['redis', redisDown]);
  for (const [storage, reason] of lost) {
    const why = `the ${STORAGE_LABEL[storage]} configurations: ${reason}`;
    if (process.env['CI'] === 'true' || values.storage !== 'all') {
      console.error(`bench: cannot run ${why}${process.env['CI'] === 'true' ? ' (CI=true needs it)' : ''}`);
      process.exit(1);
    }
    console.log(`Skipped ${why}`);
    skipped.push(why);
  }
  storages = storages.filter((s) => !lost.some(([l]) => l === s));
}

let runs: RunResult[] = [];
let instances: InstancesResult[] = [];
let instructionSamples: InstructionSample[] = [];
let instructionSeconds = 0;
if (!values['skip-http'] || values.instructions) {
  const remote = !values['skip-http'] && selectConfigs(values.only, storages).some((c) => c.storage !== 'sqlite');
  const workspace = await createWorkspace(users, {
    postgres: remote ? values['database-url'] : undefined,
    redis: remote && storages.includes('redis') ? values['redis-url'] : undefined,
  });
  // An interrupted run still drops its schema and its Redis keys.
  const onSignal = () => void workspace.remove().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (!values['skip-http']) runs = await runHttpSuite({
      workspace,
      pairs,
      seconds,
      warmupSeconds: quick ? 0.1 : 2,
      connections,
      serverCore: pinning.serverCore,
      quietLimitCores: quick ? null : 0.1,
      only: values.only,
      storages,
      progress,
    });
    if (values.instructions) {
      const t0 = performance.now();
      instructionSamples = await measureInstructions({
        workspace,
        configs: instructionConfigs,
        requests: instructionRequests,
        warmup: instructionWarmup,
        serverCore: pinning.serverCore,
        progress,
      });
      instructionSeconds = (performance.now() - t0) / 1000;
    }
    if (!values['skip-two-instances'] && remote) {
      // Two app processes can only share cores here: each may use all of them, as may PostgreSQL and
      // Redis, while the load generator stays where it is pinned. One instance gets the same cores.
      // os.cpus(), not availableParallelism(): this process is pinned to one core, which the latter reports.
      const cores = pinning.serverCore === null ? null : `0-${cpus().length - 1}`;
      console.log(
        `Two instances: ${cores === null ? 'unpinned' : `each app process on cores ${cores}`}, the load generator ${pinning.serverCore === null ? 'unpinned' : 'on core 1'}, ` +
          `PostgreSQL and Redis unpinned, all on ${cpus().length} cores: a second instance can only use the CPU the first leaves idle.`,
      );
      instances = await runTwoInstances({
        workspace,
        pairs,
        seconds,
        warmupSeconds: quick ? 0.1 : 2,
        connections,
        cores,
        quietLimitCores: quick ? null : 0.1,
        only: values.only,
        storages,
        progress,
      });
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await workspace.remove();
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
    'PostgreSQL and Redis variants are paired with a baseline on the same storage; their PostgreSQL + Redis µs is those servers\' CPU per request (the backends serving the app, and the whole Redis server). ' +
    'Two instances: one app process with every connection against two with half each, on the same storage, alternating. ' +
    'In-process: rounds alternated across cases, median (min–max) ns per call, keys drawn uniformly from all stored.',
  quick,
  http: summarize(runs),
  instances: summarizeInstances(instances),
  storages: values['skip-http'] ? [] : storages,
  skipped,
  unavailable: unavailable.map((c) => c.name),
  ...(instructionSamples.length ? { instructions: summarizeInstructions(instructionSamples, instructionSeconds)! } : {}),
  inProcess,
  login,
};

const table = markdown(report);
console.log(`\n${table}`);
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'latest.md'), `${table}\n![Server CPU added per request](chart.svg)\n`);
writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify({ report, rounds: runs, ...(instructionSamples.length ? { instructions: instructionSamples } : {}) }, null, 2)}\n`);
writeFileSync(join(outDir, 'chart.svg'), svgChart(report));
writeFileSync(join(outDir, 'report.html'), reportHtml(report, runs));
console.log(`Written: ${['latest.md', 'latest.json', 'chart.svg', 'report.html'].map((f) => shownPath(join(outDir, f))).join(', ')}`);
