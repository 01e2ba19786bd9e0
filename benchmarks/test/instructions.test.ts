import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseTotal, summarizeInstructions, type InstructionSample } from '../src/http/instructions.js';
import { markdown, summarize, type Report } from '../src/report.js';

const sample = (name: string, kind: InstructionSample['kind'], perRequest: number): InstructionSample => ({
  name,
  kind,
  family: kind === 'baseline' ? 'none' : 'token',
  requests: 2000,
  warmup: 2000,
  users: 1000,
  instructions: perRequest * 2000,
  perRequest,
  slices: [perRequest],
  seconds: 60,
});

describe('instructions per request', () => {
  it('reads the Ir total of a callgrind dump', () => {
    const dump = ['# callgrind format', 'version: 1', 'positions: line', 'events: Ir', 'summary: 0', '', 'fn=(1) main', '0 5', '', 'totals: 353288371', ''].join('\n');
    expect(parseTotal(dump)).toBe(353_288_371);
    expect(() => parseTotal(dump.replace('events: Ir', 'events: Ir Dr'))).toThrow(/Ir/);
    expect(() => parseTotal('events: Ir\n')).toThrow(/totals/);
  });

  it('subtracts the baseline counted in the same run, and gives the ratio', () => {
    const summary = summarizeInstructions([sample('no auth (baseline)', 'baseline', 700_000), sample('token', 'scheme', 770_000)], 130)!;
    expect(summary).toMatchObject({ requests: 2000, warmup: 2000, users: 1000, seconds: 130 });
    expect(summary.rows[0]).toMatchObject({ name: 'no auth (baseline)', authPerRequest: 0, ratio: 1 });
    expect(summary.rows[1]!.authPerRequest).toBe(70_000);
    expect(summary.rows[1]!.ratio).toBeCloseTo(1.1);
    expect(summarizeInstructions([sample('token', 'scheme', 1)], 1)).toBeUndefined();
  });

  it('puts a section in the markdown, and a column beside req/s', () => {
    const report: Report = {
      date: '2026-12-04 12:00 UTC',
      machine: 'm',
      pinning: 'p',
      method: 'method',
      quick: false,
      http: summarize([]),
      inProcess: [],
      login: null,
      instructions: summarizeInstructions([sample('no auth (baseline)', 'baseline', 700_000), sample('token', 'scheme', 770_000)], 130)!,
    };
    const text = markdown(report);
    expect(text).toContain('## Instructions per request (callgrind)');
    expect(text).toContain('| token | 770,000 | 70,000 | 1.10× |');
    expect(text).toContain('This measure took 130 s.');
  });
});

const hasValgrind = spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * `bench --quick --instructions` on the built JavaScript, for the token
 * scheme and the baseline only (Node under valgrind is 30–50× slower): both
 * servers start under callgrind, answer every counted request with 200, and
 * the counts reach the report. Skipped where valgrind is not installed.
 *
 * 100 counted requests are too few for the mean to settle: a garbage
 * collection in a slice of 20 adds 150,000 to 450,000 instructions per
 * request to that slice, and two or three fall within the 100. Collections
 * only add, so the test compares each server's quietest slice (here about
 * 600,000 for the baseline, 630,000 for token, with the other core busy or
 * not); the full run's 2,000 requests spread the collections evenly.
 */
describe.skipIf(!hasValgrind)('bench --quick --instructions', () => {
  it('counts the baseline and the token scheme, the scheme above the baseline', async () => {
    const out = mkdtempSync(join(tmpdir(), 'authbench-instructions-test-'));
    try {
      const cli = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
      await promisify(execFile)(process.execPath, [cli, '--quick', '--skip-http', '--skip-in-process', '--instructions', '--only', 'token', '--out', out], {
        env: { ...process.env, NODE_ENV: 'production' },
        maxBuffer: 16 * 1024 * 1024,
      });
      const json = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as {
        report: { instructions: { requests: number; warmup: number; rows: { name: string; perRequest: number }[] } };
        instructions: { name: string; slices: number[] }[];
      };
      const { rows, requests, warmup } = json.report.instructions;
      expect([requests, warmup]).toEqual([100, 2000]);
      expect(rows.map((r) => r.name)).toEqual(['no auth (baseline)', 'token']);
      // Node serving a request runs hundreds of thousands of instructions; a token lookup adds some tens of thousands.
      expect(rows[0]!.perRequest).toBeGreaterThan(100_000);
      const [baseline, token] = json.instructions.map((s) => Math.min(...s.slices));
      expect(json.instructions.map((s) => s.slices.length)).toEqual([5, 5]);
      expect(token! - baseline!).toBeGreaterThan(5_000);
      expect(readFileSync(join(out, 'latest.md'), 'utf8')).toContain('## Instructions per request (callgrind)');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 600_000);
});
