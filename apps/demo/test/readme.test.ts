import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const README = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'authbench-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The ```sh blocks of the section under `heading`. */
function shellBlocks(heading: string): string[] {
  const start = README.indexOf(`\n${heading}\n`);
  const end = README.indexOf('\n## ', start + heading.length + 2);
  const section = README.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** `A=1 B=2 npm start` → { A: '1', B: '2' }. */
function startEnv(block: string): Record<string, string> {
  const line = block.split('\n').find((l) => /npm start\b/.test(l));
  if (!line) throw new Error(`no npm start line in: ${block}`);
  return Object.fromEntries([...line.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
}

/**
 * The outputs a block promises: comment lines right below a command (a comment
 * after a blank line is prose). Random parts match any value of their shape:
 * runs of 15 or more hex digits, and ISO-8601 times. A trailing
 * "(yours differs...)" is commentary.
 */
function promisedOutputs(block: string): RegExp[] {
  const outputs: RegExp[] = [];
  let afterCommand = false;
  for (const line of block.split('\n')) {
    if (line.startsWith('# ') && afterCommand) {
      const text = line.slice(2).replace(/\s+\(yours differs[^)]*\)$/, '');
      const pattern = text
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\\\.\d+)?Z/g, '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z')
        .replace(/[0-9a-f]{15,}/g, (hex) => `[0-9a-f]{${hex.length}}`);
      outputs.push(new RegExp(pattern));
    } else {
      afterCommand = line.trim() !== '' && !line.startsWith('#');
    }
  }
  return outputs;
}

async function startDemo(env: Record<string, string>, name: string) {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env['PATH'] ?? '', ...env, PORT: '0', DATABASE_PATH: join(dir, `${name}.sqlite3`) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (c) => (stdout += String(c)));
  while (!/Listening on (\S+)/.test(stdout)) {
    if (child.exitCode !== null) throw new Error('the demo exited before listening');
    await new Promise((r) => setTimeout(r, 20));
  }
  return { origin: /Listening on (\S+)/.exec(stdout)![1]!, stop: () => child.kill('SIGTERM') };
}

describe('README walkthroughs work as printed, with curl against the built demo', () => {
  // [case, section, its block that starts the demo, its blocks run in order, outputs they promise]
  it.each([
    ['token', '## Walkthrough (token)', 0, [1], 7],
    ['knox', '## Walkthrough (knox)', 0, [1], 12],
    ['jwt, HS256', '## Walkthrough (jwt)', 0, [1], 8],
    ['jwt, ES256', '## Walkthrough (jwt)', 2, [1, 3], 11],
    ['session', '## Walkthrough (session)', 0, [1], 6],
  ])('%s', async (name, heading, startBlock, runBlocks, promised) => {
    const blocks = shellBlocks(heading);
    const demo = await startDemo(startEnv(blocks[startBlock]!), name.replace(/\W+/g, '-'));
    try {
      const walkthrough = runBlocks.map((i) => blocks[i]!).join('\n');
      const expected = promisedOutputs(walkthrough);
      expect(expected).toHaveLength(promised);
      // A clean shell: no start-up file and no exported variable of this one leaks in.
      const run = spawnSync('bash', ['--norc', '--noprofile', '-e', '-o', 'pipefail', '-c', walkthrough.replaceAll('http://127.0.0.1:8000', demo.origin)], {
        encoding: 'utf8',
        env: { PATH: process.env['PATH'] ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      let rest = run.stdout;
      for (const pattern of expected) {
        const match = pattern.exec(rest);
        expect(match, `README promises ${pattern} in: ${rest}`).not.toBeNull();
        rest = rest.slice(match!.index + match![0].length);
      }
    } finally {
      demo.stop();
    }
  });
});
