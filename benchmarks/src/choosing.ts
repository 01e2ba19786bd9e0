/**
 * A guide to choosing a scheme, generated from the numbers.
 *
 * Reads `benchmarks/results/latest.json` (the last full run) and writes
 * `docs/choosing.md`, the README's comparison table (between the
 * `choosing:table` markers) and `benchmarks/results/report.html` (the run
 * as one page, report-html.ts). Every figure comes from the results; the facts
 * that are not measured (what a scheme stores, how revocation travels, what a
 * browser does) are the small typed table `FACTS` below, taken from
 * docs/drf-compatibility.md, docs/architecture.md and the README.
 *
 * `npm run -w @authbench/benchmarks choose` regenerates all three. The render is
 * deterministic: the only date in it is the run's own.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseName, powerOfTen, VARIANT_TITLE, VARIANTS, variantOf, type StorageName, type Variant } from './names.js';
import { reportHtml, resultsOf } from './report-html.js';

export { baseName, VARIANTS, variantOf, type StorageName, type Variant };

export const SCHEMES = ['token', 'knox', 'jwt', 'session'] as const;
export type SchemeName = (typeof SCHEMES)[number];

// ---------------------------------------------------------------------------
// The results, as far as the guide reads them. Anything else in the file
// (fields added later, such as instructions per request) is tolerated.

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface HttpRow {
  readonly name: string;
  readonly kind: 'baseline' | 'scheme' | 'peer';
  readonly family: string;
  readonly storage: StorageName;
  readonly rejected: boolean;
  readonly requestsPerSecond: number;
  readonly ratio: Spread;
  readonly authMicros: number;
  readonly readsPerRequest: number;
  readonly writesPerRequest: number;
  readonly redisCommandsPerRequest: number;
  readonly storeMicros: number;
}

export interface InstancesRow {
  readonly name: string;
  readonly storage: StorageName;
  readonly oneRequestsPerSecond: number;
  readonly twoRequestsPerSecond: number;
  readonly ratio: Spread;
}

export interface InProcessCase {
  readonly name: string;
  readonly nsPerCall: Spread;
  readonly readsPerCall: number;
  readonly writesPerCall: number;
}

export interface InProcessSize {
  readonly credentials: number;
  readonly cases: readonly InProcessCase[];
}

/** Instructions per request, when the run counted them (optional, by configuration name). */
export interface InstructionsRow {
  readonly name: string;
  readonly perRequest: number;
  readonly authPerRequest: number | null;
}

export interface Results {
  readonly date: string;
  readonly machine: string;
  readonly pinning: string;
  readonly quick: boolean;
  readonly http: readonly HttpRow[];
  readonly instances: readonly InstancesRow[];
  readonly inProcess: readonly InProcessSize[];
  readonly instructions: readonly InstructionsRow[];
  /** Auth µs of each pair (subject CPU − baseline CPU), by `storage|name`, from the raw rounds. */
  readonly authPairs: ReadonlyMap<string, readonly number[]>;
  /** Pairs per configuration (the most any configuration had). */
  readonly pairs: number;
}

type Json = Record<string, unknown>;
const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
const num = (x: unknown, fallback = 0): number => (typeof x === 'number' && Number.isFinite(x) ? x : fallback);
const str = (x: unknown, fallback = ''): string => (typeof x === 'string' ? x : fallback);
const list = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
const storageOf = (x: unknown): StorageName => (x === 'postgres' || x === 'redis' ? x : 'sqlite');

function spreadOf(x: unknown, what: string): Spread {
  if (typeof x === 'number') return { median: x, min: x, max: x };
  if (!isObject(x) || typeof x['median'] !== 'number') throw new Error(`latest.json: ${what} has no median`);
  const median = x['median'];
  return { median, min: num(x['min'], median), max: num(x['max'], median) };
}

const pairKey = (storage: StorageName, name: string) => `${storage}|${name}`;

/** Reads the parsed `latest.json` (`{report, rounds}`, or a bare report). */
export function parseResults(json: unknown): Results {
  if (!isObject(json)) throw new Error('latest.json: not an object');
  const report = isObject(json['report']) ? json['report'] : json;
  if (!Array.isArray(report['http'])) throw new Error('latest.json: no report.http');
  const http: HttpRow[] = report['http'].filter(isObject).map((r) => {
    const name = str(r['name']);
    const kind = r['kind'] === 'baseline' || r['kind'] === 'peer' ? r['kind'] : 'scheme';
    return {
      name,
      kind,
      family: str(r['family'], 'none'),
      storage: storageOf(r['storage']),
      rejected: r['rejected'] === true,
      requestsPerSecond: num(r['requestsPerSecond']),
      ratio: spreadOf(r['ratio'], `the ratio of "${name}"`),
      authMicros: num(r['authMicros']),
      readsPerRequest: num(r['readsPerRequest']),
      writesPerRequest: num(r['writesPerRequest']),
      redisCommandsPerRequest: num(r['redisCommandsPerRequest']),
      storeMicros: num(r['storeMicros']),
    };
  });
  const instances: InstancesRow[] = list(report['instances'])
    .filter(isObject)
    .map((r) => ({
      name: str(r['name']),
      storage: storageOf(r['storage']),
      oneRequestsPerSecond: num(r['oneRequestsPerSecond']),
      twoRequestsPerSecond: num(r['twoRequestsPerSecond']),
      ratio: spreadOf(r['ratio'], `the two-instance ratio of "${str(r['name'])}"`),
    }));
  const inProcess: InProcessSize[] = list(report['inProcess'])
    .filter(isObject)
    .map((s) => ({
      credentials: num(s['credentials']),
      cases: list(s['cases'])
        .filter(isObject)
        .map((c) => ({
          name: str(c['name']),
          nsPerCall: spreadOf(c['nsPerCall'], `in-process "${str(c['name'])}"`),
          readsPerCall: num(c['readsPerCall']),
          writesPerCall: num(c['writesPerCall']),
        })),
    }))
    .sort((a, b) => a.credentials - b.credentials);
  const instructionsField = report['instructions'];
  const instructions: InstructionsRow[] = list(isObject(instructionsField) ? instructionsField['rows'] : instructionsField)
    .filter(isObject)
    .filter((r) => typeof r['name'] === 'string' && typeof r['perRequest'] === 'number')
    .map((r) => ({
      name: str(r['name']),
      perRequest: num(r['perRequest']),
      authPerRequest: typeof r['authPerRequest'] === 'number' ? r['authPerRequest'] : null,
    }));
  const authPairs = new Map<string, number[]>();
  let pairs = 0;
  for (const round of list(json['rounds']).filter(isObject)) {
    const diffs = list(round['pairs'])
      .filter(isObject)
      .flatMap((p) => {
        const subject = p['subject'];
        const baseline = p['baseline'];
        if (!isObject(subject) || !isObject(baseline)) return [];
        const s = subject['cpuMicrosPerRequest'];
        const b = baseline['cpuMicrosPerRequest'];
        return typeof s === 'number' && typeof b === 'number' ? [s - b] : [];
      });
    if (diffs.length) authPairs.set(pairKey(storageOf(round['storage']), str(round['name'])), diffs);
    pairs = Math.max(pairs, list(round['pairs']).length);
  }
  return {
    date: str(report['date'], 'an undated run'),
    machine: str(report['machine'], 'an unnamed machine'),
    pinning: str(report['pinning']),
    quick: report['quick'] === true,
    http,
    instances,
    inProcess,
    instructions,
    authPairs,
    pairs,
  };
}

// ---------------------------------------------------------------------------
// What is not measured: facts per scheme, from the docs.

export interface SchemeFacts {
  /** The configuration run with the scheme's defaults (its row name on SQLite, before any storage suffix). */
  readonly defaultConfig: string;
  /** The in-process case that is that configuration's `authenticate()`. */
  readonly inProcessCase: string;
  /** Other in-process cases shown beside it. */
  readonly inProcessRelated: (caseName: string) => boolean;
  readonly modelledOn: string;
  /** What choosing it buys, in one line. */
  readonly buys: string;
  readonly credential: string;
  readonly stores: string;
  /** The same in a few words, for the overview table. */
  readonly storesShort: string;
  readonly revocation: string;
  /** How fast a revocation reaches the other instances, for the overview table. */
  readonly reachesOthers: string;
  readonly browser: string;
  /** Where the docs say more. */
  readonly links: string;
}

export const FACTS: Readonly<Record<SchemeName, SchemeFacts>> = {
  token: {
    defaultConfig: 'token',
    inProcessCase: 'token authenticate()',
    inProcessRelated: (name) => name.startsWith('token ') || name.startsWith('bare prepared lookup'),
    modelledOn: "DRF's `rest_framework.authtoken`",
    buys: 'the least work: one key per user, shared by every device, that never expires; no list of devices. For scripts and server-to-server calls.',
    credential: '`Authorization: Token <40 hex>`',
    stores:
      'One row per user in `tokens`: the 40-hex key itself, in plaintext, as the primary key, with the user id and the creation time. A copy of the table is a copy of every usable token.',
    revocation:
      "Logout (and logout-all, the same for the one shared token) deletes the user's token; a password change replaces it; a deactivated user is refused. The token is a row read on every request, so a deleted row is refused at once by every instance that shares the database. With `REDIS_CACHE=true` it is at once as well: the revoking write marks and deletes the cached entry before it changes the database, and a refill never overwrites a mark.",
    storesShort: 'the key itself, one row per user',
    reachesOthers: 'at once (a deleted row; with the Redis cache too)',
    browser:
      'Keep the token in a JavaScript variable of the page, never in localStorage, sessionStorage, a cookie or the URL: a reload forgets it (the user logs in again), nothing rides on a cross-site request, and any script on the page can read it. Send it as `Authorization: Token <key>`.',
    links: '[HTTP API: token](http-api.md#token), [DRF compatibility](drf-compatibility.md#token-rest_frameworkauthtoken)',
  },
  knox: {
    defaultConfig: 'knox',
    inProcessCase: 'knox authenticate()',
    inProcessRelated: (name) => name.startsWith('knox '),
    modelledOn: 'django-rest-knox',
    buys: 'a token per login (device), expiring (10 hours by default, optionally refreshed on use), listed and revocable one by one; only a digest is stored.',
    credential: '`Authorization: Token <64 hex>`',
    stores:
      "One row per login in `knox_tokens`: the token's SHA-512 digest (never the token) with its first 15 characters as the index key, the user id, creation and expiry times, the client (the login's `User-Agent`) and the last use.",
    revocation:
      "Logout deletes the calling token's row, logout-all every row of the user, a password change every row but the caller's; an expired token is deleted when presented. A deleted row is refused at once by every instance that shares the database; with `REDIS_CACHE=true` at once as well, since the revoking write invalidates the cache before it changes the database.",
    storesShort: 'a SHA-512 digest and a 15-character key, one row per login',
    reachesOthers: 'at once (a deleted row; with the Redis cache too)',
    browser:
      "As token: the token in memory only, lost at reload, sent as `Authorization: Token <key>`; the sessions routes list the user's other devices and revoke any of them.",
    links: '[HTTP API: knox](http-api.md#knox), [DRF compatibility](drf-compatibility.md#knox-django-rest-knox-5)',
  },
  jwt: {
    defaultConfig: 'jwt HS256, user check',
    inProcessCase: 'jwt authenticate(), HS256, user check',
    inProcessRelated: (name) => name.startsWith('jwt ') || name.startsWith('jose '),
    modelledOn: 'djangorestframework-simplejwt',
    buys: 'tokens that other services verify with the key alone (public keys at `/.well-known/jwks.json`), short-lived access tokens and rotating refresh tokens whose reuse revokes the login; stateless mode reads no storage at all.',
    credential: '`Authorization: Bearer <access JWT>`',
    stores:
      'Never a token. Per login, a `jwt_logins` row (id, user, client, expiry, revocation time); per refresh token issued, a `jwt_outstanding` row (its `jti`, expiry, blacklist and rotation marks). Access tokens are not stored. With `REDIS_URL` these records live in Redis, each with a TTL of what is left of it.',
    revocation:
      "Logout revokes the login's refresh family, logout-all every family of the user, a password change every family but the caller's; reusing a spent refresh token revokes its whole family. A revoked family is refused at refresh at once by every instance (shared database or Redis). Access tokens already issued stay valid until their `exp` (5 minutes by default), as in simplejwt, unless `JWT_CHECK_REVOCATION=true` refuses them at once for one more indexed read per request; a `JWT_STATELESS` server notices neither a revocation nor a deactivation before `exp`.",
    storesShort: 'no token: a row per login and per refresh token issued',
    reachesOthers: 'refresh at once; access tokens at `exp` unless `JWT_CHECK_REVOCATION`',
    browser:
      'Keep the access and the refresh token in memory (a reload forgets both), send `Authorization: Bearer <access>`, and on a 401 spend the refresh token once (`POST /api/auth/refresh`, one refresh shared by concurrent calls) and retry; each tab logs in and refreshes on its own.',
    links:
      '[HTTP API: jwt](http-api.md#jwt), [refresh](http-api.md#post-apiauthrefresh), [DRF compatibility](drf-compatibility.md#jwt-djangorestframework-simplejwt-55)',
  },
  session: {
    defaultConfig: 'session',
    inProcessCase: 'session: express-session read + authenticate()',
    inProcessRelated: (name) => name.startsWith('session'),
    modelledOn: "DRF's `SessionAuthentication` with Django's CSRF",
    buys: 'a browser front end on the same site: an HttpOnly cookie no script can read, a login that survives a reload and is shared by every tab, Django\'s CSRF protection; sessions listed and revocable.',
    credential: '`sessionid` cookie, plus `X-CSRFToken` on unsafe methods',
    stores:
      'One row per login in `sessions`: the random session id as the key, the user id, the session data (with the CSRF secret), expiry, creation time, client and last use. With `REDIS_URL`, a Redis key per session in connect-redis\'s format, with a per-user index, each with a TTL.',
    revocation:
      'Logout destroys the session, logout-all every session of the user, a password change every other one (the caller moves to a new id). A deleted session row is refused at once by every instance that shares the database; with `REDIS_URL` the session is a Redis key the logout deletes, refused at once as well.',
    storesShort: 'a session row (id, user, data with the CSRF secret), one per login',
    reachesOthers: 'at once (a deleted session; in Redis too)',
    browser:
      'Nothing to keep in script: the browser holds the HttpOnly `sessionid` cookie; the page reads the `csrftoken` cookie and sends its value in `X-CSRFToken` on every unsafe method (POST, PUT, PATCH, DELETE). A logout in one tab ends the login in all; a form posted from another origin is refused.',
    links:
      '[HTTP API: session](http-api.md#session), [CSRF](http-api.md#csrf), [DRF compatibility](drf-compatibility.md#session-drf-sessionauthentication-django-5-sessions-and-csrf)',
  },
};

// ---------------------------------------------------------------------------
// Formatting (no locale: the output must not depend on the machine).

const thousands = (digits: string) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

export function fixed(x: number, decimals: number): string {
  const s = Math.abs(x).toFixed(decimals);
  const [int = '0', frac] = s.split('.');
  const sign = x < 0 && Number(s) !== 0 ? '-' : '';
  return sign + thousands(int) + (frac ? `.${frac}` : '');
}

const micros = (x: number) => fixed(x, 1);
const ratio = (x: number) => `${fixed(x, 2)}×`;
const count = (x: number) => (x === 0 ? '0' : Math.abs(x) < 0.1 ? fixed(x, 3) : fixed(x, 2));
const ratioSpread = (s: Spread) => `${ratio(s.median)} (${fixed(s.min, 2)}–${fixed(s.max, 2)})`;
const microsRange = (xs: readonly number[]) => `${micros(Math.min(...xs))}–${micros(Math.max(...xs))}`;
const nsAsMicros = (ns: number) => fixed(ns / 1000, 1);
const code = (x: string) => `\`${x}\``;
/** A Markdown table row; an empty cell is one space. */
const mdRow = (cells: readonly string[]) => `|${cells.map((c) => (c ? ` ${c} ` : ' ')).join('|')}|`;

function joinAnd(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

const STORAGE_TITLE: Record<StorageName, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL', redis: 'PostgreSQL + Redis' };

// ---------------------------------------------------------------------------
// Reading the rows.

const schemeRows = (results: Results) => results.http.filter((r) => r.kind === 'scheme' && !r.rejected);

function defaultRow(results: Results, scheme: SchemeName, variant: Variant): HttpRow | undefined {
  return schemeRows(results).find((r) => r.family === scheme && variantOf(r) === variant && baseName(r.name) === FACTS[scheme].defaultConfig);
}

const authPairsOf = (results: Results, row: HttpRow) => results.authPairs.get(pairKey(row.storage, row.name)) ?? [];

function authWithSpread(results: Results, row: HttpRow): string {
  if (row.kind === 'baseline') return '0';
  const pairs = authPairsOf(results, row);
  return pairs.length > 1 ? `${micros(row.authMicros)} (${microsRange(pairs)})` : micros(row.authMicros);
}

const overlaps = (a: readonly [number, number], b: readonly [number, number]) => a[0] <= b[1] && b[0] <= a[1];

function authRange(results: Results, row: HttpRow): [number, number] {
  const pairs = authPairsOf(results, row);
  return pairs.length ? [Math.min(...pairs), Math.max(...pairs)] : [row.authMicros, row.authMicros];
}

interface Ranked {
  readonly scheme: SchemeName;
  readonly row: HttpRow;
}

/** The schemes' default configurations on one storage variant, cheapest (least auth CPU per request) first. */
export function rankSchemes(results: Results, variant: Variant): Ranked[] {
  return SCHEMES.flatMap((scheme) => {
    const row = defaultRow(results, scheme, variant);
    return row ? [{ scheme, row }] : [];
  }).sort((a, b) => a.row.authMicros - b.row.authMicros || b.row.ratio.median - a.row.ratio.median);
}

function inProcessCase(size: InProcessSize, name: string): InProcessCase | undefined {
  return size.cases.find((c) => c.name === name);
}

/** The in-process growth of a case from the smallest to the largest stored size. */
function growth(results: Results, caseName: string): { from: number; to: number; first: InProcessCase; last: InProcessCase } | undefined {
  const sizes = results.inProcess.filter((s) => inProcessCase(s, caseName));
  const small = sizes[0];
  const large = sizes[sizes.length - 1];
  if (!small || !large || small === large) return undefined;
  return { from: small.credentials, to: large.credentials, first: inProcessCase(small, caseName)!, last: inProcessCase(large, caseName)! };
}

function instructionsOf(results: Results, row: HttpRow): InstructionsRow | undefined {
  return results.instructions.find((i) => i.name === row.name);
}

// ---------------------------------------------------------------------------
// The README's table (and the guide's storage overview).

/** Configurations in the README table: each scheme's default, and any other measured on more than one storage. */
function tableConfigs(results: Results): string[] {
  const seen = new Map<string, Set<Variant>>();
  for (const row of schemeRows(results)) {
    const base = baseName(row.name);
    const variants = seen.get(base) ?? new Set<Variant>();
    variants.add(variantOf(row));
    seen.set(base, variants);
  }
  const defaults = new Set<string>(SCHEMES.map((s) => FACTS[s].defaultConfig));
  const configs: string[] = [];
  for (const scheme of SCHEMES) {
    for (const [base, variants] of seen) {
      const row = schemeRows(results).find((r) => baseName(r.name) === base);
      if (row?.family !== scheme) continue;
      if ((defaults.has(base) || variants.size > 1) && !configs.includes(base)) configs.push(base);
    }
  }
  return configs;
}

function configLabel(base: string): string {
  const [first = base, ...rest] = base.split(' ');
  const word = first.replace(/,$/, '');
  const scheme = (SCHEMES as readonly string[]).includes(word) ? code(word) + first.slice(word.length) : first;
  return [scheme, ...rest].join(' ');
}

const instanceScheme = (name: string) => name.split(',')[0]!.trim();

/** The README's table: the paired ratio of each configuration on each storage, and two instances against one. */
export function renderReadmeTable(results: Results): string {
  const rows = schemeRows(results);
  const variants = VARIANTS.filter((v) => rows.some((r) => variantOf(r) === v) || results.instances.some((i) => variantOf(i) === v));
  const lines = [`| \`GET /api/me\` | ${variants.map((v) => VARIANT_TITLE[v]).join(' | ')} |`, `|---|${variants.map(() => '---:|').join('')}`];
  for (const base of tableConfigs(results)) {
    const cells = variants.map((v) => {
      const row = rows.find((r) => baseName(r.name) === base && variantOf(r) === v);
      return row ? ratio(row.ratio.median) : '';
    });
    lines.push(mdRow([configLabel(base), ...cells]));
  }
  if (results.instances.length) {
    const cells = variants.map((v) =>
      results.instances
        .filter((i) => variantOf(i) === v)
        .map((i) => `${ratio(i.ratio.median)} (${instanceScheme(i.name)})`)
        .join('; '),
    );
    lines.push(mdRow(['two instances ÷ one', ...cells]));
  }
  return lines.join('\n');
}

export const TABLE_START = '<!-- choosing:table:start -->';
export const TABLE_END = '<!-- choosing:table:end -->';

/**
 * The README with its marked table replaced. On the first run the markers are
 * put around the existing table: the first `| \`GET /api/me\`` table of the
 * section "How the schemes compare".
 */
export function replaceReadmeTable(readme: string, table: string): string {
  const block = `${TABLE_START}\n${table}\n${TABLE_END}`;
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start !== -1 || end !== -1) {
    if (start === -1 || end < start) throw new Error(`README.md: ${TABLE_START} and ${TABLE_END} must both be there, in that order`);
    return readme.slice(0, start) + block + readme.slice(end + TABLE_END.length);
  }
  const section = readme.indexOf('\n## How the schemes compare');
  if (section === -1) throw new Error('README.md: no section "How the schemes compare" and no choosing:table markers');
  const tableStart = readme.indexOf('\n| `GET /api/me`', section);
  if (tableStart === -1) throw new Error('README.md: no `GET /api/me` table in "How the schemes compare"');
  let tableEnd = tableStart + 1;
  while (tableEnd < readme.length && readme[tableEnd] === '|') {
    const next = readme.indexOf('\n', tableEnd);
    tableEnd = next === -1 ? readme.length : next + 1;
  }
  // tableEnd is the start of the first line after the table; keep its newline structure.
  return `${readme.slice(0, tableStart + 1)}${block}\n${readme.slice(tableEnd)}`;
}

/** What is between the markers, or undefined without them. */
export function markedTable(readme: string): string | undefined {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start === -1 || end < start) return undefined;
  return readme.slice(start + TABLE_START.length, end).replace(/^\n/, '').replace(/\n$/, '');
}

// ---------------------------------------------------------------------------
// The guide.

function conclusion(results: Results): string[] {
  const out: string[] = [];
  const sqlite = rankSchemes(results, 'sqlite');
  const home: Variant = sqlite.length ? 'sqlite' : (VARIANTS.find((v) => rankSchemes(results, v).length) ?? 'sqlite');
  const ranked = sqlite.length ? sqlite : rankSchemes(results, home);
  const where = home === 'sqlite' ? 'SQLite' : VARIANT_TITLE[home];
  const [first, ...others] = ranked;
  if (!first) return ['The results hold no scheme configuration to compare.'];
  const figure = (r: Ranked) => `${micros(r.row.authMicros)} µs, ${ratio(r.row.ratio.median)}`;
  out.push(
    `**On ${where}, ${code(first.scheme)} costs least per request**: ${micros(first.row.authMicros)} µs of server CPU above the same app checking no credential, ` +
      `and ${ratio(first.row.ratio.median)} its requests per second.` +
      (others.length ? ` Then ${joinAnd(others.map((r) => `${code(r.scheme)} (${figure(r)})`))}, in order of CPU per request.` : ''),
  );
  // Where neighbours are within each other's spread, or the req/s ratio orders them the other way, say so.
  const notes: string[] = [];
  for (let i = 0; i + 1 < ranked.length; i++) {
    const a = ranked[i]!;
    const b = ranked[i + 1]!;
    const authOverlap = overlaps(authRange(results, a.row), authRange(results, b.row));
    const ratioOverlap = overlaps([a.row.ratio.min, a.row.ratio.max], [b.row.ratio.min, b.row.ratio.max]);
    if (b.row.ratio.median > a.row.ratio.median) {
      notes.push(
        `By requests per second ${code(b.scheme)} comes before ${code(a.scheme)}, ${ratioSpread(b.row.ratio)} against ${ratioSpread(a.row.ratio)}` +
          (authOverlap && ratioOverlap ? ': within the spread of the rounds, the two cost the same.' : '.'),
      );
    } else if (authOverlap && ratioOverlap) {
      notes.push(`${code(a.scheme)} and ${code(b.scheme)} overlap across the rounds (auth µs ${microsRange(authRange(results, a.row))} and ${microsRange(authRange(results, b.row))}): the order between them is the medians'.`);
    }
  }
  if (notes.length) out.push(notes.join(' '));
  out.push('');
  out.push('What each buys you:');
  out.push('');
  for (const r of ranked) out.push(`- ${code(r.scheme)}: ${FACTS[r.scheme].buys}`);
  for (const scheme of SCHEMES) if (!ranked.some((r) => r.scheme === scheme)) out.push(`- ${code(scheme)}: ${FACTS[scheme].buys} (not in this run)`);
  out.push('');

  const more: string[] = [];
  const postgres = rankSchemes(results, 'postgres');
  if (postgres.length && home === 'sqlite') {
    const sameOrder = postgres.map((r) => r.scheme).join() === ranked.map((r) => r.scheme).join();
    more.push(
      `On PostgreSQL, ${sameOrder ? 'in the same order' : 'in order'} of CPU per request: ${joinAnd(
        postgres.map((r) => {
          const onSqlite = ranked.find((s) => s.scheme === r.scheme);
          return `${code(r.scheme)} ${micros(r.row.authMicros)} µs, ${ratio(r.row.ratio.median)}${onSqlite ? ` (${ratio(onSqlite.row.ratio.median)} on SQLite)` : ''}`;
        }),
      )}; each read is a round trip to the database server.`,
    );
  }
  const cached = schemeRows(results).filter((r) => variantOf(r) === 'cache' && baseName(r.name) === FACTS[r.family as SchemeName]?.defaultConfig);
  if (cached.length) {
    const free = cached.filter((r) => r.ratio.min <= 1 && r.ratio.max >= 1);
    more.push(
      `With the Redis lookup cache in front of PostgreSQL, ${joinAnd(cached.map((r) => `${code(r.family)} is at ${ratioSpread(r.ratio)}`))}` +
        (free.length === cached.length
          ? `: ranges that include 1.00×, no cost the rounds can tell from none.`
          : free.length
            ? `; the range of ${joinAnd(free.map((r) => code(r.family)))} includes 1.00×.`
            : '.'),
    );
  }
  const revocation = ['postgres', 'redis'].flatMap((v) => {
    const check = schemeRows(results).find((r) => r.family === 'jwt' && variantOf(r) === v && /revocation check/.test(r.name));
    const plain = schemeRows(results).find((r) => r.family === 'jwt' && variantOf(r) === v && baseName(r.name) === FACTS.jwt.defaultConfig);
    return check && plain ? [{ v: v as Variant, check, plain }] : [];
  });
  const revocationFigures = revocation.length
    ? ` (measured: ${revocation
        .map(
          ({ v, check, plain }) =>
            `on ${VARIANT_TITLE[v]}, ${ratio(check.ratio.median)} with it against ${ratio(plain.ratio.median)} without, for ${count(check.readsPerRequest)} SQL reads and ${count(check.redisCommandsPerRequest)} Redis commands per request`,
        )
        .join('; ')})`
    : '';
  more.push(
    `A logout reaches every instance at once under ${code('token')}, ${code('knox')} and ${code('session')}; under ${code('jwt')} the refresh family is revoked at once, but access tokens live to their \`exp\` unless \`JWT_CHECK_REVOCATION=true\`${revocationFigures}.`,
  );
  const grown = SCHEMES.flatMap((scheme) => {
    const g = growth(results, FACTS[scheme].inProcessCase);
    return g ? [{ scheme, g }] : [];
  });
  const g0 = grown[0]?.g;
  if (g0 && grown.every((x) => x.g.from === g0.from && x.g.to === g0.to)) {
    more.push(
      `From ${fixed(g0.from, 0)} to ${fixed(g0.to, 0)} stored credentials, one \`authenticate()\` call (in process) takes ` +
        `${joinAnd(grown.map(({ scheme, g }) => `${ratio(g.last.nsPerCall.median / g.first.nsPerCall.median)} as long for ${code(scheme)}`))}.`,
    );
  }
  const instances = results.instances;
  if (instances.length) {
    more.push(
      `Two instances on shared storage serve ${joinAnd(instances.map((i) => `${ratio(i.ratio.median)} (${i.name})`))} the requests per second of one.`,
    );
  }
  for (const line of more) out.push(`- ${line}`);
  return out;
}

function glance(results: Results): string[] {
  const out = [
    '| scheme | auth µs/request (min–max) | paired ratio (min–max) | SQL reads / writes per request | stores per credential | a logout reaches other instances |',
    '|---|---:|---:|---:|---|---|',
  ];
  for (const scheme of SCHEMES) {
    const row = defaultRow(results, scheme, 'sqlite') ?? VARIANTS.map((v) => defaultRow(results, scheme, v)).find(Boolean);
    const facts = FACTS[scheme];
    const stored = facts.storesShort;
    if (!row) {
      out.push(`| ${code(scheme)} | not in this run | | | ${stored} | ${facts.reachesOthers} |`);
      continue;
    }
    out.push(
      `| ${code(scheme)}${row.name === scheme ? '' : ` (${row.name})`} | ${authWithSpread(results, row)} | ${ratioSpread(row.ratio)} | ${count(row.readsPerRequest)} / ${count(row.writesPerRequest)} | ${stored} | ${facts.reachesOthers} |`,
    );
  }
  return out;
}

function costTable(results: Results, scheme: SchemeName): string[] {
  const rows = results.http.filter((r) => r.family === scheme && r.kind !== 'baseline');
  if (!rows.length) return ['This run measured no configuration of this scheme over HTTP.'];
  const stored = rows.some((r) => r.storage !== 'sqlite');
  const withInstructions = rows.some((r) => instructionsOf(results, r));
  const header = ['configuration', 'auth µs/request (min–max)', 'paired ratio (min–max)', 'SQL reads / writes per request'];
  if (stored) header.push('Redis commands per request', 'PostgreSQL + Redis µs/request');
  if (withInstructions) header.push('instructions per request (auth)');
  const out = [`| ${header.join(' | ')} |`, `|---|${header.slice(1).map(() => '---:|').join('')}`];
  for (const row of rows) {
    const cells = [
      row.kind === 'peer' ? `${row.name} (another library, for comparison)` : row.name,
      authWithSpread(results, row),
      ratioSpread(row.ratio),
      `${count(row.readsPerRequest)} / ${count(row.writesPerRequest)}`,
    ];
    if (stored) cells.push(count(row.redisCommandsPerRequest), row.storage === 'sqlite' ? '' : micros(row.storeMicros));
    if (withInstructions) {
      const i = instructionsOf(results, row);
      cells.push(i ? `${fixed(i.perRequest, 0)}${i.authPerRequest === null ? '' : ` (${fixed(i.authPerRequest, 0)})`}` : '');
    }
    out.push(mdRow(cells));
  }
  const negative = rows.filter((r) => r.authMicros < 0);
  if (negative.length) {
    out.push('');
    out.push(
      `A negative auth µs (${joinAnd(negative.map((r) => r.name))}) means the configuration's server used less CPU per request than its baseline in the median pair: the check costs less than the rounds' noise.`,
    );
  }
  return out;
}

function scalingTable(results: Results, scheme: SchemeName): string[] {
  const facts = FACTS[scheme];
  const sizes = results.inProcess;
  const names = [...new Set(sizes.flatMap((s) => s.cases.map((c) => c.name)))].filter(facts.inProcessRelated);
  if (!sizes.length || !names.length) return ['This run measured no in-process case of this scheme.'];
  const out: string[] = [];
  const g = growth(results, facts.inProcessCase);
  if (g) {
    out.push(
      `One \`${facts.inProcessCase}\` call takes ${nsAsMicros(g.first.nsPerCall.median)} µs with ${fixed(g.from, 0)} credentials stored and ` +
        `${nsAsMicros(g.last.nsPerCall.median)} µs with ${fixed(g.to, 0)}: ${ratio(g.last.nsPerCall.median / g.first.nsPerCall.median)}, ` +
        `for ${count(g.last.readsPerCall)} SQL reads per call.`,
    );
    out.push('');
  }
  const smallest = sizes[0]!;
  const largest = sizes[sizes.length - 1]!;
  const header = ['case', ...sizes.map((s) => `µs at ${powerOfTen(s.credentials)} credentials`)];
  if (sizes.length > 1) header.push(`${powerOfTen(largest.credentials)} ÷ ${powerOfTen(smallest.credentials)}`);
  header.push('reads / writes per call');
  out.push(`| ${header.join(' | ')} |`, `|---|${header.slice(1).map(() => '---:|').join('')}`);
  for (const name of names) {
    const cases = sizes.map((s) => inProcessCase(s, name));
    const cells = [name, ...cases.map((c) => (c ? `${nsAsMicros(c.nsPerCall.median)} (${nsAsMicros(c.nsPerCall.min)}–${nsAsMicros(c.nsPerCall.max)})` : ''))];
    if (sizes.length > 1) {
      const a = inProcessCase(smallest, name);
      const b = inProcessCase(largest, name);
      cells.push(a && b ? ratio(b.nsPerCall.median / a.nsPerCall.median) : '');
    }
    const any = cases.find(Boolean)!;
    cells.push(`${count(any.readsPerCall)} / ${count(any.writesPerCall)}`);
    out.push(mdRow(cells));
  }
  return out;
}

function instancesLines(results: Results, scheme: SchemeName): string[] {
  const rows = results.instances.filter((i) => instanceScheme(i.name) === scheme);
  if (!rows.length) return [];
  return [
    '',
    `Two instances against one on the same storage: ${joinAnd(
      rows.map((i) => `${ratioSpread(i.ratio)} on ${i.name.slice(scheme.length + 2) || STORAGE_TITLE[i.storage]} (${fixed(i.oneRequestsPerSecond, 0)} → ${fixed(i.twoRequestsPerSecond, 0)} req/s)`),
    )}.`,
  ];
}

/** docs/choosing.md, from the results. */
export function renderGuide(results: Results): string {
  const out: string[] = ['# Choosing a scheme', ''];
  out.push(...conclusion(results));
  out.push('');
  out.push(
    `Figures from the benchmark run of ${results.date} on ${results.machine}${results.pinning ? `; ${results.pinning}` : ''}` +
      `${results.pairs ? `, ${results.pairs} pairs of rounds per configuration` : ''}.` +
      (results.quick ? ' **This was a `--quick` run: its figures are not meaningful.**' : ''),
  );
  out.push(
    '**Auth µs** is the server CPU per request above a server of the same app and route that checks no credential, in the same pair of rounds; ' +
      '**paired ratio** is the configuration\'s requests per second over that server\'s; both are the median over the pairs, with the lowest and highest pair in parentheses. ' +
      'How they are measured, and their limits, is in [benchmarks.md](benchmarks.md).',
  );
  out.push('');
  out.push(
    '<!-- Generated from benchmarks/results/latest.json by `npm run -w @authbench/benchmarks choose` (benchmarks/src/choosing.ts). Do not edit: run it again. -->',
  );
  out.push('');
  out.push('## At a glance', '');
  out.push(...glance(results));
  for (const scheme of SCHEMES) {
    const facts = FACTS[scheme];
    out.push('', `## ${code(scheme)}`, '');
    out.push(`Modelled on ${facts.modelledOn}; the credential on each request is ${facts.credential}. It buys ${facts.buys}`);
    out.push('', '### What it costs per request', '');
    out.push(...costTable(results, scheme));
    out.push(...instancesLines(results, scheme));
    out.push('', '### What it stores per credential', '', facts.stores);
    out.push('', '### As the stored credentials grow', '');
    out.push(...scalingTable(results, scheme));
    out.push('', '### Revocation', '', facts.revocation);
    out.push('', '### In a browser', '', facts.browser, '', `More: ${facts.links}, [the browser page](../README.md#the-browser-page).`);
  }
  if (results.http.some((r) => r.storage !== 'sqlite')) {
    out.push('', '## Across storages', '');
    out.push(
      'The paired ratio of each configuration on each storage, each against a no-auth server on the same storage (the table in the README is this one). ' +
        'Running several instances is described in [the README](../README.md#running-several-instances) and [architecture.md](architecture.md#several-instances-postgresql-and-redis).',
      '',
    );
    out.push(renderReadmeTable(results));
  }
  out.push('');
  return out.join('\n');
}

// ---------------------------------------------------------------------------
// The command.

/** The benchmarks package's directory, from src/ (vitest) or dist/src/ (node). */
export function benchmarksDir(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'results', 'latest.json')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no results/latest.json above ${from}`);
    dir = parent;
  }
}

export interface Paths {
  readonly results: string;
  readonly guide: string;
  readonly readme: string;
  readonly page: string;
}

export function defaultPaths(dir = benchmarksDir()): Paths {
  return {
    results: join(dir, 'results', 'latest.json'),
    guide: join(dir, '..', 'docs', 'choosing.md'),
    readme: join(dir, '..', 'README.md'),
    page: join(dir, 'results', 'report.html'),
  };
}

export function loadResults(path: string): Results {
  return parseResults(JSON.parse(readFileSync(path, 'utf8')));
}

function main(): void {
  const paths = defaultPaths();
  const json: unknown = JSON.parse(readFileSync(paths.results, 'utf8'));
  const results = parseResults(json);
  writeFileSync(paths.guide, renderGuide(results));
  const readme = readFileSync(paths.readme, 'utf8');
  const updated = replaceReadmeTable(readme, renderReadmeTable(results));
  if (updated !== readme) writeFileSync(paths.readme, updated);
  // The committed page is the committed results' too, whatever run wrote it last.
  const { report, rounds } = resultsOf(json);
  writeFileSync(paths.page, reportHtml(report, rounds));
  console.log(`wrote ${paths.guide}, the table in ${paths.readme} and ${paths.page}, from ${paths.results} (${results.date})`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
