import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authFromEnv } from '@authbench/env';
import { runCli } from '../src/commands.js';
import { databaseUrlFor, dropRun, REDIS_URL, serversDown } from './servers.js';

const schema = `cli_cache_${randomBytes(4).toString('hex')}`;
const prefix = `test:${schema}:`;
const down = await serversDown(schema, 'the CLI-and-cache tests');
const server = { DATABASE_URL: databaseUrlFor(schema), REDIS_URL, REDIS_CACHE: 'true', REDIS_PREFIX: prefix };

async function cli(argv: string[], env: Record<string, string>, stdin = '') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += String(c)));
  stderr.on('data', (c) => (err += String(c)));
  const code = await runCli(argv, { env, stdin: Readable.from([stdin]), stdout, stderr });
  return { code, out, err };
}

describe.skipIf(down !== null)('the CLI on a database whose servers cache lookups in Redis', () => {
  beforeAll(async () => {
    // A server's start with the cache records it in the database.
    const started = await authFromEnv(server, { hashing: { memoryCost: 1024, timeCost: 1, parallelism: 1 } });
    await started.accounts!.register({ username: 'alice', password: 'correct-horse-battery' });
    await started.close();
  });
  afterAll(() => dropRun(schema, prefix));

  it('refuses to revoke without that cache, in one line saying why and what to do', async () => {
    const withoutCache = { DATABASE_URL: server.DATABASE_URL };
    for (const argv of [['deactivate', 'alice'], ['changepassword', 'alice'], ['deleteuser', 'alice', '--no-input'], ['drf_create_token', '-r', 'alice']]) {
      const { code, out, err } = await cli(argv, withoutCache, 'staple-gun-orbit-lantern\n');
      expect([argv[0], code, out]).toEqual([argv[0], 2, '']);
      expect(err).toBe(
        `authbench: REDIS_CACHE: this database's servers cache credential lookups in Redis (prefix ${prefix}, entries live 60 s): run with their REDIS_URL and REDIS_CACHE=true, or with REDIS_CACHE=false to change the database alone, which the servers' cache may contradict until its entries expire\n`,
      );
    }
    // Reading is not revoking: listusers runs.
    expect((await cli(['listusers'], withoutCache)).code).toBe(0);
  });

  it('revokes through the cache when given it, and in the database alone when told outright', async () => {
    expect(await cli(['deactivate', 'alice'], server)).toEqual({ code: 0, out: 'Deactivated user alice and revoked their credentials.\n', err: '' });
    expect((await cli(['activate', 'alice'], { DATABASE_URL: server.DATABASE_URL, REDIS_CACHE: 'false' })).code).toBe(0);
    expect((await cli(['deactivate', 'alice'], { DATABASE_URL: server.DATABASE_URL, REDIS_CACHE: 'false' })).code).toBe(0);
  });
});
