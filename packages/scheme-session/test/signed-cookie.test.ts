import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import session from 'express-session';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cookieValue, signedCookieReader } from '../src/signed-cookie.js';

/**
 * The read path's cookie check against express-session's own: the session id
 * express-session asks its store for, given a Cookie header, is the one the
 * reader returns, and where express-session asks for none the reader returns
 * null. More runs: `SESSION_DIFF_RUNS=100000 npx vitest run test/signed-cookie.test.ts`.
 */
const RUNS = Number(process.env['SESSION_DIFF_RUNS'] ?? 2000);
const SEED = Number(process.env['SESSION_DIFF_SEED'] ?? 20_261_204);

const SECRET_A = 'first-secret-of-at-least-32-characters';
const SECRET_B = 'second-secret-of-at-least-32-characters';
const SECRET_C = 'a-secret-neither-list-holds-32-characters';

/** cookie-signature's `sign`, written out: what a browser holds is `s:` + this. */
const sign = (sid: string, secret: string) => `${sid}.${createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, '')}`;
/** As express-session sets it: cookie.serialize percent-encodes the value. */
const cookieOf = (sid: string, secret: string) => `sessionid=${encodeURIComponent(`s:${sign(sid, secret)}`)}`;

/** The sid express-session's middleware asks its store for, or null when it asks for none (it makes a new session). */
function expressSessionReader(secrets: readonly string[]): (header: string | undefined) => string | null {
  let asked: string | null = null;
  class RecordingStore extends session.Store {
    override get(sid: string, callback: (error: unknown, value?: session.SessionData | null) => void): void {
      asked = sid;
      callback(null, null);
    }
    override set(_sid: string, _data: session.SessionData, callback?: (error?: unknown) => void): void {
      callback?.();
    }
    override destroy(_sid: string, callback?: (error?: unknown) => void): void {
      callback?.();
    }
  }
  const middleware = session({ name: 'sessionid', secret: [...secrets], store: new RecordingStore(), resave: false, saveUninitialized: false });
  return (header) => {
    asked = null;
    const req = { headers: header === undefined ? {} : { cookie: header }, method: 'GET', url: '/', originalUrl: '/', connection: {}, socket: {} };
    const res = { writeHead() {}, end() {}, write() {}, getHeader() {}, setHeader() {} };
    let done = false;
    // The recording store answers at once, so express-session has read the cookie when this returns.
    middleware(req as unknown as IncomingMessage as never, res as unknown as ServerResponse as never, () => (done = true));
    if (!done) throw new Error('express-session did not call next synchronously');
    return asked;
  };
}

const SECRET_LISTS = [[SECRET_A], [SECRET_A, SECRET_B], [SECRET_B, SECRET_A]] as const;
const pair = (secrets: readonly string[]) => ({ ours: signedCookieReader('sessionid', secrets), theirs: expressSessionReader(secrets) });
const readers = SECRET_LISTS.map(pair);

// Session ids: express-session's own form (24 random bytes, base64url), and anything a cookie can carry.
const generatedSid = fc.uint8Array({ minLength: 24, maxLength: 24 }).map((bytes) => Buffer.from(bytes).toString('base64url'));
const TRICKY = ['.', '%', '%2', '%E0%A4%A', ';', '=', ' ', '\t', '"', 's:', 'é', '😀', '\ud800', 'sessionid'];
const anySid = fc.oneof(
  generatedSid,
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.array(fc.oneof(fc.constantFrom(...TRICKY), fc.string({ maxLength: 3 })), { maxLength: 8 }).map((parts) => parts.join('')),
);

/** Percent-encoded as cookie.serialize does it; a lone surrogate, which it cannot encode, stays as it is. */
const percent = (v: string) => {
  try {
    return encodeURIComponent(v);
  } catch {
    return v;
  }
};
/** How the value goes into the header: as express-session writes it, raw, quoted, padded with blanks. */
const encodings = fc.constantFrom(
  percent,
  (v: string) => v,
  (v: string) => `"${percent(v)}"`,
  (v: string) => ` \t${percent(v)} `,
  (v: string) => percent(v).replace(/%3A/g, ':'),
);

/** What happens to a signed value on the way: nothing, or a tampering. */
const tamperings = fc.oneof(
  { arbitrary: fc.constant((v: string) => v), weight: 6 },
  fc.nat().map((i) => (v: string) => {
    const at = i % v.length;
    const c = v[at] === 'A' ? 'B' : 'A';
    return v.slice(0, at) + c + v.slice(at + 1);
  }),
  fc.nat().map((i) => (v: string) => v.slice(0, i % v.length)),
  fc.constant((v: string) => v.slice(2)), // the s: prefix dropped
  fc.constant((v: string) => `${v}=`), // the padding cookie-signature strips
  fc.constant((v: string) => `${v}.`),
  fc.constant((v: string) => v.toUpperCase()),
).map((t) => t as (v: string) => string);

/** Other cookies around it, segments without `=`, and sometimes a second sessionid. */
const otherCookie = fc.oneof(
  fc.constant('csrftoken=abcdefghijklmnopqrstuvwxyz012345'),
  fc.constant('sessionid=s%3Aother.signature'),
  fc.constant('sessionid='),
  fc.constant('novalue'),
  fc.constant(''),
  fc.constant(' sessionid =x'),
  fc.constant('SESSIONID=x'),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
);

const signedCookieHeader = fc
  .record({
    sid: anySid,
    secret: fc.constantFrom(SECRET_A, SECRET_B, SECRET_C),
    tamper: tamperings,
    encode: encodings,
    before: fc.array(otherCookie, { maxLength: 3 }),
    after: fc.array(otherCookie, { maxLength: 3 }),
    separator: fc.constantFrom('; ', ';', ' ; ', ';\t'),
  })
  .map(({ sid, secret, tamper, encode, before, after, separator }) =>
    [...before, `sessionid=${encode(tamper(`s:${sign(sid, secret)}`))}`, ...after].join(separator),
  );

// Headers made of the characters that matter to the parser, around a real signed cookie and its parts.
const signature = sign('sid', SECRET_A).slice(4);
const scrambledHeader = fc
  .array(fc.constantFrom('sessionid', '=', ';', ' ', '\t', '"', 's:', 'sid', '.', signature, '%3A', '%', 'x', `sessionid=s:sid.${signature}`), {
    maxLength: 16,
  })
  .map((parts) => parts.join(''));

describe('the read path reads the session cookie as express-session does', () => {
  it('accepts a cookie express-session signed, with either secret of the list, and gives its id', () => {
    const sid = 'hRIzN5rvoV9q0K1SQ1n6WyArLP5w1bQd';
    for (const { ours, theirs } of readers) {
      expect(ours(cookieOf(sid, SECRET_A))).toBe(sid);
      expect(theirs(cookieOf(sid, SECRET_A))).toBe(sid);
    }
    // Rotated: signed with the old secret B, still in the list behind the new one.
    const rotated = signedCookieReader('sessionid', [SECRET_A, SECRET_B]);
    expect(rotated(cookieOf(sid, SECRET_B))).toBe(sid);
    expect(signedCookieReader('sessionid', [SECRET_A])(cookieOf(sid, SECRET_B))).toBeNull();
  });

  it('refuses a tampered id or signature, a wrong secret, an unsigned or empty id', () => {
    const read = signedCookieReader('sessionid', [SECRET_A]);
    const valid = `s:${sign('abc', SECRET_A)}`;
    expect(read(`sessionid=${valid}`)).toBe('abc');
    expect(read(`sessionid=${valid.replace('abc', 'abd')}`)).toBeNull();
    expect(read(`sessionid=${valid.slice(0, -1)}x`)).toBeNull();
    expect(read(cookieOf('abc', SECRET_C))).toBeNull();
    expect(read('sessionid=abc')).toBeNull();
    expect(read(`sessionid=s:${sign('', SECRET_A)}`)).toBeNull();
    expect(read(`sessionid=${valid}=`)).toBeNull();
    expect(read(undefined)).toBeNull();
  });

  it('takes the first sessionid cookie, trimmed, unquoted and percent-decoded', () => {
    const read = signedCookieReader('sessionid', [SECRET_A]);
    const valid = `s:${sign('a.b%c', SECRET_A)}`;
    expect(read(`csrftoken=x; sessionid=${encodeURIComponent(valid)}; sessionid=junk`)).toBe('a.b%c');
    expect(read(`sessionid=junk; sessionid=${encodeURIComponent(valid)}`)).toBeNull();
    expect(read(`stray; sessionid = "${encodeURIComponent(valid)}" `)).toBe('a.b%c');
    expect(cookieValue('a=1; b="%41"; c=%E0%A4%A', 'b')).toBe('A');
    expect(cookieValue('a=1; b="%41"; c=%E0%A4%A', 'c')).toBe('%E0%A4%A'); // undecodable: as it is
    expect(cookieValue('a; b=2', 'b')).toBe('2');
    expect(cookieValue('b="', 'b')).toBe(''); // one quote is both the opening and the closing one
    expect(cookieValue('b=""', 'b')).toBe('');
    expect(cookieValue('x', 'x')).toBeUndefined();
  });

  it.each(SECRET_LISTS.map((secrets, i) => [secrets.length, i] as const))(
    'agrees with express-session on signed, tampered, wrong-secret, rotated and malformed cookies (%i secret(s), list %i)',
    (_count, list) => {
      const { ours, theirs } = readers[list]!;
      const tally = { accepted: 0, refused: 0 };
      fc.assert(
        fc.property(signedCookieHeader, (header) => {
          const expected = theirs(header);
          tally[expected === null ? 'refused' : 'accepted']++;
          expect(ours(header)).toBe(expected);
        }),
        { seed: SEED + list, numRuns: RUNS },
      );
      // Both sides of the comparison were exercised, many times each.
      expect(tally.accepted + tally.refused).toBe(RUNS);
      expect(Math.min(tally.accepted, tally.refused)).toBeGreaterThan(RUNS / 20);
    },
  );

  it('agrees with express-session on headers scrambled from the characters the parser splits on', () => {
    const { ours, theirs } = readers[0]!;
    let accepted = 0;
    fc.assert(
      fc.property(scrambledHeader, (header) => {
        const expected = theirs(header);
        if (expected !== null) accepted++;
        expect(ours(header)).toBe(expected);
      }),
      { seed: SEED + 10, numRuns: RUNS },
    );
    expect(theirs(`sessionid=s:sid.${signature}`)).toBe('sid');
    // Headers where the first sessionid cookie is that one come up too, and both accept them.
    expect(accepted).toBeGreaterThan(RUNS / 50);
  });
});
