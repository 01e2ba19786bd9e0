import { describe, expect, it } from 'vitest';
import type { Pair, RoundSample, RunResult } from '../src/http/suite.js';
import { markdown, summarize, summarizeInstances, svgChart, targets, type Report } from '../src/report.js';

const sample = (requestsPerSecond: number, cpuMicrosPerRequest: number, extra: Partial<RoundSample> = {}): RoundSample => ({
  requestsPerSecond,
  p50: 15,
  p99: 30,
  responses: 1000,
  cpuMicrosPerRequest,
  reads: 1000,
  writes: 0,
  otherCores: 0,
  redone: 0,
  ...extra,
});
const pair = (baseline: number, subject: number, baselineCpu: number, subjectCpu: number): Pair => ({
  baseline: sample(baseline, baselineCpu, { reads: 0 }),
  subject: sample(subject, subjectCpu),
});
const run = (name: string, kind: 'scheme' | 'peer', pairs: Pair[], rejected = false): RunResult => ({
  name,
  kind,
  family: 'token',
  rejected,
  status: rejected ? 401 : 200,
  pairs,
});

const runs = [
  // Ratios 0.95, 0.90, 0.92 (median 0.92); CPU above baseline 20, 30, 25 (median 25).
  run('token', 'scheme', [pair(1000, 950, 300, 320), pair(2000, 1800, 300, 330), pair(1000, 920, 300, 325)]),
  run('peer: passport-http-bearer', 'peer', [pair(1000, 640, 300, 470), pair(1000, 660, 300, 460), pair(1000, 650, 300, 465)]),
  run('token, refused credential', 'scheme', [pair(1000, 980, 300, 305)], true),
];

const report = (): Report => ({
  date: '2026-11-22 12:00 UTC',
  machine: 'a <test> machine',
  pinning: 'not pinned',
  method: 'method',
  quick: false,
  http: summarize(runs),
  inProcess: [],
  login: null,
});

describe('summarize', () => {
  const rows = summarize(runs);

  it('puts the baseline first, from every pair', () => {
    expect(rows[0]).toMatchObject({ name: 'no auth (baseline)', kind: 'baseline', requestsPerSecond: 1000, authMicros: 0, readsPerRequest: 0 });
  });

  it('takes the median of the per-pair ratios, with their range', () => {
    expect(rows[1]!.ratio.median).toBeCloseTo(0.92);
    expect(rows[1]!.ratio.min).toBeCloseTo(0.9);
    expect(rows[1]!.ratio.max).toBeCloseTo(0.95);
  });

  it('gives auth µs as the median of CPU per request above the same pair’s baseline', () => {
    expect(rows[1]!.authMicros).toBe(25);
    expect(rows[1]!.readsPerRequest).toBe(1);
  });
});

describe('targets', () => {
  it('marks what is met and what is missed', () => {
    const list = targets(report());
    expect(list.find((t) => t.text === 'token ≥ 0.92× baseline')).toMatchObject({ measured: '0.92×' });
    // 0.92 ÷ 0.65 = 1.42: ahead of passport.
    expect(list.find((t) => t.text === 'token ≥ 1× passport-http-bearer')).toMatchObject({ measured: '1.42×', met: true });
    // Rows this run did not measure set no target.
    expect(list.some((t) => t.text.startsWith('knox'))).toBe(false);
  });
});

describe('markdown', () => {
  it('prints a row per configuration with ratio, auth µs and reads/writes', () => {
    const text = markdown(report());
    expect(text).toContain('| token | 950 | 15 | 30 | 0.92× (0.90–0.95) | 25.0 | 1.00 / 0 |');
    expect(text).toContain('| token | passport-http-bearer | 1.42× | 25.0 / 165.0 |');
    expect(text).toMatch(/\| token ≥ 0\.92× baseline \| 0\.92× \| (met|\*\*missed\*\*) \|/);
    expect(text).toContain('| token ≥ 1× passport-http-bearer | 1.42× | met |');
  });
});

describe('svgChart', () => {
  it('draws a bar per configuration, not the baseline, and escapes text', () => {
    const svg = svgChart(report());
    expect(svg.match(/<rect x="300"/g)).toHaveLength(3);
    expect(svg).toContain('a &lt;test&gt; machine');
    expect(svg).not.toContain('no auth (baseline)');
  });
});

describe('the PostgreSQL and Redis variants', () => {
  const remote = (name: string, storage: 'postgres' | 'redis', redisCommands: number): RunResult => ({
    ...run(name, 'scheme', [pair(1000, 800, 300, 340)]),
    storage,
    pairs: [{ baseline: sample(1000, 300, { reads: 0 }), subject: sample(800, 340, { redisCommands, storeMicrosPerRequest: 55 }) }],
  });
  const rows = summarize([...runs, remote('token, PostgreSQL', 'postgres', 0), remote('token, PostgreSQL + Redis cache', 'redis', 1000)]);

  it('gives each storage its own baseline row, after the SQLite rows', () => {
    expect(rows.map((r) => r.name)).toEqual([
      'no auth (baseline)',
      'token',
      'peer: passport-http-bearer',
      'token, refused credential',
      'no auth (baseline), PostgreSQL',
      'token, PostgreSQL',
      'no auth (baseline), PostgreSQL + Redis',
      'token, PostgreSQL + Redis cache',
    ]);
  });

  it('prints them in their own table with the database servers’ CPU and the Redis commands, and keeps them off the chart and the targets', () => {
    const r: Report = { ...report(), http: rows, instances: [], skipped: ['the PostgreSQL + Redis configurations: Redis does not answer'] };
    const text = markdown(r);
    expect(text).toContain('| token, PostgreSQL + Redis cache | 800 | 15 | 30 | 0.80× (0.80–0.80) | 40.0 | 55.0 | 1.00 / 0 | 1.00 |');
    expect(text).toContain('Skipped: the PostgreSQL + Redis configurations: Redis does not answer.');
    expect(svgChart(r)).not.toContain('PostgreSQL');
    expect(targets(r).some((t) => t.text.includes('PostgreSQL'))).toBe(false);
  });

  it('summarizes two instances against one as the per-pair ratio of their req/s', () => {
    const one = { requestsPerSecond: 1000, p50: 1, p99: 2, responses: 4000 };
    const [s] = summarizeInstances([
      {
        name: 'token, PostgreSQL',
        storage: 'postgres',
        pairs: [
          { one, two: [{ ...one, requestsPerSecond: 600 }, { ...one, requestsPerSecond: 500 }], oneBusyCores: 1.9, twoBusyCores: 2 },
          { one: { ...one, requestsPerSecond: 900 }, two: [{ ...one, requestsPerSecond: 450 }, { ...one, requestsPerSecond: 450 }], oneBusyCores: 1.9, twoBusyCores: 2 },
        ],
      },
    ]);
    expect(s!.ratio.min).toBeCloseTo(1.0);
    expect(s!.ratio.max).toBeCloseTo(1.1);
    expect(markdown({ ...report(), instances: [s!] })).toContain('| token, PostgreSQL | 950 | 1,000 (525 + 475) | 1.05× (1.00–1.10) | 1.90 / 2.00 |');
  });
});
