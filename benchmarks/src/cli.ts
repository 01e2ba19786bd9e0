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
 * --skip-http, --skip-two-instances, --skip-in-process, --out DIR.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { runTwoInstances, type InstancesResult } from './http/instances.js';
import { DEFAULT_URLS, probePostgres, probeRedis, STORAGE_LABEL, STORAGES, type Storage } from './http/storage.js';
import { runHttpSuite, selectConfigs, type RunResult } from './http/suite.js';
import { createWorkspace } from './http/workspace.js';
import { runInProcess, type InProcessSize, type LoginResult } from './in-process.js';
import { describeMachine, pinCores } from './machine.js';
import { markdown, summarize, summarizeInstances, svgChart, type Report } from './report.js';
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
    storage: { type: 'string', default: 'all' },
    'database-url': { type: 'string', default: DEFAULT_URLS.postgres },
    'redis-url': { type: 'string', default: DEFAULT_URLS.redis },
    'skip-http': { type: 'boolean', default: false },
    'skip-two-instances': { type: 'boolean', default: false },
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
const outDir = values.out ?? (quick ? join(tmpdir(), 'authbench-bench-quick') : fileURLToPath(new URL(resultsDir, import.meta.url)));

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
if (!values['skip-http']) {
  const remote = selectConfigs(values.only, storages).some((c) => c.storage !== 'sqlite');
  const workspace = await createWorkspace(users, {
    postgres: remote ? values['database-url'] : undefined,
    redis: remote && storages.includes('redis') ? values['redis-url'] : undefined,
  });
  // An interrupted run still drops its schema and its Redis keys.
  const onSignal = () => void workspace.remove().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
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
      storages,
      progress,
    });
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
