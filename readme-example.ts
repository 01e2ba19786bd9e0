import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, vi } from 'vitest';

/**
 * A package README's first ```ts block, as its `test/readme.test.ts` runs it:
 * written beside that test (gitignored, removed afterwards), type-checked
 * against the packages' sources with the workspace's strict settings, then
 * imported, so that what the README shows compiles and prints what it says.
 */
export function readmeExample(testUrl: string) {
  const readme = readFileSync(new URL('../README.md', testUrl), 'utf8');
  const code = /^```ts\n([\s\S]*?)^```/m.exec(readme)?.[1];
  if (!code) throw new Error('README.md has no ```ts block');
  const file = fileURLToPath(new URL('./.readme-example.ts', testUrl));
  writeFileSync(file, code);
  afterAll(() => rmSync(file, { force: true }));

  return {
    file,
    /** tsc's diagnostics for the example, one line each; none when it compiles. */
    typeErrors(): string[] {
      const root = fileURLToPath(new URL('./', import.meta.url));
      const { config } = ts.readConfigFile(`${root}tsconfig.base.json`, ts.sys.readFile);
      const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, root);
      const paths = { '@authbench/*': [`${root}packages/*/src/index.ts`] };
      const program = ts.createProgram([file], { ...options, noEmit: true, paths });
      const host = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
      return ts.getPreEmitDiagnostics(program).map((d) => ts.formatDiagnostic(d, host).trim());
    },
    /** Imports the example and resolves with what it printed through console.log, call by call. */
    async printed(): Promise<unknown[][]> {
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      try {
        await import(file);
        return log.mock.calls;
      } finally {
        log.mockRestore();
      }
    },
  };
}
