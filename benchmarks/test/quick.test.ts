import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIGS, TWO_INSTANCE_CONFIGS } from '../src/http/configs.js';
import { STORAGES, type Storage } from '../src/http/storage.js';
import { baselineName } from '../src/report.js';

const CLI = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));

/**
 * `npm run bench -- --quick` on the built JavaScript: every configuration
 * starts, answers 200 to its credentials and its refusal status to forged
 * ones, and the report files are written. No speed is asserted. The
 * PostgreSQL and Redis variants need the servers this machine runs: without
 * them the CLI skips those variants and says why (printed here), except
 * under CI=true, where the run fails. The Django peers need Debian's Django
 * packages (`requires`): where they are not installed the run skips them
 * with one line, under CI=true too.
 */
describe('bench --quick', () => {
  const out = mkdtempSync(join(tmpdir(), 'authbench-quick-test-'));
  let stdout = '';
  let json: {
    report: {
      http: { name: string; kind: string; readsPerRequest: number; writesPerRequest: number; redisCommandsPerRequest: number }[];
      instances: { name: string; perInstance: [number, number]; oneRequestsPerSecond: number }[];
      storages: Storage[];
      skipped: string[];
      unavailable: string[];
      inProcess: { cases: { name: string; readsPerCall: number }[] }[];
    };
    rounds: unknown[];
  };
  const ran = (storage: Storage) => json.report.storages.includes(storage);

  beforeAll(async () => {
    ({ stdout } = await promisify(execFile)(process.execPath, [CLI, '--quick', '--out', out], {
      env: { ...process.env, NODE_ENV: 'production' },
      maxBuffer: 16 * 1024 * 1024,
    }));
    json = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'));
    for (const reason of json.report.skipped) console.warn(`bench --quick skipped ${reason}`);
  }, 600_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs the PostgreSQL and Redis variants, or says why not (and never skips them under CI)', () => {
    if (process.env['CI'] === 'true') expect(json.report.storages).toEqual(STORAGES);
    expect(json.report.storages).toContain('sqlite');
    const missingRequirements = new Set(CONFIGS.filter((c) => json.report.unavailable.includes(c.name)).map((c) => c.requires));
    expect(json.report.skipped).toHaveLength(STORAGES.length - json.report.storages.length + missingRequirements.size);
  });

  it('skips only configurations that require something, with one line saying how to install it', () => {
    for (const name of json.report.unavailable) expect(CONFIGS.find((c) => c.name === name)?.requires).toBeDefined();
    if (json.report.unavailable.length) {
      expect(json.report.skipped.filter((s) => s.includes('apt-get install python3-django'))).toHaveLength(1);
    }
  });

  it('measures every configuration, its refused-credential run where it has one, and a baseline per storage', () => {
    const expected = json.report.storages.flatMap((storage) => [
      baselineName(storage),
      ...CONFIGS.filter((c) => c.storage === storage && !json.report.unavailable.includes(c.name)).flatMap((c) => (c.timeRejected ? [c.name, `${c.name}, refused credential`] : [c.name])),
    ]);
    expect(json.report.http.map((r) => r.name)).toEqual(expected);
    expect(json.rounds).toHaveLength(expected.length - json.report.storages.length);
  });

  it('counts the statements each configuration runs: one read for a token lookup, none for the baseline or stateless jwt', () => {
    const row = (name: string) => json.report.http.find((r) => r.name === name)!;
    expect(row('no auth (baseline)').readsPerRequest).toBe(0);
    expect(row('jwt HS256, stateless').readsPerRequest).toBe(0);
    expect(row('token').readsPerRequest).toBeGreaterThanOrEqual(1);
    expect(row('token').readsPerRequest).toBeLessThan(1.1);
  });

  it('counts PostgreSQL statements and Redis commands for their variants', ({ skip }) => {
    if (!ran('postgres')) skip();
    const row = (name: string) => json.report.http.find((r) => r.name === name)!;
    expect(row(baselineName('postgres')).readsPerRequest).toBe(0);
    expect(row('token, PostgreSQL').readsPerRequest).toBeGreaterThanOrEqual(1);
    expect(row('token, PostgreSQL').writesPerRequest).toBe(0);
    expect(row('token, PostgreSQL').redisCommandsPerRequest).toBe(0);
    if (!ran('redis')) return;
    expect(row(baselineName('redis')).redisCommandsPerRequest).toBe(0);
    expect(row('token, PostgreSQL + Redis cache').redisCommandsPerRequest).toBeGreaterThanOrEqual(1);
    expect(row('session, PostgreSQL + Redis').redisCommandsPerRequest).toBeGreaterThanOrEqual(1);
  });

  it('loads one instance and then two on the same storage, both of them answering', ({ skip }) => {
    if (!ran('postgres')) skip();
    const expected = CONFIGS.filter((c) => TWO_INSTANCE_CONFIGS.includes(c.name) && ran(c.storage)).map((c) => c.name);
    expect(expected.length).toBeGreaterThanOrEqual(1);
    expect(json.report.instances.map((r) => r.name)).toEqual(expected);
    for (const r of json.report.instances) {
      expect(r.oneRequestsPerSecond).toBeGreaterThan(0);
      expect(r.perInstance.every((n) => n > 0)).toBe(true);
    }
  });

  it('times every in-process case with its reads per call', () => {
    const cases = json.report.inProcess[0]!.cases;
    expect(cases.map((c) => c.name)).toContain('token authenticate()');
    expect(cases.find((c) => c.name === 'token authenticate()')!.readsPerCall).toBe(1);
    expect(cases.find((c) => c.name === 'jwt authenticate(), HS256, stateless')!.readsPerCall).toBe(0);
  });

  it('prints the table and writes the markdown, the chart and the page', () => {
    expect(stdout).toContain('| configuration | req/s | p50 ms | p99 ms | paired ratio (min–max) | auth µs/request | reads / writes per request |');
    expect(readFileSync(join(out, 'latest.md'), 'utf8')).toContain('| token |');
    expect(readFileSync(join(out, 'chart.svg'), 'utf8')).toMatch(/^<svg [^>]*>/);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<section id="cost">');
  });
});
