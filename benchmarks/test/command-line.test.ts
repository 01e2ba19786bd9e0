import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { shownPath } from '../src/args.js';

const run = (script: string, args: string[]) =>
  promisify(execFile)(process.execPath, [fileURLToPath(new URL(`../dist/src/${script}.js`, import.meta.url)), ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );

describe('the command lines of bench and soak', () => {
  it.each(['cli', 'soak'])('%s --help prints the options and exits 0', async (script) => {
    const { code, stdout, stderr } = await run(script, ['--help']);
    expect([code, stderr]).toEqual([0, '']);
    expect(stdout).toMatch(new RegExp(`^usage: npm run ${script === 'cli' ? 'bench' : 'soak'} -- \\[options\\]`));
    expect(stdout).toContain('--help');
  });

  it.each([
    ['cli', 'bench'],
    ['soak', 'soak'],
  ])('%s answers an unknown option with one line and exit 2, no stack trace', async (script, command) => {
    const { code, stdout, stderr } = await run(script, ['--frobnicate']);
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr).toMatch(new RegExp(`^${command}: Unknown option '--frobnicate'.* \\(${command} --help lists the options\\)\\n$`));
    expect(stderr.split('\n')).toHaveLength(2);
  });
});

describe('shownPath', () => {
  it('is relative to where npm was run (INIT_CWD), not to the workspace folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'authbench-shown-'));
    const before = process.env['INIT_CWD'];
    try {
      process.env['INIT_CWD'] = dir;
      expect(shownPath(join(dir, 'results', 'latest.md'))).toBe('results/latest.md');
      expect(shownPath('/elsewhere/latest.md')).toBe('/elsewhere/latest.md');
    } finally {
      if (before === undefined) delete process.env['INIT_CWD'];
      else process.env['INIT_CWD'] = before;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
