import { createInterface } from 'node:readline';
import { Writable, type Readable } from 'node:stream';
import { ApiError, ConfigError, ValidationError, type Env, type UserId } from '@authbench/core';
import { generateKey } from '@authbench/scheme-token';
import { openDemoAuth, type DemoAuth } from './setup.js';

export interface CliIo {
  readonly env: Env;
  readonly stdin: Readable & { isTTY?: boolean };
  readonly stdout: Writable;
  readonly stderr: Writable;
}

const USAGE = `usage: npm run cli -- <command> [arguments]

commands:
  createuser <username> [--email <address>]   create a user; the password is read from
                                              a prompt, or from the first line of stdin
  listusers                                   list every user
  changepassword <username>                   set a new password, read as createuser reads it;
                                              revokes every credential of the user
  deactivate <username>                       refuse the user's logins, and revoke every
                                              credential of theirs
  activate <username>                         accept logins again (revoked credentials stay revoked)
  deleteuser <username> [--no-input]          delete the user and every credential of theirs,
                                              after a confirmation (--no-input: none, for scripts)
  drf_create_token <username> [-r]            print the user's token, creating it if needed;
                                              -r replaces it with a new one
  flushexpiredtokens                          delete expired knox tokens, jwt refresh records and
                                              sessions, whatever AUTH_SCHEME says (the server also
                                              does it every hour)

Settings come from the same environment as the server (DATABASE_PATH, AUTH_SCHEME, ...).
`;

class UsageError extends Error {}
class CommandError extends Error {}

/** Runs one CLI command; resolves with the process exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    io.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  let stack: DemoAuth | undefined;
  try {
    const run = COMMANDS[command];
    if (!run) throw new UsageError(`unknown command "${command}"`);
    stack = await openDemoAuth(io.env);
    await run(args, stack, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`authbench: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ConfigError || error instanceof CommandError) {
      io.stderr.write(`authbench: ${error.message}\n`);
      return error instanceof ConfigError ? 2 : 1;
    }
    if (error instanceof ValidationError) {
      for (const [field, messages] of Object.entries(error.fields)) {
        for (const message of messages) io.stderr.write(`Error: ${field}: ${message}\n`);
      }
      return 1;
    }
    // A server that stopped answering, say: its one-line detail, never a stack.
    if (error instanceof ApiError) {
      io.stderr.write(`authbench: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await stack?.close();
  }
}

type Command = (args: readonly string[], stack: DemoAuth, io: CliIo) => Promise<void>;

const COMMANDS: Record<string, Command> = {
  async createuser(args, { accounts }, io) {
    const { positional, options } = parseArgs(args, ['--email'], []);
    const username = only(positional, 'createuser takes one username');
    // Said before the password is asked for, as Django's createsuperuser does.
    if (await accounts.findByUsername(username)) throw new CommandError('Error: That username is already taken.');
    const password = await readPassword(io);
    const user = await accounts.register({ username, password, email: options.get('--email') ?? '' });
    io.stdout.write(`Created user ${user.username} (id ${user.id}).\n`);
  },

  async listusers(args, { stores }, io) {
    parseArgs(args, [], []);
    const users = await stores.users.list();
    const rows = [['id', 'username', 'email', 'active', 'joined'], ...users.map((u) => [
      String(u.id), u.username, u.email, u.isActive ? 'yes' : 'no', u.dateJoined,
    ])];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const row of rows) io.stdout.write(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd() + '\n');
  },

  async deactivate(args, stack, io) {
    stack.assertRevocationReaches();
    const user = await findUser(stack, only(parseArgs(args, [], []).positional, 'deactivate takes one username'));
    await stack.stores.users.setActive(user.id, false);
    // Refused already while inactive; revoked so that `activate` does not bring them back.
    await revokeAfter(stack, user.id, `deactivated user ${user.username}`, 'deactivate');
    io.stdout.write(`Deactivated user ${user.username} and revoked their credentials.\n`);
  },

  async activate(args, stack, io) {
    const user = await findUser(stack, only(parseArgs(args, [], []).positional, 'activate takes one username'));
    await stack.stores.users.setActive(user.id, true);
    io.stdout.write(`Activated user ${user.username}.\n`);
  },

  async deleteuser(args, stack, io) {
    const { positional, flags } = parseArgs(args, [], ['--no-input', '--noinput']);
    stack.assertRevocationReaches();
    const user = await findUser(stack, only(positional, 'deleteuser takes one username'));
    if (flags.size === 0) {
      const answer = await ask(io, `Delete user '${user.username}' and every credential of theirs? Type 'yes' to continue, or 'no' to cancel: `);
      if (answer !== 'yes') throw new CommandError('Deletion cancelled.');
    }
    // The database's cascade deletes tokens, knox tokens, jwt logins and sessions
    // with the user; with Redis, the store's delete removes what Redis holds (@authbench/env).
    await stack.stores.users.delete(user.id);
    io.stdout.write(`Deleted user ${user.username} and their credentials.\n`);
  },

  // Django's command, with its wording; it also ends every credential of the user.
  async changepassword(args, stack, io) {
    const username = only(parseArgs(args, [], []).positional, 'changepassword takes one username');
    stack.assertRevocationReaches();
    const user = await findUser(stack, username);
    io.stdout.write(`Changing password for user '${username}'\n`);
    await stack.accounts.setPassword(user, await readPassword(io));
    await revokeAfter(stack, user.id, `password changed for user '${username}'`, 'changepassword');
    io.stdout.write(`Password changed successfully for user '${username}'; every credential of theirs is revoked.\n`);
  },

  // DRF's management command, with its wording.
  async drf_create_token(args, stack, io) {
    const { stores } = stack;
    const { positional, flags } = parseArgs(args, [], ['-r', '--reset']);
    const username = only(positional, 'drf_create_token takes one username');
    if (flags.size > 0) stack.assertRevocationReaches(); // -r replaces the token the cache may hold
    const user = await findUser(stack, username);
    const candidate = { key: generateKey(), userId: user.id, created: new Date().toISOString() };
    const token = flags.size > 0 ? await stores.tokens.replace(candidate) : (await stores.tokens.getOrCreate(candidate)).token;
    io.stdout.write(`Generated token ${token.key} for user ${username}\n`);
  },

  async flushexpiredtokens(args, stack, io) {
    parseArgs(args, [], []);
    const deleted = await stack.flushExpired();
    for (const [name, count] of Object.entries(deleted)) io.stdout.write(`${name}: deleted ${count} expired credential(s).\n`);
  },
};

/**
 * Revokes after a change that has already been stored: if revocation fails
 * half-way, the operator is told what did happen and how to finish it.
 */
async function revokeAfter(stack: DemoAuth, userId: UserId, done: string, command: string): Promise<void> {
  try {
    await stack.revokeUser(userId);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    throw new CommandError(`${done}, but revoking their credentials failed (${error.message}); run ${command} again to finish`);
  }
}

async function findUser(stack: DemoAuth, username: string) {
  const user = await stack.stores.users.findByUsername(username);
  // Django's wording (changepassword), for every command.
  if (!user) throw new CommandError(`user '${username}' does not exist`);
  return user;
}

function parseArgs(args: readonly string[], valued: readonly string[], booleans: readonly string[]) {
  const positional: string[] = [];
  const options = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (valued.includes(arg)) {
      const value = args[++i];
      if (value === undefined) throw new UsageError(`${arg} needs a value`);
      options.set(arg, value);
    } else if (booleans.includes(arg)) flags.add(arg);
    else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option "${arg}"`);
    else positional.push(arg);
  }
  return { positional, options, flags };
}

function only(positional: readonly string[], usage: string): string {
  if (positional.length !== 1) throw new UsageError(usage);
  return positional[0]!;
}

/**
 * Never from argv, where `ps` and shell history would see it: from a prompt
 * that does not echo, or the first line of piped stdin.
 */
async function readPassword(io: CliIo): Promise<string> {
  if (!io.stdin.isTTY) {
    let input = '';
    for await (const chunk of io.stdin) input += String(chunk);
    const line = input.split(/\r?\n/, 1)[0] ?? '';
    if (line === '') throw new CommandError('no password on stdin');
    return line;
  }
  const first = await prompt(io, 'Password: ', false);
  const second = await prompt(io, 'Password (again): ', false);
  if (first !== second) throw new CommandError("Your passwords didn't match.");
  return first;
}

/** A yes/no question: on a terminal, a prompt; otherwise the first line of stdin. */
async function ask(io: CliIo, question: string): Promise<string> {
  if (io.stdin.isTTY) return (await prompt(io, question, true)).trim().toLowerCase();
  io.stdout.write(question);
  let input = '';
  for await (const chunk of io.stdin) input += String(chunk);
  io.stdout.write('\n');
  return (input.split(/\r?\n/, 1)[0] ?? '').trim().toLowerCase();
}

function prompt(io: CliIo, question: string, echo: boolean): Promise<string> {
  io.stdout.write(question);
  // A terminal-mode readline echoes what is typed to its output; a password's goes nowhere.
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const rl = createInterface({ input: io.stdin, output: echo ? io.stdout : discard, terminal: true });
  return new Promise((resolve) => {
    rl.question('', (answer) => {
      rl.close();
      io.stdout.write('\n');
      resolve(answer);
    });
  });
}
