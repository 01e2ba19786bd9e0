#!/usr/bin/env node
// Checks that every library package under packages/ is one a registry would
// accept, as it would be published: run it after the build (`turbo run build`).
//
// For each package:
//   1. `npm pack` it into a fresh temporary folder (outside the repository);
//   2. publint on the package folder (it packs a file list itself), strict,
//      every message counts: errors, warnings and suggestions;
//   3. attw (@arethetypeswrong/cli) on the tarball, with the `esm-only`
//      profile: the packages are ESM only (`"type": "module"`, no `require`
//      condition), so only the CommonJS resolution modes are left out;
//   4. the tarball itself: LICENSE and README.md present, no test files, and
//      every source map's `sources` inside the tarball (src/ ships for that).
//
// Prints one line per package and exits 1 with the list of problems when
// anything was reported. Needs no network: publint and attw work locally, and
// `npm pack` reads only the folder.
//
//   node scripts/check-packages.mjs            every library package
//   node scripts/check-packages.mjs core env   only these (folder names)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = realpathSync(fileURLToPath(new URL('..', import.meta.url)));
const attwBin = join(root, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');

/** Runs a command; resolves with its exit code and what it printed. */
function run(command, args, cwd) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' };
    // npm run from the root passes its context down; a child npm must act on `cwd` alone.
    for (const key of Object.keys(env)) if (/^npm_(package|lifecycle)_/i.test(key)) delete env[key];
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), stdout, stderr }));
  });
}

/** Folders under packages/ with a package.json, optionally only the named ones. */
function libraryPackages(only) {
  const dir = join(root, 'packages');
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'package.json')))
    .filter((d) => only.length === 0 || only.includes(d.name))
    .map((d) => {
      const path = join(dir, d.name);
      return { folder: d.name, path, manifest: JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) };
    })
    .sort((a, b) => a.folder.localeCompare(b.folder));
}

/** `npm pack` into `destination`: the tarball's path and the list of files in it. */
async function pack(pkg, destination) {
  const { code, stdout, stderr } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', destination], pkg.path);
  if (code !== 0) throw new Error(`npm pack failed (exit ${code}): ${stderr.trim() || stdout.trim()}`);
  const [result] = JSON.parse(stdout.slice(stdout.indexOf('[')));
  return { tarball: join(destination, result.filename), files: result.files.map((f) => f.path) };
}

async function publintProblems(pkg) {
  const { messages, pkg: manifest } = await publint({ pkgDir: pkg.path, pack: 'npm', strict: true, level: 'suggestion' });
  return messages.map((m) => `publint ${m.type} ${m.code}: ${formatMessage(m, manifest, { color: false }) ?? JSON.stringify(m)}`);
}

async function attwProblems(tarball) {
  const args = [attwBin, tarball, '--profile', 'esm-only', '--format', 'json', '--no-definitely-typed'];
  const { code, stdout, stderr } = await run(process.execPath, args, root);
  let report;
  try {
    report = JSON.parse(stdout);
  } catch {
    return [`attw exited ${code} without a report: ${(stderr || stdout).trim().split('\n').slice(0, 5).join(' | ')}`];
  }
  const analysis = report.analysis ?? {};
  if (analysis.types === false) return ['attw: the package has no types'];
  // The profile's ignored resolution kinds are in the JSON too; keep only what fails the profile.
  const ignoredKinds = new Set(['node10', 'node16-cjs']);
  const all = Array.isArray(analysis.problems) ? analysis.problems : Object.values(report.problems ?? {}).flat();
  const problems = all.filter((p) => !(p.resolutionKind && ignoredKinds.has(p.resolutionKind)));
  const lines = problems.map((p) => `attw ${p.kind}${p.entrypoint ? ` at ${p.entrypoint}` : ''}${p.resolutionKind ? ` (${p.resolutionKind})` : ''}`);
  if (code !== 0 && lines.length === 0) lines.push(`attw exited ${code}: ${stderr.trim().split('\n').slice(0, 5).join(' | ')}`);
  return lines;
}

/** What the tarball holds, checked directly. */
function contentProblems(pkg, files) {
  const problems = [];
  const packed = new Set(files);
  for (const required of ['package.json', 'LICENSE', 'README.md']) {
    if (!packed.has(required)) problems.push(`tarball: no ${required}`);
  }
  for (const file of files) {
    if (/(^|\/)(test|tests|__tests__)\//.test(file) || /\.(test|spec)\.[cm]?[jt]s(\.map)?$/.test(file) || /\.test\.d\.ts/.test(file)) {
      problems.push(`tarball: test file ${file}`);
    }
    if (file.endsWith('.map')) {
      let map;
      try {
        map = JSON.parse(readFileSync(join(pkg.path, file), 'utf8'));
      } catch (error) {
        problems.push(`tarball: unreadable source map ${file} (${error.message})`);
        continue;
      }
      for (const source of map.sources ?? []) {
        const resolved = posix.normalize(posix.join(posix.dirname(file), map.sourceRoot ?? '', source));
        if (!packed.has(resolved)) problems.push(`tarball: ${file} maps to ${resolved}, which is not in the tarball`);
      }
    }
  }
  // A compiled file whose source is gone is a leftover of an older build.
  for (const file of files) {
    const match = /^dist\/(.+)\.(?:js|d\.ts)$/.exec(file);
    if (match && !existsSync(join(pkg.path, 'src', `${match[1]}.ts`))) {
      problems.push(`tarball: ${file} has no source in src/ (a stale build? remove dist and rebuild)`);
    }
  }
  return problems;
}

async function main() {
  const only = process.argv.slice(2);
  const packages = libraryPackages(only);
  if (packages.length === 0) {
    console.error(`[check-packages] no package matches ${only.join(', ')}`);
    return 1;
  }
  const unbuilt = packages.filter((p) => !existsSync(join(p.path, 'dist')));
  if (unbuilt.length > 0) {
    console.error(`[check-packages] not built: ${unbuilt.map((p) => p.manifest.name).join(', ')}; run the build first (npm run build)`);
    return 1;
  }
  const destination = mkdtempSync(join(realpathSync(tmpdir()), 'authbench-check-packages-'));
  const failures = [];
  const checkOne = async (pkg) => {
    try {
      if (pkg.manifest.private === true) return ['package.json: "private": true (a library package must be publishable)'];
      const { tarball, files } = await pack(pkg, destination);
      return [...(await publintProblems(pkg)), ...(await attwProblems(tarball)), ...contentProblems(pkg, files)];
    } catch (error) {
      return [`check failed: ${error instanceof Error ? error.message : String(error)}`];
    }
  };
  try {
    // Two at a time: attw is a TypeScript program per package, CPU-bound.
    const results = new Array(packages.length);
    let next = 0;
    const worker = async () => {
      while (next < packages.length) {
        const index = next++;
        results[index] = await checkOne(packages[index]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(2, availableParallelism()) }, worker));
    packages.forEach((pkg, index) => {
      const name = pkg.manifest.name ?? pkg.folder;
      const problems = results[index];
      console.log(`[check-packages] ${name}: ${problems.length === 0 ? 'ok' : `${problems.length} problem(s)`}`);
      if (problems.length > 0) failures.push({ name, problems });
    });
  } finally {
    rmSync(destination, { recursive: true, force: true });
  }
  if (failures.length > 0) {
    console.error(`\n[check-packages] ${failures.length} of ${packages.length} packages are not publishable as they stand:`);
    for (const { name, problems } of failures) {
      console.error(`  ${name}`);
      for (const problem of problems) console.error(`    - ${problem}`);
    }
    return 1;
  }
  console.log(`[check-packages] all ${packages.length} packages pass publint and attw (esm-only)`);
  return 0;
}

process.exitCode = await main();
