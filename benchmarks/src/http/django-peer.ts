/**
 * The Django packages as peers: DRF's TokenAuthentication, simplejwt's
 * JWTAuthentication and DRF's SessionAuthentication, as Debian packages them
 * (benchmarks/peers/django/), served by gunicorn with one sync worker on the
 * same pinned core as our servers. Optional: they run only where
 * /usr/bin/python3 imports Django, DRF, simplejwt and gunicorn; nothing in
 * `npm test` or CI needs them. knox is not packaged in Debian, so it has no
 * Django peer here.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { SampleMessage } from './protocol.js';
import type { ServerProcess } from './server-process.js';
import type { Workspace } from './workspace.js';

/** What a configuration needs beyond Node, and how to get it. */
export interface Requirement {
  /** One line: what is missing and the command that installs it. */
  readonly missing: string;
  /** Whether it is there (asked once per process). */
  available(): boolean;
}

export const DJANGO_DIR = fileURLToPath(new URL('../../../peers/django/', import.meta.url));
/** Debian's interpreter, not whichever python3 comes first in PATH (pyenv's has none of these packages). */
const PYTHON = process.env['BENCH_DJANGO_PYTHON'] ?? '/usr/bin/python3';
const PACKAGES = 'python3-django python3-djangorestframework python3-djangorestframework-simplejwt gunicorn';

let available: boolean | undefined;
export const DJANGO: Requirement = {
  missing: `the Django peers need Debian's ${PACKAGES.split(' ').join(', ')} for ${PYTHON}: apt-get install ${PACKAGES}`,
  available() {
    available ??=
      spawnSync(PYTHON, ['-c', 'import django, rest_framework, rest_framework_simplejwt'], { stdio: 'ignore' }).status === 0 &&
      spawnSync(PYTHON, ['-m', 'gunicorn', '--version'], { stdio: 'ignore' }).status === 0;
    return available;
  },
};

export type DjangoScheme = 'token' | 'jwt' | 'session';

const run = promisify(execFile);
const databases = new Map<string, Promise<string>>();

/** Django's own SQLite file in the workspace, migrated, with the workspace's users (same names, order and password). */
function djangoDatabase(w: Workspace): Promise<string> {
  let ready = databases.get(w.dir);
  if (!ready) {
    const path = join(w.dir, 'django-peer.sqlite3');
    ready = (async () => {
      const env = djangoEnv(path, 'token', w);
      await run(PYTHON, ['manage.py', 'migrate', '--verbosity', '0'], { cwd: DJANGO_DIR, env });
      const { stdout } = await run(PYTHON, ['manage.py', 'bench_users', String(w.users.length), w.password], { cwd: DJANGO_DIR, env });
      if (stdout.trim() !== `${w.users.length} users`) throw new Error(`Django peer: bench_users said "${stdout.trim()}"`);
      return path;
    })();
    databases.set(w.dir, ready);
  }
  return ready;
}

function djangoEnv(database: string, scheme: DjangoScheme, w: Workspace): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PYTHONDONTWRITEBYTECODE: '1', // no __pycache__ in the source tree
    DJANGO_SETTINGS_MODULE: 'authpeer.settings',
    AUTHPEER_SCHEME: scheme,
    AUTHPEER_DATABASE: database,
    AUTHPEER_SECRET_KEY: w.sessionSecret,
    AUTHPEER_JWT_SIGNING_KEY: w.jwtSecret,
  };
}

const START_TIMEOUT_MS = 30_000;

/**
 * gunicorn with one sync worker serving the Django peer for `scheme`, pinned
 * to `core` like our servers, resolved once the worker answers. Between
 * rounds the harness samples the worker's CPU time and counters over HTTP
 * (`/__bench__/sample`, which counts itself in neither), as it asks our
 * servers over IPC.
 */
export async function startDjangoPeer(name: string, scheme: DjangoScheme, w: Workspace, core: number | string | null): Promise<ServerProcess> {
  const database = await djangoDatabase(w);
  const args = [PYTHON, '-m', 'gunicorn', '--bind', '127.0.0.1:0', '--workers', '1', '--worker-class', 'sync', '--log-level', 'info', 'authpeer.wsgi'];
  const [command, ...rest] = core === null ? args : ['taskset', '-c', String(core), ...args];
  const child: ChildProcess = spawn(command!, rest, { cwd: DJANGO_DIR, env: djangoEnv(database, scheme, w), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const fail = (why: string) => new Error(`${name}: ${why}${stderr ? `\n${stderr.trim()}` : ''}`);
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-8000)));
  const exited = once(child, 'exit').catch(() => {});

  const deadline = Date.now() + START_TIMEOUT_MS;
  let port = 0;
  try {
    // gunicorn logs the port it bound; the worker loads Django after that, so wait for an answer too.
    for (;;) {
      if (child.exitCode !== null) throw fail(`gunicorn exited with code ${child.exitCode} before answering`);
      if (Date.now() > deadline) throw fail('did not answer within 30 s');
      port ||= Number(/Listening at: http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)?.[1] ?? 0);
      if (port && (await fetch(`http://127.0.0.1:${port}/__bench__/sample`).then((r) => r.ok, () => false))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    child.kill('SIGINT');
    throw error;
  }

  return {
    name,
    port,
    pid: child.pid!,
    async sample(): Promise<SampleMessage> {
      const response = await fetch(`http://127.0.0.1:${port}/__bench__/sample`).catch((error: Error) => {
        throw fail(`no sample: ${error.message}`);
      });
      const s = (await response.json()) as { cpuMicros: number; served: number; reads: number; writes: number; rss: number };
      return { type: 'sample', cpuMicros: s.cpuMicros, served: s.served, reads: s.reads, writes: s.writes, redisCommands: 0, rss: s.rss, heapUsed: 0 };
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // SIGINT: gunicorn's quick shutdown; its worker goes with it.
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
