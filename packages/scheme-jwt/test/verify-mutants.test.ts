/**
 * The differential property must catch a broken fast verifier. Each mutant
 * is src/verify.ts with one check removed or bent (one exact edit, found
 * exactly once), loaded from a temporary copy; the same property, with the
 * same seed, must then fail.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALGORITHMS, type JwtAlgorithm } from '../src/keys.js';
import type * as Verify from '../src/verify.js';
import { allFixtures, differentialProperty, RUNS, SEED, type Fixture } from './differential.js';

const source = readFileSync(new URL('../src/verify.ts', import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'authbench-jwt-mutants-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fixtures: Map<JwtAlgorithm, Fixture>;
beforeAll(async () => {
  fixtures = await allFixtures();
});

const MUTANTS: ReadonlyArray<readonly [name: string, find: string, replace: string]> = [
  ['exp not checked', "if (exp !== undefined && exp <= now - leeway) return 'expired';", ''],
  ['leeway added to exp the wrong way', 'exp <= now - leeway', 'exp <= now + leeway'],
  ['a token is still good in its exp second', 'exp <= now - leeway', 'exp < now - leeway'],
  ['nbf not checked', "if (nbf !== undefined && nbf > now + leeway) return 'invalid';", ''],
  ['any alg accepted', "if (header['alg'] !== algorithm) return 'invalid';", ''],
  [
    'signature not checked',
    "if (!signature || !signatureValid(algorithm, key, token.slice(0, dot2), signature)) return 'invalid';",
    "if (!signature) return 'invalid';",
  ],
  ['lenient base64 (Buffer decodes anything)', "if (BASE64URL.test(input)) return input.length % 4 === 1 ? null : Buffer.from(input, 'base64url');", "return Buffer.from(input, 'base64url');"],
  ['crit ignored', "if (!header || !critAccepted(header)) return 'invalid';", "if (!header) return 'invalid';"],
  ['a JSON array taken for an object', '!Array.isArray(value) ?', 'true ?'],
  ['exp type not checked', "if (exp !== undefined && typeof exp !== 'number') return 'invalid';", ''],
  ['audience not checked', "if (audience !== undefined && aud !== audience && !(Array.isArray(aud) && aud.includes(audience))) return 'invalid';", ''],
  ['issuer not checked', "if (issuer !== undefined && claims['iss'] !== issuer) return 'invalid';", ''],
  ['kid ignored', "return kid === undefined ? keys.signing : typeof kid === 'string' ? keys.byKid.get(kid) : undefined;", 'return keys.signing;'],
  ['lax UTF-8', 'value = JSON.parse(utf8.decode(bytes));', "value = JSON.parse(Buffer.from(bytes).toString('utf8'));"],
  ['whitespace not skipped', 'if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) continue;', ''],
];

async function loadMutant(name: string, find: string, replace: string): Promise<typeof Verify> {
  const parts = source.split(find);
  // Exactly one site: a refactor of verify.ts that moves the line fails here, not silently.
  expect(parts.length).toBe(2);
  // The copy lives outside the package, so its one bare import is pinned to this package's jose.
  const mutated = parts.join(replace).replace("from 'jose'", `from '${import.meta.resolve('jose')}'`);
  const file = join(dir, `${name.replace(/\W+/g, '-')}.ts`);
  writeFileSync(file, mutated);
  return (await import(file)) as typeof Verify;
}

describe('the differential property fails on every broken verifier', () => {
  it.each(MUTANTS)('%s', async (name, find, replace) => {
    const mutant = await loadMutant(name, find, replace);
    const property = differentialProperty(ALGORITHMS, mutant.nodeVerifier, fixtures);
    // Same seed and run count as the main suite; stop at the first counterexample, no shrinking.
    const failure = await fc.assert(property, { seed: SEED, numRuns: RUNS * ALGORITHMS.length, endOnFailure: true }).then(
      () => null,
      (error: unknown) => error as Error,
    );
    expect(failure?.message).toMatch(/^Property failed after \d+ tests/);
    // A disagreement with jose, not a crash of the mutant or of the harness.
    expect((failure?.cause as Error | undefined)?.message).toMatch(/^node (accepted|invalid|expired).*, jose (accepted|invalid|expired)/);
  });

  it('and passes on an unchanged copy, so a failure above is the mutation', async () => {
    const copy = await loadMutant('unchanged', "const ASCII = /^[\\x00-\\x7f]*$/;", "const ASCII = /^[\\x00-\\x7f]*$/;");
    const property = differentialProperty(ALGORITHMS, copy.nodeVerifier, fixtures);
    await expect(fc.assert(property, { seed: SEED, numRuns: RUNS * ALGORITHMS.length })).resolves.toBeUndefined();
  });
});
