import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { ChildMessage, SampleMessage } from './protocol.js';

/** A server under test, in its own process (on its own core when pinned). */
export interface ServerProcess {
  readonly name: string;
  readonly port: number;
  /** The server's process id (valgrind's, when it runs under valgrind: the same process). */
  readonly pid: number;
  /** The server's CPU time and statement counts so far. */
  sample(): Promise<SampleMessage>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

export interface StartOptions {
  /** A command the server runs under, such as valgrind and its options (after taskset, before node). */
  readonly wrapper?: readonly string[];
  /** Options for node itself, before the entry. */
  readonly nodeOptions?: readonly string[];
  /** How long it may take to listen (default 30 s; a server under valgrind needs more). */
  readonly startTimeoutMs?: number;
}

/**
 * Starts `entry` (built JavaScript) with `env` added to this process's
 * environment and NODE_ENV=production, pinned to `core` (a core or a
 * taskset list such as "0-1") when given, and resolves once it listens.
 * Its stderr is kept to explain a failure.
 */
export async function startServer(
  name: string,
  entry: string,
  env: Record<string, string>,
  core: number | string | null,
  options: StartOptions = {},
): Promise<ServerProcess> {
  const args = [...(options.wrapper ?? []), process.execPath, ...(options.nodeOptions ?? []), entry];
  const startTimeoutMs = options.startTimeoutMs ?? START_TIMEOUT_MS;
  const [command, ...rest] = core === null ? args : ['taskset', '-c', String(core), ...args];
  const child: ChildProcess = spawn(command!, rest, {
    env: { ...process.env, ...env, NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`did not listen within ${startTimeoutMs / 1000} s`)), startTimeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill();
      reject(new Error(`${name}: ${error.message}${stderr ? `\n${stderr.trim()}` : ''}`));
    };
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`exited with code ${code} before listening`)));
    child.on('message', (message: ChildMessage) => {
      if (message.type !== 'listening') return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve(message.port);
    });
  });

  return {
    name,
    port,
    pid: child.pid!,
    sample: () =>
      new Promise<SampleMessage>((resolve, reject) => {
        if (!child.connected) return reject(new Error(`${name}: the server has exited${stderr ? `\n${stderr.trim()}` : ''}`));
        const onMessage = (message: ChildMessage) => {
          if (message.type !== 'sample') return;
          child.off('message', onMessage);
          resolve(message);
        };
        child.on('message', onMessage);
        child.send({ type: 'sample' });
      }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), startTimeoutMs === START_TIMEOUT_MS ? 5000 : 60_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
