import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ViteUserConfig } from 'vitest/config';

const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));

/**
 * Tests run on TypeScript source: every `@authbench/<name>` import resolves to
 * `packages/<name>/src/index.ts`, so a test never sees a stale build.
 */
export function sharedTestConfig(): ViteUserConfig {
  const alias = readdirSync(packagesDir).map((name) => ({
    find: `@authbench/${name}`,
    replacement: `${packagesDir}${name}/src/index.ts`,
  }));
  return {
    resolve: { alias },
    test: {
      include: ['test/**/*.test.ts'],
      // Timeouts catch hangs, not slowness: password hashing is slow on purpose,
      // and a loaded CI machine runs real servers several times slower than a
      // quiet one. No assertion depends on these.
      testTimeout: 60_000,
      hookTimeout: 120_000,
      allowOnly: false,
      // The JSON report feeds the monorepo's one closing line (scripts/test-summary.mjs).
      reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    },
  };
}
