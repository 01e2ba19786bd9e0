import { createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthScheme } from '@authbench/core';
import { jwtScheme } from '@authbench/scheme-jwt';
import { knoxScheme } from '@authbench/scheme-knox';
import { sessionScheme } from '@authbench/scheme-session';
import { tokenScheme } from '@authbench/scheme-token';
import type { SqliteStore } from '@authbench/store-sqlite';
import { call, STRONG_PASSWORD, startApp, type TestApp } from './harness.js';

/**
 * Random and adversarial requests to every route under every scheme, over
 * real HTTP against the real app and SQLite. Each answer must be a 4xx or
 * success, never a 5xx; carry no stack trace or file path; echo no credential
 * the test holds unless the request itself carried it; and, when an error,
 * be JSON with a `detail`, knox's `error` or field errors.
 *
 * `npm test` runs a fixed seed and a few hundred requests per scheme; a long
 * run is `FUZZ_RUNS=100000 FUZZ_SEED=<any integer> npx vitest run test/fuzz.test.ts`
 * (a failure prints the seed and path that replay it).
 */

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 250);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20_261_122);
// A long run needs time: about 10 ms a request on a shared 2-core machine, with room.
const TIMEOUT = Math.max(60_000, RUNS * 40);

const JWT_SECRET = 'a-fuzz-secret-of-more-than-32-bytes-0123456789';
const SESSION_SECRET = 'a-session-secret-of-at-least-32-characters!';
const KNOX_PREFIX = 'abx_';
// Registered users hash cheaply here so that fuzzed logins can reach the password check often.
const CHEAP_HASHING = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

// ---------------------------------------------------------------------------
// The wire: node:http, so that header bytes go out exactly as generated.

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

interface Spec {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | null;
  /** Send the body chunked instead of with a Content-Length. */
  chunked: boolean;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string;
  body: string;
}

function send(port: number, spec: Spec): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...spec.headers };
    // Framed explicitly: Node's client sends a GET, HEAD, DELETE or OPTIONS body unframed by default,
    // and unframed bytes read as a next request on the connection.
    if (spec.body) headers[spec.chunked ? 'transfer-encoding' : 'content-length'] = spec.chunked ? 'chunked' : String(spec.body.length);
    const req = request({ host: '127.0.0.1', port, method: spec.method, path: spec.path, headers, agent, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders.join('\n'), body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
    req.end(spec.body ?? undefined);
  });
}

// ---------------------------------------------------------------------------
// Building blocks.

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');
/** Header-safe text: what Node's client sends (HTAB, printable ASCII, and bytes 0x80-0xFF as latin1). */
const headerChar = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
  fc.constant('\t'),
);
const headerText = (maxLength = 80) => fc.string({ unit: headerChar, maxLength });
/** Unicode as it travels: its UTF-8 bytes, one latin1 character each. */
const unicodeAsBytes = fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => Buffer.from(s, 'utf8').toString('latin1'));
const hexString = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
const base64urlText = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), maxLength: 60 });
/** Long, though three of them stay under the server's 128 KiB header limit (its 431 has tests of its own). */
const oversized = fc.tuple(fc.constantFrom('a', 'f', '0', '\xe9', '.', ' '), fc.integer({ min: 200, max: 40_000 })).map(([c, n]) => c.repeat(n));

/** A valid token altered: cut, grown, one character changed, its case changed. */
function mutated(valid: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.integer({ min: 0, max: valid.length - 1 }).map((n) => valid.slice(0, n)),
    fc.tuple(headerText(20), fc.boolean()).map(([extra, before]) => (before ? extra + valid : valid + extra)),
    fc.tuple(fc.nat({ max: valid.length - 1 }), headerChar).map(([i, c]) => valid.slice(0, i) + c + valid.slice(i + 1)),
    fc.constant(valid.toUpperCase()),
    fc.constant(valid.split('').reverse().join('')),
  );
}

/** JSON values with the keys that bite naive code. */
const nastyKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'username', 'password', 'email', 'refresh', 'token', 'old_password', 'new_password', '', ' ', 'é');
const scalar = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom('alice', 'bob', 'correct-horse', '', ' ', '\u0000', 'null', '{}'),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
/** JSON text, written by hand so that `__proto__` is a real key in it. */
const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar.map((v) => JSON.stringify(v) ?? 'null'),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
    fc.array(fc.tuple(fc.oneof(nastyKey, fc.string({ maxLength: 10 })), tie('value')), { maxLength: 5 }).map(
      (entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`,
    ),
  ),
})).value;

/** A field for the credential-shaped bodies: usually a string, sometimes anything. */
const field = fc.oneof(
  { arbitrary: fc.string({ maxLength: 40 }).map((s) => JSON.stringify(s)), weight: 4 },
  { arbitrary: fc.constantFrom('"alice"', '"alice "', '"ALICE"', '"bob"'), weight: 3 },
  { arbitrary: fc.integer({ min: 1, max: 70_000 }).map((n) => JSON.stringify('x'.repeat(n))), weight: 1 },
  { arbitrary: jsonText, weight: 2 },
);
const credentialBody = fc
  .tuple(
    fc.record({ username: field, password: field, email: field, refresh: field, token: field, old_password: field, new_password: field }, { requiredKeys: [] }),
    fc.array(fc.tuple(nastyKey, jsonText), { maxLength: 2 }),
  )
  .map(([r, nasty]) => `{${[...Object.entries(r), ...nasty].map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`);

const deepJson = fc
  .tuple(fc.integer({ min: 1, max: 5000 }), fc.constantFrom(['[', ']'], ['{"a":', '}'], ['{"__proto__":', '}']), fc.boolean())
  .map(([n, [open, close], closed]) => open!.repeat(n) + (open === '[' ? '' : '1') + (closed ? close!.repeat(n) : ''));

const formBody = fc.oneof(
  fc
    .array(fc.tuple(fc.oneof(nastyKey, fc.constantFrom('username[]', 'a[b]', 'username', 'password'), fc.string({ maxLength: 10 })), fc.string({ maxLength: 30 })), { maxLength: 120 })
    .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')),
  fc.constantFrom('%', '%E0%A4%A', 'username=%ZZ&password=%', '&&&==', 'username=alice&username=bob&password=x', `${'a=1&'.repeat(200)}`),
);

const bodyText = fc.oneof(
  { arbitrary: credentialBody, weight: 5 },
  { arbitrary: jsonText, weight: 3 },
  { arbitrary: deepJson, weight: 1 },
  { arbitrary: formBody, weight: 2 },
  { arbitrary: fc.string({ maxLength: 200 }), weight: 1 },
  { arbitrary: fc.constantFrom('', '{', '{"username":', 'nul', '"\\ud800"', '{"a":"\\u0000"}', '1e999', '-', '[]', '{}'), weight: 1 },
);
const body = fc.oneof(
  { arbitrary: fc.constant(null), weight: 2 },
  { arbitrary: bodyText.map((t) => Buffer.from(t, 'utf8')), weight: 8 },
  { arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), weight: 1 },
  { arbitrary: fc.integer({ min: 60_000, max: 200_000 }).map((n) => Buffer.from(`{"username":"${'u'.repeat(n)}"}`)), weight: 1 },
);

const contentType = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 6 },
  { arbitrary: fc.constant('application/x-www-form-urlencoded'), weight: 3 },
  {
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'application/json;charset=bogus',
      'application/json; charset="',
      'APPLICATION/JSON',
      'application/x-www-form-urlencoded; charset=iso-8859-1',
      'application/x-www-form-urlencoded; charset=koi8-r',
      'text/plain',
      'multipart/form-data; boundary=x',
      'application/merge-patch+json',
      ';',
      '',
    ),
    weight: 3,
  },
  { arbitrary: headerText(40), weight: 1 },
);

const ROUTES: readonly (readonly [string, string])[] = [
  ['GET', '/healthz'],
  ['POST', '/api/auth/register'],
  ['POST', '/api/auth/login'],
  ['POST', '/api/auth/logout'],
  ['POST', '/api/auth/logoutall'],
  ['POST', '/api/auth/password'],
  ['POST', '/api/auth/refresh'],
  ['POST', '/api/auth/verify'],
  ['GET', '/api/auth/sessions'],
  ['GET', '/api/me'],
  ['GET', '/.well-known/jwks.json'],
];
const pathChar = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
const path = fc.oneof(
  { arbitrary: fc.constantFrom(...ROUTES.map(([, p]) => p)), weight: 8 },
  { arbitrary: fc.constantFrom(...ROUTES.map(([, p]) => p)).map((p) => `${p}/`), weight: 1 },
  { arbitrary: fc.tuple(fc.constantFrom(...ROUTES.map(([, p]) => p)), fc.string({ unit: pathChar, maxLength: 30 })).map(([p, q]) => `${p}?${q}`), weight: 1 },
  {
    arbitrary: fc
      .oneof(fc.string({ unit: pathChar, maxLength: 40 }), fc.constantFrom('%', '%E0%A4%A', '%00', '..', '%2e%2e', '%2F', 'é'.repeat(3)))
      .map((id) => `/api/auth/sessions/${id}`),
    weight: 2,
  },
  { arbitrary: fc.string({ unit: pathChar, maxLength: 60 }).map((p) => `/${p}`), weight: 1 },
  { arbitrary: fc.constantFrom('/%', '/api/me/%E0%A4%A', '//api//me', '/api/me/..', '/api/auth/../me', `/${'a'.repeat(9000)}`), weight: 1 },
);
const method = fc.oneof(
  { arbitrary: fc.constant(null), weight: 8 }, // the route's own method
  { arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'), weight: 2 },
);

// ---------------------------------------------------------------------------
// Each scheme's credentials, valid and forged.

interface Held {
  /** Every secret the test holds; none may appear in an answer to a request that did not carry it. */
  secrets: string[];
  /** Authorization values for this scheme (valid and forged); session's are cookies. */
  authorization: fc.Arbitrary<string>;
  cookie: fc.Arbitrary<string>;
  csrf: fc.Arbitrary<string>;
}

const keyword = fc.oneof(fc.constantFrom('Token', 'Bearer', 'Basic', 'token', 'BEARER', 'JWT', 'Digest', ''), fc.string({ unit: pathChar, maxLength: 12 }));
const basicValue = fc.oneof(
  fc.tuple(fc.oneof(fc.constantFrom('alice', 'bob', ''), fc.string({ maxLength: 20 })), fc.string({ maxLength: 20 }), fc.boolean()).map(([u, p, colon]) => b64url(colon ? `${u}:${p}` : u).replace(/-/g, '+')),
  base64urlText,
  fc.constantFrom('====', '%%%', 'YWxpY2U6', 'é'),
);

/** What every scheme's Authorization header may hold, around `tokens` (the scheme's own, valid and forged). */
function authorizationOf(tokens: fc.Arbitrary<string>, ownKeyword: string): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: tokens.map((t) => `${ownKeyword} ${t}`), weight: 6 },
    { arbitrary: fc.tuple(keyword, fc.oneof(tokens, headerText())).map(([k, t]) => `${k} ${t}`), weight: 2 },
    { arbitrary: fc.tuple(fc.oneof(tokens, headerText(20)), fc.oneof(tokens, headerText(20))).map(([a, b]) => `${ownKeyword} ${a} ${b}`), weight: 1 },
    { arbitrary: basicValue.map((v) => `Basic ${v}`), weight: 1 },
    { arbitrary: fc.constantFrom(ownKeyword, `${ownKeyword} `, ' ', `${ownKeyword}\t\t`), weight: 1 },
    { arbitrary: fc.oneof(headerText(), unicodeAsBytes.map((u) => `${ownKeyword} ${u}`)), weight: 1 },
    { arbitrary: oversized.map((o) => `${ownKeyword} ${o}`), weight: 1 },
  );
}

function tokensLike(valid: readonly string[], shaped: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...valid), weight: 2 },
    { arbitrary: fc.constantFrom(...valid).chain(mutated), weight: 3 },
    { arbitrary: shaped, weight: 3 },
    { arbitrary: fc.string({ unit: pathChar, maxLength: 80 }), weight: 1 },
  );
}

const hmac = (input: string) => createHmac('sha256', JWT_SECRET).update(input).digest('base64url');
const signed = (header: string, payload: string) => `${header}.${payload}.${hmac(`${header}.${payload}`)}`;

/** Access tokens altered in each part, unsigned (alg none), and signed with the real key over hostile claims. */
function jwtsLike(valid: readonly string[]): fc.Arbitrary<string> {
  const parts = fc.constantFrom(...valid).map((t) => {
    const [h, p, s] = t.split('.') as [string, string, string];
    return { h, p, s, header: JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>, payload: JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown> };
  });
  const claim = fc.oneof(scalar, fc.constantFrom(1, '1', 0, -1, 1e308, 2 ** 53, 'access', 'refresh', [], {}, { __proto__: null }), fc.string({ maxLength: 40 }));
  const alg = fc.constantFrom('none', 'None', 'HS256', 'HS384', 'HS512', 'RS256', 'ES256', 'EdDSA', '', 'PS256');
  const kid = fc.oneof(base64urlText, fc.integer({ min: 1000, max: 60_000 }).map((n) => 'k'.repeat(n)), claim);
  return fc.oneof(
    // the header replaced; payload and signature kept
    fc.tuple(parts, alg, kid, fc.option(claim)).map(([{ p, s }, a, k, typ]) => `${b64url(JSON.stringify({ alg: a, kid: k, ...(typ !== null && { typ }) }))}.${p}.${s}`),
    // the payload altered; header and signature kept
    fc.tuple(parts, fc.dictionary(nastyKey, claim, { maxKeys: 4 })).map(([{ h, s, payload }, extra]) => `${h}.${b64url(JSON.stringify({ ...payload, ...extra }))}.${s}`),
    // the signature replaced
    fc.tuple(parts, fc.oneof(base64urlText, fc.constant(''))).map(([{ h, p }, sig]) => `${h}.${p}.${sig}`),
    // alg none, no signature
    fc.tuple(parts, fc.constantFrom('none', 'NONE', 'nOnE')).map(([{ header, p }, none]) => `${b64url(JSON.stringify({ ...header, alg: none }))}.${p}.`),
    // the real key over hostile claims: what gets past the signature must still be checked
    fc.tuple(parts, fc.dictionary(fc.constantFrom('user_id', 'token_type', 'exp', 'iat', 'nbf', 'jti', 'sid', 'iss', 'aud', '__proto__'), claim, { maxKeys: 5 })).map(([{ h, payload }, extra]) =>
      signed(h, b64url(JSON.stringify({ ...payload, ...extra }))),
    ),
    fc.tuple(parts, fc.string({ maxLength: 60 })).map(([{ h }, raw]) => signed(h, b64url(raw))),
    // wrong segment counts and alphabets
    fc.constantFrom('.', '..', '...', 'a.b', 'a.b.c.d', 'e30.e30.', 'e30.e30.e30', '!!.??.**', 'eyJhbGciOiJIUzI1NiJ9'),
  );
}

const SESSION_COOKIE = 'sessionid';
function cookiesLike(validSession: readonly string[], validCsrf: readonly string[]): fc.Arbitrary<string> {
  const sessionValue = fc.oneof(
    fc.constantFrom(...validSession),
    fc.constantFrom(...validSession).chain(mutated),
    fc.tuple(base64urlText, base64urlText).map(([sid, sig]) => `s%3A${sid}.${sig}`),
    fc.constantFrom('', '%', '%E0%A4%A', 's%3A', 's:.', '"quoted"', 'j%3A%7B%7D'),
    headerText(40).map((t) => t.replace(/[;,]/g, '')),
  );
  const csrf = fc.oneof(fc.constantFrom(...validCsrf), fc.constantFrom(...validCsrf).chain(mutated), base64urlText, fc.constant(''));
  const pair = fc.oneof(
    sessionValue.map((v) => `${SESSION_COOKIE}=${v}`),
    csrf.map((v) => `csrftoken=${v}`),
    fc.tuple(fc.string({ unit: pathChar, maxLength: 10 }), headerText(20)).map(([k, v]) => `${k.replace(/[;=]/g, '')}=${v.replace(/;/g, '')}`),
  );
  return fc.oneof(fc.array(pair, { minLength: 1, maxLength: 5 }).map((p) => p.join('; ')), headerText(), oversized.map((o) => `${SESSION_COOKIE}=${o}`));
}

// ---------------------------------------------------------------------------
// The property.

interface Scenario {
  name: string;
  makeSchemes: (store: SqliteStore) => AuthScheme[];
  /** Logs in as alice and returns what the test holds. */
  hold: (app: TestApp) => Promise<Held>;
  /** A request that must work after the run (with a fresh login). */
  stillServes: (app: TestApp) => Promise<void>;
}

const loginBody = (username = 'alice') => ({ json: { username, password: STRONG_PASSWORD } });
const noHeaderArb = fc.constant('');

const SCENARIOS: Scenario[] = [
  {
    name: 'token',
    makeSchemes: (store) => [tokenScheme({ tokens: store.tokens })],
    async hold(app) {
      const token = ((await call(app, 'POST', '/api/auth/login', loginBody())).body as { token: string }).token;
      return { secrets: [token], authorization: authorizationOf(tokensLike([token], hexString(40)), 'Token'), cookie: noHeaderArb, csrf: noHeaderArb };
    },
    async stillServes(app) {
      const token = ((await call(app, 'POST', '/api/auth/login', loginBody('bob'))).body as { token: string }).token;
      expect((await call(app, 'GET', '/api/me', { headers: { authorization: `Token ${token}` } })).body).toEqual({ id: 2, username: 'bob', email: '' });
    },
  },
  {
    name: 'knox',
    makeSchemes: (store) => [knoxScheme({ knoxTokens: store.knoxTokens, tokenPrefix: KNOX_PREFIX })],
    async hold(app) {
      const tokens: string[] = [];
      for (let i = 0; i < 2; i++) tokens.push(((await call(app, 'POST', '/api/auth/login', loginBody())).body as { token: string }).token);
      const shaped = fc.oneof(
        hexString(64).map((h) => KNOX_PREFIX + h), // valid-looking, unknown
        hexString(64).map((h) => `xyz_${h}`), // the wrong prefix
        hexString(68), // no prefix, the right length
        fc.constantFrom(...tokens).map((t) => t.slice(0, 19) + '0'.repeat(t.length - 19)), // a known key, a wrong secret
      );
      return { secrets: tokens, authorization: authorizationOf(tokensLike(tokens, shaped), 'Token'), cookie: noHeaderArb, csrf: noHeaderArb };
    },
    async stillServes(app) {
      const token = ((await call(app, 'POST', '/api/auth/login', loginBody('bob'))).body as { token: string }).token;
      expect((await call(app, 'GET', '/api/me', { headers: { authorization: `Token ${token}` } })).body).toEqual({ id: 2, username: 'bob', email: '' });
    },
  },
  {
    name: 'jwt',
    makeSchemes: (store) => [jwtScheme({ jwt: store.jwt, users: store.users, signingKey: JWT_SECRET })],
    async hold(app) {
      const pairs: { access: string; refresh: string }[] = [];
      for (let i = 0; i < 2; i++) pairs.push((await call(app, 'POST', '/api/auth/login', loginBody())).body as { access: string; refresh: string });
      const all = pairs.flatMap((p) => [p.access, p.refresh]);
      return { secrets: [...all, JWT_SECRET], authorization: authorizationOf(fc.oneof(fc.constantFrom(...all), jwtsLike(all)), 'Bearer'), cookie: noHeaderArb, csrf: noHeaderArb };
    },
    async stillServes(app) {
      const { access } = (await call(app, 'POST', '/api/auth/login', loginBody('bob'))).body as { access: string };
      expect((await call(app, 'GET', '/api/me', { headers: { authorization: `Bearer ${access}` } })).body).toEqual({ id: 2, username: 'bob', email: '' });
    },
  },
  {
    name: 'session',
    makeSchemes: (store) => [sessionScheme({ sessions: store.sessions, secrets: [SESSION_SECRET] })],
    async hold(app) {
      const sessions: string[] = [];
      const csrfs: string[] = [];
      for (let i = 0; i < 2; i++) {
        const reply = await call(app, 'POST', '/api/auth/login', loginBody());
        for (const line of reply.headers.getSetCookie()) {
          const [name, value] = line.split(';', 1)[0]!.split('=') as [string, string];
          (name === SESSION_COOKIE ? sessions : csrfs).push(value);
        }
      }
      // The session id inside the signed cookie is a secret of its own.
      const sids = sessions.map((s) => decodeURIComponent(s).slice(2).split('.')[0]!);
      return {
        secrets: [...sessions, ...sids, ...csrfs, SESSION_SECRET],
        authorization: authorizationOf(fc.oneof(hexString(40), base64urlText), 'Token'),
        cookie: cookiesLike(sessions, csrfs),
        csrf: fc.oneof(fc.constantFrom(...csrfs), fc.constantFrom(...csrfs).chain(mutated), headerText(70)),
      };
    },
    async stillServes(app) {
      const reply = await call(app, 'POST', '/api/auth/login', loginBody('bob'));
      const cookie = reply.headers.getSetCookie().map((c) => c.split(';', 1)[0]!).join('; ');
      expect((await call(app, 'GET', '/api/me', { headers: { cookie } })).body).toEqual({ id: 2, username: 'bob', email: '' });
    },
  },
];

/** `arb` in about `percent` of the requests, else null. */
const sometimes = <T>(arb: fc.Arbitrary<T>, percent: number) =>
  fc.oneof({ arbitrary: fc.constant(null), weight: 100 - percent }, { arbitrary: arb, weight: percent });

function specOf(held: Held): fc.Arbitrary<Spec> {
  return fc
    .record({
      route: path,
      method,
      authorization: sometimes(held.authorization, 70),
      cookie: sometimes(held.cookie, 70),
      csrf: sometimes(held.csrf, 60),
      contentType: sometimes(contentType, 85),
      contentEncoding: sometimes(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-unknown', 'gzip, gzip'), 7),
      origin: sometimes(fc.oneof(fc.constantFrom('null', 'http://127.0.0.1', 'https://evil.example', 'http://[::1'), headerText(40)), 15),
      userAgent: sometimes(fc.oneof(headerText(), unicodeAsBytes, oversized), 25),
      extra: sometimes(fc.tuple(fc.constantFrom('x-forwarded-for', 'x-forwarded-proto', 'accept', 'accept-charset', 'x-request-id', 'referer'), headerText()), 25),
      body,
      chunked: fc.boolean(),
    })
    .map((r) => {
      const own = ROUTES.find(([, p]) => r.route.split('?')[0]!.replace(/\/$/, '') === p)?.[0];
      const m = r.method ?? own ?? (r.route.startsWith('/api/auth/sessions/') ? 'DELETE' : 'GET');
      const headers: Record<string, string> = {};
      if (r.authorization !== null) headers['authorization'] = r.authorization;
      if (r.cookie !== null && r.cookie !== '') headers['cookie'] = r.cookie;
      if (r.csrf !== null && r.csrf !== '') headers['x-csrftoken'] = r.csrf;
      if (r.contentType !== null) headers['content-type'] = r.contentType;
      if (r.contentEncoding !== null) headers['content-encoding'] = r.contentEncoding;
      if (r.origin !== null) headers['origin'] = r.origin;
      if (r.userAgent !== null) headers['user-agent'] = r.userAgent;
      if (r.extra !== null) headers[r.extra[0]] = r.extra[1];
      return { method: m, path: r.route, headers, body: r.body, chunked: r.chunked };
    });
}

const STACK = /\n\s+at |\bat [\w.$<>]+ \(|\(\/|\/(?:work|home|tmp|usr)\/|node_modules|\.(?:ts|js|mjs|cjs):\d+/;

/** What an error body may be: a `detail`, knox's `error`, or DRF's field errors. */
function isErrorBody(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const b = body as Record<string, unknown>;
  if (typeof b['detail'] === 'string' || typeof b['error'] === 'string') return true;
  const values = Object.values(b);
  return values.length > 0 && values.every((v) => Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string'));
}

function check(spec: Spec, answer: Answer, held: Held, logged: readonly string[]): void {
  // A 500's cause, logged by the app, goes into the failure message.
  const cause = answer.status >= 500 ? `\n${logged.at(-1) ?? ''}` : '';
  const where = `${spec.method} ${spec.path.slice(0, 120)} -> ${answer.status} ${answer.body.slice(0, 300)}${cause}`;
  expect(answer.status, where).toBeGreaterThanOrEqual(200);
  expect(answer.status, where).toBeLessThan(500);
  expect(STACK.test(answer.body), `a stack trace or path in: ${where}`).toBe(false);
  const sent = Object.values(spec.headers).join('\n') + (spec.body?.toString('latin1') ?? '');
  const seen = `${answer.rawHeaders}\n${answer.body}`;
  for (const secret of held.secrets) {
    if (!sent.includes(secret)) expect(seen.includes(secret), `a held secret echoed by: ${where}`).toBe(false);
  }
  if (answer.status >= 400 && spec.method !== 'HEAD') {
    expect(answer.headers['content-type'], where).toMatch(/^application\/json/);
    expect(isErrorBody(JSON.parse(answer.body)), `not an error body: ${where}`).toBe(true);
  }
}

describe.each(SCENARIOS)('fuzzing every route under $name', (scenario) => {
  let app: TestApp;
  let held: Held;
  beforeAll(async () => {
    app = await startApp(scenario.makeSchemes, { hashing: CHEAP_HASHING });
    for (const username of ['alice', 'bob']) {
      expect((await call(app, 'POST', '/api/auth/register', loginBody(username))).status).toBe(201);
    }
    held = await scenario.hold(app);
  });
  afterAll(async () => {
    await app.close();
  });

  it(
    `answers ${RUNS} random requests with no 5xx, no stack, no echoed secret, and JSON errors; then still serves`,
    async () => {
      let statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(specOf(held), async (spec) => {
          const answer = await send(app.port, spec);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          check(spec, answer, held, app.logged);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: RUNS > 1000 },
      );
      statuses = new Map([...statuses].sort(([a], [b]) => a - b));
      // The run reached past the front door: successes, refusals of each kind, and body errors.
      const refused = scenario.name === 'session' ? 403 : 401; // session has no challenge
      for (const status of [200, 400, refused, 404, 405, 415]) expect(statuses.has(status), `no ${status} in ${[...statuses]}`).toBe(true);
      expect(app.logged).toEqual([]);
      await scenario.stillServes(app);
    },
    TIMEOUT,
  );
});

afterAll(() => agent.destroy());

describe('what the fuzzer found, pinned', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp((store) => [knoxScheme({ knoxTokens: store.knoxTokens })], { hashing: CHEAP_HASHING });
  });
  afterAll(async () => {
    await app.close();
  });

  it('a path parameter that is not valid percent-encoding is a 404, not a 500 quoting it', async () => {
    for (const id of ['%', '%E0%A4%A', 'a%zz']) {
      const reply = await call(app, 'DELETE', `/api/auth/sessions/${id}`);
      expect([reply.status, reply.body]).toEqual([404, { detail: 'Not found.' }]);
    }
    expect(app.logged).toEqual([]);
  });

  it.each(['gzip', 'deflate', 'br'])('a body its Content-Encoding (%s) does not describe is a 400, not a 500', async (encoding) => {
    const reply = await call(app, 'POST', '/api/auth/login', { body: '{}', headers: { 'content-type': 'application/json', 'content-encoding': encoding } });
    expect([reply.status, reply.body]).toEqual([400, { detail: 'Malformed request body.' }]);
    expect(app.logged).toEqual([]);
  });

  it('bytes after a request are a request of their own: its 400 comes after the first answer, never instead of it', async () => {
    // What Node's client does with a body on HEAD: no framing, so the body reads as a next request.
    const socket = connect(app.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const ended = new Promise<string>((resolve) => socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1'))));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      if (chunks.push(chunk) === 1) socket.write('[9747123,"/K"]\r\n\r\n'); // after the first response has begun
    });
    socket.write('HEAD /api/me HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: x-unknown\r\n\r\n');
    const raw = await ended;
    expect(raw).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    // The garbage is a malformed request of its own: a 400 after the 401 finished is correct framing.
    expect(raw.match(/^HTTP\/1\.1 \d+/gm)).toEqual(['HTTP/1.1 401', 'HTTP/1.1 400']);
  });
});
