#!/usr/bin/env node
// Adds up the JSON reports every package's vitest run wrote (see vitest.shared.ts)
// and the example app's (test-results/example.json), and prints one closing
// line for the whole monorepo: "N passed, N failed".
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const workspaces = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces;
let passed = 0;
let failed = 0;
let skipped = 0;
for (const pattern of workspaces) {
  const dirs = pattern.endsWith('/*')
    ? readdirSync(join(root, pattern.slice(0, -2))).map((d) => join(root, pattern.slice(0, -2), d))
    : [join(root, pattern)];
  for (const dir of dirs) {
    const report = join(dir, 'test-results', 'vitest.json');
    if (!existsSync(report)) continue;
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = JSON.parse(readFileSync(report, 'utf8'));
    passed += numPassedTests;
    failed += numFailedTests;
    skipped += numPendingTests + numTodoTests;
  }
}
// The example app's tests, run from the packed packages by scripts/test-example.mjs.
const example = join(root, 'test-results', 'example.json');
if (existsSync(example)) {
  const counts = JSON.parse(readFileSync(example, 'utf8'));
  passed += counts.passed;
  failed += counts.failed;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
