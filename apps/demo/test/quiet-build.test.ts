import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../../scripts/build-quietly.mjs', import.meta.url));
const run = (workspace: string) => spawnSync(process.execPath, [SCRIPT, workspace], { encoding: 'utf8', timeout: 300_000 });

describe('the build before npm start, npm run cli, bench and soak', () => {
  it("prints nothing when it succeeds: no turbo banner before the program's own lines", () => {
    const { status, stdout, stderr } = run('@authbench/core');
    expect([status, stdout, stderr]).toEqual([0, '', '']);
  });

  it('prints what turbo said, and fails, when it fails', () => {
    const { status, stdout, stderr } = run('@authbench/no-such-package');
    expect(status).not.toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/no-such-package/);
  });
});
