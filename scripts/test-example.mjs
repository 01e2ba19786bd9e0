#!/usr/bin/env node
// Tests examples/existing-app as a team would use authbench: from packed
// tarballs, outside this repository, with no workspace links.
//
//   1. `npm pack` every package under packages/ (they must be built) into a
//      fresh temporary folder outside the repository;
//   2. copy examples/existing-app/ there, without node_modules;
//   3. there: npm install ./*.tgz, npm install, npm test, streaming output.
//
// Exits non-zero when a step fails. The folder is removed at the end; with
// KEEP_EXAMPLE=1 it is kept and its path printed.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = realpathSync(fileURLToPath(new URL('..', import.meta.url)));
const example = join(root, 'examples', 'existing-app');
const keep = process.env.KEEP_EXAMPLE === '1';
const NO_COPY = new Set(['node_modules', 'package-lock.json', 'data', 'test-results', '.DS_Store']);

const say = (line) => console.log(`[test-example] ${line}`);

/**
 * npm run from `npm test` at the root passes its own context down in the
 * environment (the root package, its prefix); the example's npm must not
 * inherit it, or it may act on the monorepo instead of the folder.
 */
function cleanEnv() {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^npm_(package|lifecycle)_/i.test(key) || /^npm_config_(local_prefix|workspaces?|include_workspace_root|prefix|call)$/i.test(key)) delete env[key];
  }
  delete env.INIT_CWD;
  delete env.npm_command;
  delete env.NODE_ENV; // the example's tests set their own environments
  return env;
}

/**
 * Runs a command with its output streamed; resolves with what it printed.
 * @returns {Promise<{ code: number, output: string }>}
 */
function run(command, args, cwd, { capture = false } = {}) {
  say(`$ ${[command, ...args].join(' ')}${cwd === root ? '' : `   (in ${cwd})`}`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: cleanEnv(), stdio: ['ignore', capture ? 'pipe' : 'inherit', capture ? 'pipe' : 'inherit'] });
    let output = '';
    if (capture) {
      child.stdout.on('data', (chunk) => {
        process.stdout.write(chunk);
        output += chunk;
      });
      child.stderr.on('data', (chunk) => {
        process.stderr.write(chunk);
        output += chunk;
      });
    }
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

/** The library packages: every folder under packages/ with a package.json. */
function libraryPackages() {
  const dir = join(root, 'packages');
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'package.json')))
    .map((d) => {
      const path = join(dir, d.name);
      return { path, name: JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')).name };
    });
}

/** Sums node:test's closing lines (TAP `# pass N` or spec `ℹ pass N`) and vitest's `Tests  N passed`. */
function summarise(printed) {
  const output = printed.replace(/\x1b\[[0-9;]*m/g, ''); // vitest colours its summary on a terminal
  const count = (pattern) => [...output.matchAll(pattern)].reduce((sum, m) => sum + Number(m[1]), 0);
  const passed = count(/^(?:#|ℹ) pass (\d+)$/gm) + count(/^\s*Tests\s+(?:\d+ failed \| )?(\d+) passed/gm);
  const failed = count(/^(?:#|ℹ) fail (\d+)$/gm) + count(/^\s*Tests\s+(\d+) failed/gm);
  return { passed, failed };
}

async function main() {
  rmSync(join(root, 'test-results', 'example.json'), { force: true }); // a count only this run wrote
  const packages = libraryPackages();
  const unbuilt = packages.filter((p) => !existsSync(join(p.path, 'dist')));
  if (unbuilt.length > 0) {
    say(`not built: ${unbuilt.map((p) => p.name).join(', ')}; run the build first (npm run build)`);
    return 1;
  }

  const folder = mkdtempSync(join(realpathSync(tmpdir()), 'authbench-example-'));
  const fromRoot = relative(root, folder);
  if (!fromRoot.startsWith('..') && !isAbsolute(fromRoot)) {
    say(`the temporary folder ${folder} is inside the repository; set TMPDIR elsewhere`);
    rmSync(folder, { recursive: true, force: true });
    return 1;
  }
  const cleanUp = () => {
    if (keep) say(`kept ${folder}`);
    else rmSync(folder, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    cleanUp();
    process.exit(130);
  });

  try {
    say(`packing ${packages.length} packages into ${folder}`);
    for (const pkg of packages) {
      const { code } = await run('npm', ['pack', '--silent', '--pack-destination', folder], pkg.path);
      if (code !== 0) {
        say(`npm pack failed for ${pkg.name}`);
        return 1;
      }
    }
    const tarballs = readdirSync(folder).filter((f) => f.endsWith('.tgz')).sort();
    if (tarballs.length !== packages.length) {
      say(`expected ${packages.length} tarballs, found ${tarballs.length}: ${tarballs.join(', ')}`);
      return 1;
    }

    cpSync(example, folder, { recursive: true, filter: (src) => !NO_COPY.has(basename(src)) });

    const steps = [
      ['install', '--no-audit', '--no-fund', ...tarballs.map((t) => `./${t}`)],
      ['install', '--no-audit', '--no-fund'],
    ];
    for (const args of steps) {
      const { code } = await run('npm', args, folder);
      if (code !== 0) {
        say(`npm ${args[0]} failed (exit ${code})`);
        return 1;
      }
    }
    const { code, output } = await run('npm', ['test'], folder, { capture: true });
    const { passed, failed } = summarise(output);
    console.log(`existing-app: ${passed} passed, ${failed} failed`);
    // For the monorepo's one closing line (scripts/test-summary.mjs).
    mkdirSync(join(root, 'test-results'), { recursive: true });
    writeFileSync(join(root, 'test-results', 'example.json'), JSON.stringify({ passed, failed }));
    if (code !== 0) say(`npm test failed (exit ${code})`);
    return code !== 0 || failed > 0 || passed === 0 ? 1 : 0;
  } finally {
    cleanUp();
  }
}

process.exitCode = await main();
