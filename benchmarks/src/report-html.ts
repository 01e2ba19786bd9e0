/**
 * The run as one page, `report.html` beside latest.md: the same tables, with
 * charts. It reads the same offline, from a file:// URL or as an attachment:
 * the style is inline, the charts are SVG drawn here, there is no script and
 * no URL, and its Content-Security-Policy forbids fetching anything, so
 * nothing it shows can depend on a network. Every text from the results is
 * escaped. cli.ts writes it after each run; `npm run -w @authbench/benchmarks
 * choose` rewrites the committed one from results/latest.json.
 */
import type { RunResult } from './http/suite.js';
import { baseName, powerOfTen, VARIANT_TITLE, VARIANTS, variantOf } from './names.js';
import {
  authPerPair,
  fixed,
  inProcessTable,
  instancesTable,
  instructionsMethod,
  instructionsTable,
  peerTable,
  redoneLine,
  sqliteTable,
  STORAGE_CPU_NOTE,
  storageTable,
  times,
  type AuthCell,
  type Report,
  type RunSummary,
  type Table,
} from './report.js';
import { spread, type Spread } from './stats.js';

/** `{ report, rounds }` of a parsed latest.json, as cli.ts writes it (older files: no rounds). */
export function resultsOf(json: unknown): { report: Report; rounds: readonly RunResult[] } {
  const { report, rounds } = (json ?? {}) as { report?: Report; rounds?: RunResult[] };
  if (!report || !Array.isArray(report.http)) throw new Error('latest.json: no report.http');
  return { report, rounds: Array.isArray(rounds) ? rounds : [] };
}

export function reportHtml(report: Report, rounds: readonly RunResult[] = []): string {
  const auth = authWithRange(rounds);
  const sections = [
    costSection(report, auth),
    sizesSection(report),
    storageSection(report, auth),
    instructionsSection(report),
    peersSection(report),
    instancesSection(report),
    alsoSection(report),
  ].filter((s): s is Section => s !== null);
  return page(report, sections);
}

// ---- Text ---------------------------------------------------------------------------

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** For element text and attribute values alike. */
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
const esc = escapeHtml;

/** Auth µs with its range over the pairs, from the raw rounds; the median alone where there is one pair or no rounds. */
function authWithRange(rounds: readonly RunResult[]): AuthCell {
  const ranges = new Map(rounds.map((run) => [`${run.storage ?? 'sqlite'}|${run.name}`, spread(authPerPair(run))]));
  return (r) => {
    if (r.kind === 'baseline') return '0';
    const range = ranges.get(`${r.storage}|${r.name}`);
    const median = fixed(r.authMicros, 1);
    return range && range.max > range.min ? `${median} (${fixed(range.min, 1)}–${fixed(range.max, 1)})` : median;
  };
}

function htmlTable(table: Table): string {
  const text = table.text ?? 1;
  const cells = (tag: 'th' | 'td', row: readonly string[]) =>
    row.map((c, i) => `<${tag}${i >= text ? ' class="num"' : ''}>${esc(c)}</${tag}>`).join('');
  const rows = table.rows.map((r) => `<tr${r.baseline ? ' class="baseline"' : ''}>${cells('td', r.cells)}</tr>`);
  return `<table>\n<thead><tr>${cells('th', table.head)}</tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`;
}

const note = (text: string) => `<p class="note">${esc(text)}</p>`;

// ---- Charts -------------------------------------------------------------------------

interface Bar {
  /** The table row it draws (its first cell), for the reader's tooltip and the browser test. */
  readonly row: string;
  /** Left of the bar: the configuration, or the series within a group. */
  readonly label: string;
  readonly value: Spread;
  readonly colour: string;
  /** Right of the whisker. */
  readonly text: string;
}

interface Chart {
  /** What it shows, for screen readers (the section's text says it on the page). */
  readonly title: string;
  /** The axis title, with the unit. */
  readonly axis: string;
  readonly legend: readonly (readonly [colour: string, label: string])[];
  /** Groups of bars under a title, or one untitled group. */
  readonly groups: readonly { readonly title: string | null; readonly bars: readonly Bar[] }[];
  /** The no-auth baseline's line, at 1.0 on the ratio charts. */
  readonly reference?: { readonly at: number; readonly label: string };
  /** Bars per table row. */
  readonly series: number;
}

const WIDTH = 940;
const BAR = 16;
const STEP = 21;
/** Room for the figures written after the bars. */
const RIGHT = 160;
/** About a character's width at 13px, to fit the label column to the labels. */
const CHAR = 7;
const px = (n: number) => String(Math.round(n * 10) / 10);

/** Gridlines at a round step (1, 2, 2.5 or 5 × a power of ten), about six, the last at or above `max`. */
function ticks(max: number): number[] {
  const top = max > 0 ? max : 1;
  const power = 10 ** Math.floor(Math.log10(top / 6));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= top / 6)!;
  const count = Math.ceil(top / step - 1e-9);
  return Array.from({ length: count + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

/** Horizontal bars (the median) with a min–max whisker each, on a linear axis from 0. */
function chartSvg(chart: Chart): string {
  const bars = chart.groups.flatMap((g) => g.bars);
  const left = Math.min(320, Math.max(60, ...bars.map((b) => b.label.length * CHAR + 20)));
  const marks = ticks(Math.max(chart.reference?.at ?? 0, ...bars.map((b) => b.value.max).filter(Number.isFinite)));
  // A figure a run could not measure (NaN, shown as n/a) draws as nothing rather than breaking the SVG.
  const x = (v: number) => left + ((Number.isFinite(v) ? Math.max(0, v) : 0) / marks.at(-1)!) * (WIDTH - left - RIGHT);
  const top = 48;
  let y = top;
  const body: string[] = [];
  for (const group of chart.groups) {
    if (group.title !== null) {
      body.push(`<text class="group" x="12" y="${y + 14}">${esc(group.title)}</text>`);
      y += 20;
    }
    for (const bar of group.bars) {
      body.push(barSvg(bar, y, left, x));
      y += STEP;
    }
    if (group.title !== null) y += 8;
  }
  const bottom = y;
  const height = bottom + 48;
  const grid = marks.map(
    (m) =>
      `<line class="grid" x1="${px(x(m))}" y1="${top - 6}" x2="${px(x(m))}" y2="${bottom}"/>` +
      `<text class="tick" x="${px(x(m))}" y="${bottom + 16}" text-anchor="middle">${m}</text>`,
  );
  const reference = chart.reference
    ? `<line class="reference" x1="${px(x(chart.reference.at))}" y1="${top - 12}" x2="${px(x(chart.reference.at))}" y2="${bottom}"/>` +
      `<text class="axis" x="${px(x(chart.reference.at) + 6)}" y="${top - 4}">${esc(chart.reference.label)}</text>`
    : '';
  const legend = chart.legend.map(
    ([colour, label], i) => `<rect x="${12 + i * 210}" y="8" width="12" height="12" fill="${colour}"/><text class="axis" x="${30 + i * 210}" y="19">${esc(label)}</text>`,
  );
  return [
    `<svg class="chart" data-series="${chart.series}" role="img" aria-label="${esc(chart.title)}" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">`,
    ...legend,
    ...grid,
    // Under the bars: their figures, haloed, stay readable where the line crosses them.
    reference,
    ...body,
    `<text class="axis" x="${px((left + WIDTH - RIGHT) / 2)}" y="${bottom + 38}" text-anchor="middle">${esc(chart.axis)}</text>`,
    '</svg>',
  ].join('\n');
}

function barSvg(bar: Bar, y: number, left: number, x: (v: number) => number): string {
  const mid = y + BAR / 2;
  const end = x(bar.value.median);
  const parts = [
    `<text x="${left - 8}" y="${mid + 4.5}" text-anchor="end">${esc(bar.label)}</text>`,
    `<rect class="bar" data-row="${esc(bar.row)}" x="${left}" y="${y}" width="${px(Math.max(1, end - left))}" height="${BAR}" fill="${bar.colour}">` +
      `<title>${esc(`${bar.row}: ${bar.text}`)}</title></rect>`,
  ];
  if (bar.value.max > bar.value.min) {
    const [a, b] = [px(x(bar.value.min)), px(x(bar.value.max))];
    parts.push(`<path class="whisker" d="M${a} ${mid}H${b}M${a} ${mid - 4}V${mid + 4}M${b} ${mid - 4}V${mid + 4}"/>`);
  }
  parts.push(`<text class="value" x="${px(Math.max(end, x(bar.value.max)) + 6)}" y="${mid + 4.5}">${esc(bar.text)}</text>`);
  return parts.join('');
}

const RATIO_AXIS = "req/s ÷ the no-auth baseline's in the same pair (×): bar the median, whisker the lowest and highest pair";
const BASELINE = { at: 1, label: 'no-auth baseline = 1.0' };

const KIND_COLOUR = { scheme: '#3b6fd4', refused: '#e8a33d', peer: '#8a9096' } as const;
const KIND_LABEL = { scheme: 'authbench scheme', refused: 'refused credential', peer: 'peer library' } as const;
const kindOf = (r: RunSummary) => (r.kind === 'peer' ? 'peer' : r.rejected ? 'refused' : 'scheme');

function ratioChart(rows: readonly RunSummary[]): string {
  const kinds = (Object.keys(KIND_COLOUR) as (keyof typeof KIND_COLOUR)[]).filter((k) => rows.some((r) => kindOf(r) === k));
  return chartSvg({
    title: 'Paired req/s ratio to the no-auth baseline of each configuration on SQLite, median with min–max',
    axis: RATIO_AXIS,
    legend: kinds.map((k) => [KIND_COLOUR[k], KIND_LABEL[k]]),
    groups: [{ title: null, bars: rows.map((r) => ({ row: r.name, label: r.name, value: r.ratio, colour: KIND_COLOUR[kindOf(r)], text: times(r.ratio) })) }],
    reference: BASELINE,
    series: 1,
  });
}

const VARIANT_COLOUR = { sqlite: '#3b6fd4', postgres: '#7b5cc4', redis: '#c2463b', cache: '#e8a33d' } as const;

/** A group per configuration, a bar per storage it ran on. */
function storageChart(rows: readonly RunSummary[]): string {
  const bases = [...new Set(rows.map((r) => baseName(r.name)))];
  const variants = VARIANTS.filter((v) => rows.some((r) => variantOf(r) === v));
  return chartSvg({
    title: 'Paired req/s ratio to the no-auth baseline on the same storage, per configuration and storage, median with min–max',
    axis: RATIO_AXIS,
    legend: variants.map((v) => [VARIANT_COLOUR[v], VARIANT_TITLE[v]]),
    groups: bases.map((base) => ({
      title: base,
      bars: rows
        .filter((r) => baseName(r.name) === base)
        .map((r) => ({ row: r.name, label: VARIANT_TITLE[variantOf(r)], value: r.ratio, colour: VARIANT_COLOUR[variantOf(r)], text: times(r.ratio) })),
    })),
    reference: BASELINE,
    series: 1,
  });
}

const SIZE_COLOURS = ['#9ec5f0', '#5b9be0', '#2f6cc0', '#1b4585', '#0d2a57'];
const micros = (s: Spread): Spread => ({ median: s.median / 1000, min: s.min / 1000, max: s.max / 1000 });

/** A group per in-process case, a bar per stored size. */
function sizesChart(report: Report): string {
  const sizes = report.inProcess;
  const colour = (i: number) => SIZE_COLOURS[i % SIZE_COLOURS.length]!;
  return chartSvg({
    title: 'Microseconds per authenticate() call in process, per case and stored size, median with min–max',
    axis: 'µs per call: bar the median over the rounds, whisker the lowest and highest round',
    legend: sizes.map((s, i) => [colour(i), `${powerOfTen(s.credentials)} credentials stored`]),
    groups: sizes[0]!.cases.map((c, k) => ({
      title: c.name,
      bars: sizes.map((s, i) => {
        const value = micros(s.cases[k]!.nsPerCall);
        return { row: c.name, label: powerOfTen(s.credentials), value, colour: colour(i), text: `${fixed(value.median, 1)} µs` };
      }),
    })),
    series: sizes.length,
  });
}

// ---- Sections -----------------------------------------------------------------------

interface Section {
  readonly id: string;
  readonly title: string;
  /** Its HTML, a block a line. */
  readonly body: readonly string[];
}

const figure = (svg: string) => `<figure>\n${svg}\n</figure>`;

function costSection(report: Report, auth: AuthCell): Section | null {
  const rows = report.http.filter((r) => r.storage === 'sqlite');
  if (!rows.length) return null;
  return {
    id: 'cost',
    title: 'Cost per scheme, with its spread',
    body: [
      '<p><code>GET /api/me</code> through the built app on the SQLite file. The paired ratio is the configuration\'s req/s ÷ the no-auth ' +
        "baseline's in the same pair (1.0: auth costs nothing); auth µs is the server's CPU per request above the baseline's, the median " +
        'and, in brackets, the lowest and highest pair.</p>',
      figure(ratioChart(rows.filter((r) => r.kind !== 'baseline'))),
      htmlTable(sqliteTable(report, auth)),
      note(redoneLine(rows)),
    ],
  };
}

function sizesSection(report: Report): Section | null {
  const sizes = report.inProcess;
  if (!sizes.length) return null;
  const [first, last] = [powerOfTen(sizes[0]!.credentials), powerOfTen(sizes.at(-1)!.credentials)];
  return {
    id: 'credentials',
    title: sizes.length > 1 ? `Cost against ${first}…${last} credentials` : `Cost at ${first} credentials`,
    body: [
      '<p>One <code>authenticate()</code> call in process, with that many credentials of each kind stored: µs per call, the median over ' +
        'the rounds and, in brackets, the lowest and highest round. A lookup that slows as the table grows shows as a longer bar at the larger sizes.</p>',
      figure(sizesChart(report)),
      htmlTable(inProcessTable(sizes, (ns) => fixed(ns / 1000, 1))),
    ],
  };
}

/** The PostgreSQL and Redis rows, each after the same configuration on SQLite: a group per configuration. */
function storageRows(http: readonly RunSummary[]): RunSummary[] {
  const bases = new Set(http.filter((r) => r.storage !== 'sqlite').map((r) => baseName(r.name)));
  const order = (r: RunSummary) => VARIANTS.indexOf(variantOf(r));
  return [...bases].flatMap((base) => http.filter((r) => baseName(r.name) === base).sort((a, b) => order(a) - order(b)));
}

function storageSection(report: Report, auth: AuthCell): Section | null {
  const rows = storageRows(report.http);
  if (!rows.length) return null;
  return {
    id: 'storage',
    title: 'SQLite vs PostgreSQL vs Redis',
    body: [
      '<p>Each configuration on each storage it ran on, paired with the no-auth baseline on that same storage (the first rows), so each ' +
        'ratio is what auth costs there. A name without a storage is on the SQLite file.</p>',
      figure(storageChart(rows.filter((r) => r.kind !== 'baseline'))),
      htmlTable(storageTable(rows, auth)),
      note(`${STORAGE_CPU_NOTE} ${redoneLine(rows.filter((r) => r.storage !== 'sqlite'))}`),
    ],
  };
}

function instructionsSection(report: Report): Section | null {
  if (!report.instructions) return null;
  return {
    id: 'instructions',
    title: 'Instructions per request',
    body: [`<p>${esc(instructionsMethod(report.instructions))}</p>`, htmlTable(instructionsTable(report.instructions))],
  };
}

function peersSection(report: Report): Section | null {
  const table = peerTable(report);
  if (!table.rows.length) return null;
  return {
    id: 'peers',
    title: 'Against what a team would use instead',
    body: [
      '<p>The Node libraries (passport, express-jwt, express-session) and, where they were installed, Django REST framework and simplejwt, ' +
        "measured the same way: each side's paired ratio to its own baseline, divided. Above 1.0×, ours serves more requests per second.</p>",
      htmlTable(table),
    ],
  };
}

function instancesSection(report: Report): Section | null {
  if (!report.instances?.length) return null;
  return {
    id: 'instances',
    title: 'Two instances on one PostgreSQL (and Redis)',
    body: [
      '<p>One app process with every connection against two with half each, on the same storage and the same cores, alternating: ' +
        'what a second instance adds when it can only use the CPU the first leaves idle.</p>',
      htmlTable(instancesTable(report.instances)),
    ],
  };
}

function alsoSection(report: Report): Section | null {
  const items = [
    ...(report.login
      ? [`Login, ${report.login.parameters}: ${fixed(report.login.perSecond, 1)} logins/s on one core, ${fixed(report.login.msEach, 1)} ms each. Kept out of every per-request figure.`]
      : []),
    ...(report.skipped ?? []).map((reason) => `Skipped: ${reason}.`),
  ];
  if (!items.length) return null;
  return { id: 'also', title: 'Also in this run', body: ['<ul>', ...items.map((i) => `<li>${esc(i)}</li>`), '</ul>'] };
}

// ---- The page -----------------------------------------------------------------------

const STYLE = `
:root { color-scheme: light; }
body { margin: 0 auto; max-width: 960px; padding: 24px 20px 40px; background: #fff; color: #1f2328;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "DejaVu Sans", sans-serif; }
h1 { font-size: 28px; margin: 0 0 6px; }
h2 { font-size: 21px; margin: 32px 0 8px; padding-top: 12px; border-top: 1px solid #d0d7de; }
p { margin: 8px 0; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; background: #f6f8fa; padding: 1px 4px; border-radius: 3px; }
.method, .note, footer { color: #57606a; font-size: 13px; }
.quick { background: #fff4e5; border-left: 4px solid #e8a33d; padding: 6px 10px; }
nav { font-size: 14px; margin-top: 10px; }
nav a { color: #0b57d0; margin-right: 16px; }
figure { margin: 12px 0; }
svg.chart { display: block; width: 100%; height: auto; font-size: 13px; }
svg.chart text { fill: #1f2328; }
svg.chart .group { font-weight: 600; }
svg.chart .axis, svg.chart .tick { fill: #57606a; }
svg.chart .grid { stroke: #e6e8eb; }
svg.chart .reference { stroke: #8c959f; stroke-width: 1.5; stroke-dasharray: 5 4; }
svg.chart .whisker { stroke: #1f2328; stroke-width: 1.5; fill: none; }
svg.chart .value { paint-order: stroke; stroke: #fff; stroke-width: 4px; stroke-linejoin: round; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 12px 0 4px; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e6e8eb; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; vertical-align: bottom; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.num { text-align: right; }
tr.baseline td { color: #57606a; background: #fafbfc; }
footer { margin-top: 40px; border-top: 1px solid #d0d7de; padding-top: 8px; }
`;

/** No fetch of any kind: the page must show the same with no network. Only the inline style may apply. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

function page(report: Report, sections: readonly Section[]): string {
  const quick = report.quick ? '<p class="quick"><strong>--quick</strong>: this run checks the harness and says nothing about speed.</p>\n' : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>authbench benchmark, ${esc(report.date)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>authbench benchmark</h1>
${quick}<p>Run <strong>${esc(report.date)}</strong> on ${esc(report.machine)}; ${esc(report.pinning)}.</p>
<p class="method">${esc(report.method)}</p>
<nav>${sections.map((s) => `<a href="#${s.id}">${esc(s.title)}</a>`).join('\n')}</nav>
</header>
${sections.map((s) => [`<section id="${s.id}">`, `<h2>${esc(s.title)}</h2>`, ...s.body, '</section>'].join('\n')).join('\n')}
<footer>Written by benchmarks/src/report-html.ts from the run's latest.json, which holds every round: <code>npm run bench</code> writes it with each run, and <code>npm run -w @authbench/benchmarks choose</code> rewrites the committed one. latest.md has the same tables as text.</footer>
</body>
</html>
`;
}
