import type { IncomingMessage } from 'node:http';
import { hash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthScheme } from '@authbench/core';
import { openSqliteStore, type SqliteStore } from '@authbench/store-sqlite';
import { knoxScheme, TOKEN_KEY_LENGTH } from '../src/index.js';

/**
 * Refusing an unknown token and refusing a known token key with a wrong
 * secret should cost the same, so that timing cannot tell an attacker which
 * token keys exist. In process, on the real SQLite store holding thousands of
 * tokens: the two cases alternate (ABBA) over thousands of pairs, and the
 * per-pair differences are summarised by their median and a 20% trimmed mean,
 * both robust to the scheduler's outliers on a shared machine.
 */

const STORED = 3000;
const PAIRS = 3000;
const WARM_UP = 500;
/** The same: the median pair difference within this share of the faster case's median (and 0.5 µs). */
const TOLERANCE = 0.15;

const request = (token: string) => ({ headers: { authorization: `Token ${token}` } }) as unknown as IncomingMessage;
const unknownToken = () => randomBytes(32).toString('hex');

async function elapsed(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work().catch(() => undefined);
  return Number(process.hrtime.bigint() - start);
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
};
const trimmedMean = (xs: readonly number[], trim = 0.2) => {
  const s = [...xs].sort((a, b) => a - b);
  const cut = Math.floor(s.length * trim);
  const kept = s.slice(cut, s.length - cut);
  return kept.reduce((sum, x) => sum + x, 0) / kept.length;
};

interface Comparison {
  medianA: number;
  medianB: number;
  /** Median of B − A over the pairs, in nanoseconds. */
  medianDiff: number;
  trimmedDiff: number;
  same: boolean;
}

/** Times `a` and `b` in alternating order, pair by pair; each gets a fresh input from its factory. */
async function compare(a: () => () => Promise<unknown>, b: () => () => Promise<unknown>): Promise<Comparison> {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < WARM_UP + PAIRS; i++) {
    const [x, y] = [a(), b()];
    let da: number;
    let db: number;
    if (i % 2 === 0) {
      da = await elapsed(x);
      db = await elapsed(y);
    } else {
      db = await elapsed(y);
      da = await elapsed(x);
    }
    if (i >= WARM_UP) {
      ta.push(da);
      tb.push(db);
    }
  }
  const diffs = tb.map((t, i) => t - ta[i]!);
  const medianA = median(ta);
  const medianB = median(tb);
  const bound = Math.max(TOLERANCE * Math.min(medianA, medianB), 500);
  const medianDiff = median(diffs);
  const trimmedDiff = trimmedMean(diffs);
  return { medianA, medianB, medianDiff, trimmedDiff, same: Math.abs(medianDiff) <= bound && Math.abs(trimmedDiff) <= bound };
}

let dir: string;
let store: SqliteStore;
let scheme: AuthScheme;
let known: string[];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'authbench-knox-timing-'));
  store = openSqliteStore(join(dir, 'db.sqlite3'));
  scheme = knoxScheme({ knoxTokens: store.knoxTokens });
  const users = [];
  for (let u = 0; u < 10; u++) users.push(await store.users.create({ username: `user${u}`, email: '', passwordHash: 'x' }));
  known = [];
  for (let i = 0; i < STORED; i++) {
    const { body } = await scheme.login(users[i % users.length]!, { req: request(''), client: 'timing' });
    known.push((body as { token: string }).token);
  }
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

let next = 0;
/** A stored token's key with a fresh wrong secret: the key is found, the digest does not match. */
const wrongSecret = () => {
  const token = known[next++ % known.length]!;
  return token.slice(0, TOKEN_KEY_LENGTH) + unknownToken().slice(0, token.length - TOKEN_KEY_LENGTH);
};
const refuse = (token: string) => () => scheme.authenticate(request(token));

describe('knox refuses an unknown token and a wrong secret for a known key in the same time', () => {
  it('the method sees no difference between two runs of the same work (it does not flake by itself)', async () => {
    const result = await compare(() => refuse(unknownToken()), () => refuse(unknownToken()));
    expect(result.same, JSON.stringify(result)).toBe(true);
  });

  it('the method catches an early exit: a lookup that skips the digest for a key it does not find', async () => {
    // The two lookups knox could do for an unknown key: with the digest first (ours), or without it
    // (django-rest-knox hashes inside its loop over candidates, so an unknown key skips the hash).
    const lookup = (token: string, digestFirst: boolean) => async () => {
      if (digestFirst) hash('sha512', token, 'buffer');
      const candidates = await store.knoxTokens.findByTokenKey(token.slice(0, TOKEN_KEY_LENGTH));
      for (const c of candidates) hash('sha512', token + c.token.digest, 'buffer');
    };
    const result = await compare(() => lookup(unknownToken(), false), () => lookup(unknownToken(), true));
    expect(result.same, JSON.stringify(result)).toBe(false);
    expect(result.medianDiff).toBeGreaterThan(0); // the digest is the slower side
  });

  it('both refusals are DRF\'s "Invalid token."', async () => {
    for (const token of [unknownToken(), wrongSecret()]) await expect(scheme.authenticate(request(token))).rejects.toMatchObject({ status: 401, body: { detail: 'Invalid token.' } });
  });

  // The digest goes into the lookup (the (token_key, digest) primary key), so both refusals are one probe that finds nothing.
  it('an unknown token and a known key with a wrong secret take the same time', async () => {
    const result = await compare(() => refuse(unknownToken()), () => refuse(wrongSecret()));
    expect(result.same, JSON.stringify(result)).toBe(true);
  });
});
