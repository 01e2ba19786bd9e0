import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  TABLE_END,
  TABLE_START,
  markedTable,
  parseResults,
  rankSchemes,
  renderGuide,
  renderReadmeTable,
  replaceReadmeTable,
} from '../src/choosing.js';

const file = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));
const REGENERATE = 'run npm run -w @authbench/benchmarks choose';
const latest = () => JSON.parse(readFileSync(file('../results/latest.json'), 'utf8')) as { report: Record<string, unknown>; rounds: unknown[] };

describe('the committed guide and README table', () => {
  const results = parseResults(latest());

  it('docs/choosing.md is what latest.json renders', () => {
    const committed = readFileSync(file('../../docs/choosing.md'), 'utf8');
    expect(committed, REGENERATE).toBe(renderGuide(results));
  });

  it("the README's marked table is what latest.json renders", () => {
    const readme = readFileSync(file('../../README.md'), 'utf8');
    const table = markedTable(readme);
    expect(table !== undefined, `README.md has no ${TABLE_START} … ${TABLE_END}: ${REGENERATE}`).toBe(true);
    expect(table, REGENERATE).toBe(renderReadmeTable(results));
  });

  it('renders the same twice (nothing of today in it)', () => {
    expect(renderGuide(parseResults(latest()))).toBe(renderGuide(results));
  });
});

describe('the guide follows the numbers', () => {
  /** latest.json with token's and session's SQLite figures swapped. */
  function swapped() {
    const json = latest();
    const http = json.report['http'] as { name: string; authMicros: number; ratio: unknown }[];
    const token = http.find((r) => r.name === 'token')!;
    const session = http.find((r) => r.name === 'session')!;
    [token.authMicros, session.authMicros] = [session.authMicros, token.authMicros];
    [token.ratio, session.ratio] = [session.ratio, token.ratio];
    return json;
  }

  it('opens with the cheapest scheme on SQLite, from the data', () => {
    const firstLine = (guide: string) => guide.split('\n').find((l) => l.startsWith('**'))!;
    expect(firstLine(renderGuide(parseResults(latest())))).toMatch(/^\*\*On SQLite, `token` costs least per request\*\*: 26\.7 µs/);
    expect(firstLine(renderGuide(parseResults(swapped())))).toMatch(/^\*\*On SQLite, `session` costs least per request\*\*: 26\.7 µs/);
  });

  it('ranks by auth µs per request', () => {
    const ranked = rankSchemes(parseResults(latest()), 'sqlite');
    const micros = ranked.map((r) => r.row.authMicros);
    expect(micros).toEqual([...micros].sort((a, b) => a - b));
    expect(ranked.map((r) => r.scheme).sort()).toEqual(['jwt', 'knox', 'session', 'token']);
  });

  it('tolerates fields it does not know, and shows instructions per request when the results hold them', () => {
    const json = latest();
    json.report['instructions'] = {
      requests: 2000,
      rows: [{ name: 'token', kind: 'scheme', perRequest: 123456, authPerRequest: 23456, ratio: 0.8 }],
    };
    json.report['somethingNew'] = { anything: [1, 2, 3] };
    const guide = renderGuide(parseResults(json));
    expect(guide).toContain('instructions per request (auth)');
    expect(guide).toContain('| 123,456 (23,456) |');
  });

  it('leaves the storage variants out when the results hold none', () => {
    const json = latest();
    json.report['http'] = (json.report['http'] as { storage: string }[]).filter((r) => r.storage === 'sqlite');
    json.report['instances'] = [];
    const results = parseResults(json);
    expect(renderReadmeTable(results).split('\n')[0]).toBe('| `GET /api/me` | SQLite file |');
    expect(renderGuide(results)).not.toContain('## Across storages');
  });
});

describe('replaceReadmeTable', () => {
  const table = '| `GET /api/me` | SQLite file |\n|---|---:|\n| `token` | 0.90× |';
  const readme = [
    '# x',
    '',
    '| `GET /api/me` | elsewhere |',
    '|---|---|',
    '',
    '## How the schemes compare',
    '',
    'Text.',
    '',
    '| `GET /api/me` | SQLite file |',
    '|---|---:|',
    '| `token` | 0.50× |',
    '',
    'After.',
    '',
  ].join('\n');

  it('puts the markers around the existing table of the section on the first run', () => {
    const once = replaceReadmeTable(readme, table);
    expect(once).toContain(`Text.\n\n${TABLE_START}\n${table}\n${TABLE_END}\n\nAfter.\n`);
    expect(once).toContain('| `GET /api/me` | elsewhere |');
    expect(once).not.toContain('0.50×');
  });

  it('replaces only what is between the markers afterwards, and is idempotent', () => {
    const once = replaceReadmeTable(readme, table);
    const other = table.replace('0.90×', '0.70×');
    const twice = replaceReadmeTable(once, other);
    expect(twice).toBe(once.replace('0.90×', '0.70×'));
    expect(replaceReadmeTable(twice, other)).toBe(twice);
    expect(markedTable(twice)).toBe(other);
  });
});
