import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../src/http/suite.js';
import { escapeHtml, reportHtml, resultsOf } from '../src/report-html.js';
import type { Report, RunSummary } from '../src/report.js';

const file = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));
const REGENERATE = 'run npm run -w @authbench/benchmarks choose';
const latest = (): unknown => JSON.parse(readFileSync(file('../results/latest.json'), 'utf8'));

/** A summary row: what the page reads of one configuration. */
function row(name: string, ratio: [number, number, number], authMicros: number, more: Partial<RunSummary> = {}): RunSummary {
  const [min, median, max] = ratio;
  return {
    name,
    kind: 'scheme',
    family: name.split(',')[0]!,
    storage: 'sqlite',
    rejected: false,
    requestsPerSecond: 1000 * median,
    p50: 15,
    p99: 30,
    ratio: { median, min, max },
    authMicros,
    readsPerRequest: 1,
    writesPerRequest: 0,
    redisCommandsPerRequest: 0,
    storeMicros: 0,
    redone: 0,
    ...more,
  };
}

const baseline = (storage: RunSummary['storage'], name: string) => row(name, [1, 1, 1], 0, { kind: 'baseline', family: 'none', storage, readsPerRequest: 0 });
const XSS = '<img src=x onerror=alert(1)>';

/** Two SQLite schemes, a peer, one PostgreSQL variant, one in-process size and the login. */
const small = (): Report => ({
  date: '2026-11-22 12:00 UTC',
  machine: `a "test" machine & 'co'`,
  pinning: 'not pinned',
  method: 'paired rounds',
  quick: false,
  http: [
    baseline('sqlite', 'no auth (baseline)'),
    row('token', [0.9, 0.92, 0.95], 25),
    row(`token, ${XSS}`, [0.5, 0.6, 0.7], 80, { rejected: true }),
    row('peer: passport-http-bearer', [0.64, 0.65, 0.66], 165, { kind: 'peer' }),
    baseline('postgres', 'no auth (baseline), PostgreSQL'),
    row('token, PostgreSQL', [0.6, 0.65, 0.7], 190, { storage: 'postgres', storeMicros: 160 }),
  ],
  inProcess: [
    {
      credentials: 1000,
      cases: [{ name: 'token authenticate()', nsPerCall: { median: 8253, min: 6892, max: 11663 }, readsPerCall: 1, writesPerCall: 0 }],
    },
  ],
  login: { perSecond: 28.2, msEach: 35.4, parameters: 'Argon2id m=19 MiB, t=2, p=1' },
});

/** token's raw rounds: auth µs 20 and 30 over its two pairs. */
const rounds: RunResult[] = [
  {
    name: 'token',
    kind: 'scheme',
    family: 'token',
    rejected: false,
    status: 200,
    pairs: [20, 30].map((auth) => {
      const round = { requestsPerSecond: 1000, p50: 15, p99: 30, responses: 1000, reads: 1000, writes: 0, otherCores: 0, redone: 0 };
      return { baseline: { ...round, cpuMicrosPerRequest: 300 }, subject: { ...round, cpuMicrosPerRequest: 300 + auth } };
    }),
  },
];

const sectionIds = (html: string) => [...html.matchAll(/<section id="([^"]+)">/g)].map((m) => m[1]);
const count = (html: string, pattern: RegExp) => html.match(pattern)?.length ?? 0;
/** A section's HTML, from its opening tag to its close. */
const section = (html: string, id: string) => html.slice(html.indexOf(`<section id="${id}">`), html.indexOf('</section>', html.indexOf(`<section id="${id}">`)));

/** Nothing fetched: no script, no URL to load from, no style that fetches. */
function expectSelfContained(html: string) {
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
  expect(html).not.toMatch(/https?:\/\//i);
  expect(html).not.toMatch(/url\(|@import|@font-face/i);
  expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'`);
}

describe('reportHtml of a small report', () => {
  const html = reportHtml(small(), rounds);

  it('has a section per kind of data it holds, and none for the rest', () => {
    expect(sectionIds(html)).toEqual(['cost', 'credentials', 'storage', 'peers', 'also']);
    expect(html).toContain('<h2>Cost at 10³ credentials</h2>');
    expect(html).not.toContain('id="instructions"');
    expect(html).not.toContain('id="instances"');
  });

  it('shows the figures: ratio with its range, auth µs with the pairs\' range from the rounds, µs per call', () => {
    const cost = section(html, 'cost');
    expect(cost).toContain('<td class="num">0.92× (0.90–0.95)</td><td class="num">25.0 (20.0–30.0)</td>');
    // Without rounds, the median alone.
    expect(cost).toContain('<td class="num">0.65× (0.64–0.66)</td><td class="num">165.0</td>');
    expect(section(html, 'credentials')).toContain('<td class="num">8.3 (6.9–11.7)</td>');
    expect(section(html, 'storage')).toContain('<td>token, PostgreSQL</td>');
    expect(section(html, 'peers')).toContain('<td class="num">1.42×</td>');
    expect(section(html, 'also')).toContain('28.2 logins/s on one core');
  });

  it('draws a bar per configuration (the baselines are the 1.0 line), and a bar per size for each in-process case', () => {
    expect(count(section(html, 'cost'), /<rect class="bar"/g)).toBe(3);
    expect(count(section(html, 'cost'), /class="reference"/g)).toBe(1);
    expect(count(section(html, 'credentials'), /<rect class="bar"/g)).toBe(1);
    // token on SQLite beside token on PostgreSQL.
    expect(count(section(html, 'storage'), /<rect class="bar"/g)).toBe(2);
    expect(count(section(html, 'cost'), /class="whisker"/g)).toBe(3);
  });

  it('escapes every text from the results', () => {
    expect(escapeHtml(`& < > " '`)).toBe('&amp; &lt; &gt; &quot; &#39;');
    expect(html).not.toContain(XSS);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain('<td>token, &lt;img src=x onerror=alert(1)&gt;</td>');
    expect(html).toContain('data-row="token, &lt;img src=x onerror=alert(1)&gt;"');
    expect(html).toContain('a &quot;test&quot; machine &amp; &#39;co&#39;');
  });

  it('is self-contained', () => expectSelfContained(html));

  it('leaves out what a partial run did not measure', () => {
    const inProcessOnly = reportHtml({ ...small(), http: [], login: null });
    expect(sectionIds(inProcessOnly)).toEqual(['credentials']);
    expect(count(inProcessOnly, /<svg /g)).toBe(1);
    const quick = reportHtml({ ...small(), quick: true });
    expect(quick).toContain('<strong>--quick</strong>: this run checks the harness');
  });
});

describe('the committed report.html', () => {
  const { report, rounds } = resultsOf(latest());
  const html = reportHtml(report, rounds);

  it('is what results/latest.json renders', () => {
    expect(readFileSync(file('../results/report.html'), 'utf8'), REGENERATE).toBe(html);
  });

  it('renders the same twice (nothing of today in it)', () => {
    const again = resultsOf(latest());
    expect(reportHtml(again.report, again.rounds)).toBe(html);
  });

  it('has every section of the full run, with its key figures', () => {
    expect(sectionIds(html)).toEqual(['cost', 'credentials', 'storage', 'peers', 'instances', 'also']);
    expect(html).toContain('<h2>Cost against 10³…10⁶ credentials</h2>');
    expect(section(html, 'cost')).toContain('<td>token</td><td class="num">6,133</td><td class="num">5</td><td class="num">24</td><td class="num">0.82× (0.66–1.18)</td><td class="num">26.7 (-27.0–67.2)</td>');
    expect(section(html, 'credentials')).toContain('<td>token authenticate()</td><td class="num">4.7 (4.7–4.8)</td><td class="num">6.5 (6.5–6.9)</td><td class="num">7.8 (7.6–8.2)</td><td class="num">1.65×</td>');
    expect(section(html, 'storage')).toContain('<td>token, PostgreSQL + Redis cache</td><td class="num">7,816</td>');
    expect(section(html, 'peers')).toContain('<td>jwt HS256, stateless</td><td>express-jwt HS256</td><td class="num">3.35×</td>');
    expect(section(html, 'instances')).toContain('<td class="num">1.27× (1.10–1.30)</td>');
  });

  it('draws a bar per SQLite configuration, per case and size, and per configuration and storage', () => {
    const configurations = (id: string) => count(section(html, id), /<tr>/g) - 1; // less the header row; baselines' rows have a class
    expect(count(section(html, 'cost'), /<rect class="bar"/g)).toBe(configurations('cost'));
    expect(configurations('cost')).toBe(report.http.filter((r) => r.storage === 'sqlite' && r.kind !== 'baseline').length);
    expect(count(section(html, 'credentials'), /<rect class="bar"/g)).toBe(report.inProcess.length * report.inProcess[0]!.cases.length);
    expect(count(section(html, 'storage'), /<rect class="bar"/g)).toBe(configurations('storage'));
  });

  it('is self-contained', () => expectSelfContained(html));
});
