import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * The command line of `npm run bench` and `npm run soak`: `--help` prints
 * `usage` and exits 0; an unknown or malformed option is one line on stderr
 * and exit 2, never a stack trace.
 */
/** The values `parseArgs` gives for these options. */
export type CommandLine<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O }>>['values'];

export function readCommandLine<const O extends Options>(command: string, usage: string, options: O, args = process.argv.slice(2)): CommandLine<O> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage.trim());
    process.exit(0);
  }
  try {
    return parseArgs({ args, options }).values;
  } catch (error) {
    console.error(`${command}: ${(error as Error).message.split('\n', 1)[0]} (${command} --help lists the options)`);
    process.exit(2);
  }
}

/** A path as the person who typed the command sees it: relative to where they ran npm, not the workspace. */
export function shownPath(path: string): string {
  const from = process.env['INIT_CWD'] ?? process.cwd();
  return path.startsWith(from + '/') ? path.slice(from.length + 1) : path;
}
