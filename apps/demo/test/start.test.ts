import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The built entry point, as `npm start` runs it.
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'authbench-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env['PATH'] ?? '', PORT: '0', DATABASE_PATH: join(dir, 'db.sqlite3'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += String(c)));
  child.stderr.on('data', (c) => (stderr += String(c)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

describe('the built demo', () => {
  it('starts, prints its URL and a curl line, serves, and stops on SIGTERM', async () => {
    const app = start({});
    while (!/Listening on (\S+)/.test(app.output().stdout)) {
      if (app.child.exitCode !== null) throw new Error(app.output().stderr);
      await new Promise((r) => setTimeout(r, 20));
    }
    const { stdout } = app.output();
    const origin = /Listening on (\S+)/.exec(stdout)![1]!;
    expect(stdout).toContain('AUTH_SCHEME=token');
    expect(stdout).toContain(`curl -s -X POST ${origin}/api/auth/register -H 'Content-Type: application/json'`);
    const health = await fetch(`${origin}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok', schemes: ['token'], cookies: [] });
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
  });

  it.each([
    [{}, 1],
    [{ LOG_LEVEL: 'silent' }, 0],
  ])('with %j logs %i JSON line per request to stdout, after the start-up lines', async (env, lines) => {
    const app = start(env);
    while (!/Listening on (\S+)/.test(app.output().stdout)) {
      if (app.child.exitCode !== null) throw new Error(app.output().stderr);
      await new Promise((r) => setTimeout(r, 20));
    }
    const origin = /Listening on (\S+)/.exec(app.output().stdout)![1]!;
    const reply = await fetch(`${origin}/api/me?token=abc`, { headers: { authorization: 'Token 0123456789abcdef0123456789abcdef01234567' } });
    expect(reply.status).toBe(401);
    await fetch(`${origin}/healthz`); // the stdout of the first is written before this answers
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    const json = app.output().stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(json.filter((l) => l['path'] === '/api/me')).toHaveLength(lines);
    if (lines) {
      expect(json[0]).toMatchObject({ level: 'info', msg: 'request', method: 'GET', path: '/api/me', status: 401, reqId: reply.headers.get('x-request-id') });
      expect(app.output().stdout).not.toContain('0123456789abcdef');
    }
    expect(app.output().stdout).toMatch(/^authbench demo: AUTH_SCHEME=token/);
  });

  it.each([
    [{ AUTH_SCHEME: 'kerberos' }, 'authbench: AUTH_SCHEME: unknown scheme "kerberos" (choose from token, knox, jwt, session)\n'],
    [{ AUTH_SCHEME: 'jwt', NODE_ENV: 'production' }, 'authbench: JWT_SIGNING_KEY: required in production (a random secret of at least 32 bytes)\n'],
    [
      { AUTH_SCHEME: 'knox', KNOX_TOKEN_PREFIX: 'far-too-long-prefix' },
      'authbench: KNOX_TOKEN_PREFIX: knoxScheme: options.tokenPrefix must be at most 10 letters, digits, "_", "." or "-", got "far-too-long-prefix"\n',
    ],
    [
      { AUTH_SCHEME: 'knox', KNOX_SECURE_HASH_ALGORITHM: 'md7' },
      'authbench: KNOX_SECURE_HASH_ALGORITHM: knoxScheme: options.hashAlgorithm must be a hash Node supports (such as sha512), got "md7"\n',
    ],
    [{ PORT: '99999' }, 'authbench: PORT: expected a whole number from 0 to 65535, got "99999"\n'],
    [{ LOG_LEVEL: 'loud' }, 'authbench: LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"\n'],
    [{ TOKEN_KEYWORD: 'two words' }, 'authbench: TOKEN_KEYWORD: tokenScheme: options.keyword must be one HTTP token (letters, digits, no spaces), got "two words"\n'],
  ])('refuses %j with exactly one line and exit code 2', async (env, line) => {
    const app = start(env);
    expect(await app.exited).toBe(2);
    expect(app.output()).toEqual({ stdout: '', stderr: line });
  });
});
