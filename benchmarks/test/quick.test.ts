import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIGS } from '../src/http/configs.js';

const CLI = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));

/**
 * `npm run bench -- --quick` on the built JavaScript: every configuration
 * starts, answers 200 to its credentials and its refusal status to forged
 * ones, and the report files are written. No speed is asserted.
 */
describe('bench --quick', () => {
  const out = mkdtempSync(join(tmpdir(), 'authbench-quick-test-'));
  let stdout = '';
  let json: { report: { http: { name: string; kind: string; readsPerRequest: number }[]; inProcess: { cases: { name: string; readsPerCall: number }[] }[] }; rounds: unknown[] };

  beforeAll(async () => {
    ({ stdout } = await promisify(execFile)(process.execPath, [CLI, '--quick', '--out', out], {
      env: { ...process.env, NODE_ENV: 'production' },
      maxBuffer: 16 * 1024 * 1024,
    }));
    json = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'));
  }, 300_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('measures every configuration, its refused-credential run where it has one, and the baseline', () => {
    const expected = [
      'no auth (baseline)',
      ...CONFIGS.flatMap((c) => (c.timeRejected ? [c.name, `${c.name}, refused credential`] : [c.name])),
    ];
    expect(json.report.http.map((r) => r.name)).toEqual(expected);
    expect(json.rounds).toHaveLength(expected.length - 1);
  });

  it('counts the statements each configuration runs: one read for a token lookup, none for the baseline or stateless jwt', () => {
    const row = (name: string) => json.report.http.find((r) => r.name === name)!;
    expect(row('no auth (baseline)').readsPerRequest).toBe(0);
    expect(row('jwt HS256, stateless').readsPerRequest).toBe(0);
    expect(row('token').readsPerRequest).toBeGreaterThanOrEqual(1);
    expect(row('token').readsPerRequest).toBeLessThan(1.1);
  });

  it('times every in-process case with its reads per call', () => {
    const cases = json.report.inProcess[0]!.cases;
    expect(cases.map((c) => c.name)).toContain('token authenticate()');
    expect(cases.find((c) => c.name === 'token authenticate()')!.readsPerCall).toBe(1);
    expect(cases.find((c) => c.name === 'jwt authenticate(), HS256, stateless')!.readsPerCall).toBe(0);
  });

  it('prints the table and writes the markdown and the chart', () => {
    expect(stdout).toContain('| configuration | req/s | p50 ms | p99 ms | paired ratio (min–max) | auth µs/request | reads / writes per request |');
    expect(readFileSync(join(out, 'latest.md'), 'utf8')).toContain('| token |');
    expect(readFileSync(join(out, 'chart.svg'), 'utf8')).toMatch(/^<svg [^>]*>/);
  });
});
