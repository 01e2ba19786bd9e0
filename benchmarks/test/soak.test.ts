import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeMemory, interleave, type MemorySample, type SchemeSoak } from '../src/soak-run.js';

const SOAK = fileURLToPath(new URL('../dist/src/soak.js', import.meta.url));

/**
 * `npm run soak` on the built JavaScript, two seconds of the two schemes with
 * the most moving parts (refresh rotation; cookies and CSRF): every kind of
 * request gets its status, nothing answers 5xx. No speed or memory is
 * asserted (two seconds say nothing about either).
 */
describe('soak, briefly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'authbench-soak-test-'));
  let stdout = '';
  let results: SchemeSoak[];

  beforeAll(async () => {
    ({ stdout } = await promisify(execFile)(process.execPath, [SOAK, '--seconds', '2', '--only', 'jwt', '--only', 'session', '--connections', '10', '--json', join(dir, 'soak.json')], {
      env: { ...process.env, NODE_ENV: 'production' },
    }));
    results = (JSON.parse(readFileSync(join(dir, 'soak.json'), 'utf8')) as { results: SchemeSoak[] }).results;
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers every request with the status expected for its kind, and never 5xx', () => {
    expect(results.map((r) => r.scheme)).toEqual(['jwt', 'session']);
    for (const r of results) {
      expect(r.requests).toBeGreaterThan(0);
      expect({ scheme: r.scheme, errors: r.errors, serverErrors: r.serverErrors, serverFailure: r.serverFailure }).toEqual({ scheme: r.scheme, errors: 0, serverErrors: 0, serverFailure: null });
      expect(r.kinds.filter((k) => k.wrong > 0)).toEqual([]);
      expect(r.ok).toBe(true);
    }
  });

  it('mixes valid, invalid and revoked credentials, and POSTs', () => {
    const kinds = (scheme: string) => results.find((r) => r.scheme === scheme)!.kinds.map((k) => `${k.method} ${k.name} ${k.expected}`);
    expect(kinds('jwt')).toEqual(
      expect.arrayContaining(['GET valid 200', 'GET expired 401', 'GET forged, right shape 401', 'POST rotated (spent) refresh token 401', 'POST refresh token of a logged-out login 401']),
    );
    expect(kinds('session')).toEqual(
      expect.arrayContaining(['GET valid 200', 'GET revoked: logout 403', 'GET revoked: logoutall 403', 'GET expired 403', 'POST valid session, no CSRF token 403']),
    );
  });

  it('samples the server memory, and does not judge it in a short run', () => {
    for (const r of results) {
      expect(r.samples.length).toBeGreaterThan(0);
      expect(r.samples.every((s) => s.rss > 0 && s.heapUsed > 0)).toBe(true);
      expect(r.memory.verdict).toBe('too short');
    }
  });

  it('prints the summary table and the mix', () => {
    expect(stdout).toContain('| scheme  |   time | requests | req/s | errors | 5xx | RSS MiB');
    expect(stdout).toMatch(/^\| jwt +\|.*\| ok +\|$/m);
    expect(stdout).toMatch(/^\| session +\|.*\| ok +\|$/m);
    expect(stdout).toContain('| GET /api/me: valid');
  });
});

describe('memory verdict', () => {
  const run = (mib: (t: number) => number): MemorySample[] =>
    Array.from({ length: 31 }, (_, i) => ({ seconds: i * 2, rss: mib(i * 2) * 2 ** 20, heapUsed: 20 * 2 ** 20 }));

  it('is flat when the last third is within tolerance of the first, whatever the warm-up did', () => {
    const report = analyzeMemory(run((t) => (t < 10 ? 60 + 5 * t : 120 + (t % 4))), 60);
    expect(report.verdict).toBe('flat');
    expect(report.warmupSeconds).toBe(10);
  });

  it('is growing when the last third is past 20 MiB and 10 % above the first', () => {
    const report = analyzeMemory(run((t) => 100 + t), 60);
    expect(report.verdict).toBe('growing');
    expect(report.rss.growth / 2 ** 20).toBeGreaterThan(20);
    expect(report.rss.slopePerMinute / 2 ** 20).toBeCloseTo(60);
  });

  it('is not judged in a run under 20 s', () => {
    expect(analyzeMemory(run((t) => 100 + 10 * t), 10).verdict).toBe('too short');
  });
});

describe('the mix', () => {
  it('sends each kind its weight per cycle, spread out', () => {
    const order = interleave([{ name: 'a', weight: 4 }, { name: 'b', weight: 2 }, { name: 'c', weight: 1 }, { name: 'd', weight: 1 }]).map((k) => k.name);
    expect(order).toHaveLength(8);
    expect(order.filter((n) => n === 'a')).toHaveLength(4);
    expect(order.join('')).not.toContain('aa');
  });
});
