/** Statements sent to PostgreSQL and commands sent to Redis since the process started. */
export interface StoreCounts {
  pgReads: number;
  pgWrites: number;
  redisCommands: number;
}

const counts: StoreCounts = { pgReads: 0, pgWrites: 0, redisCommands: 0 };
const CONTROL = /^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE|SET|RESET|SHOW)\b/i;
const READ = /^\s*(SELECT|VALUES|TABLE)\b/i;
const WRITING = /\b(INSERT|UPDATE|DELETE|MERGE)\b/i;
type Kind = 'read' | 'write' | 'control';
const kinds = new Map<string, Kind>();

/** By the statement's text, once per text: a SELECT is a read unless it locks rows (FOR UPDATE) or writes through a CTE. */
function kindOf(text: string): Kind {
  let kind = kinds.get(text);
  if (kind === undefined) {
    kind = CONTROL.test(text) ? 'control' : READ.test(text) && !/\bFOR\s+(NO\s+KEY\s+)?UPDATE\b/i.test(text) ? 'read' : WRITING.test(text) ? 'write' : 'read';
    kinds.set(text, kind);
  }
  return kind;
}

/**
 * Counts what this process sends to PostgreSQL (every `pg` client's query:
 * the pool's, the store's transactions) and to Redis (every node-redis
 * command, each command of a pipeline or MULTI, a script's EVALSHA and any
 * EVAL retry): the boundary every store method crosses, as the SQLite
 * counter does for better-sqlite3. Loaded only by the app servers; one Map
 * lookup per statement, one increment per command.
 */
export async function countStoreCommands(): Promise<void> {
  const pg = (await import('pg')).default;
  const clientProto = pg.Client.prototype as unknown as Record<string, unknown>;
  if (!clientProto['__authbenchCounted']) {
    clientProto['__authbenchCounted'] = true;
    const query = clientProto['query'] as (this: unknown, ...args: unknown[]) => unknown;
    clientProto['query'] = function (this: unknown, ...args: unknown[]) {
      const config = args[0];
      const text = typeof config === 'string' ? config : (config as { text?: unknown } | null)?.text;
      if (typeof text === 'string') {
        const kind = kindOf(text);
        if (kind === 'read') counts.pgReads++;
        else if (kind === 'write') counts.pgWrites++;
      }
      return query.apply(this, args);
    };
  }

  const { createClient } = await import('redis');
  // The methods every command goes through live on node-redis's RedisClient class, up the prototype chain.
  let proto: Record<string, unknown> | null = Object.getPrototypeOf(createClient()) as Record<string, unknown>;
  while (proto && !Object.prototype.hasOwnProperty.call(proto, 'sendCommand')) proto = Object.getPrototypeOf(proto) as Record<string, unknown> | null;
  if (!proto) throw new Error('store-counter: node-redis has no sendCommand to count');
  if (proto['__authbenchCounted']) return;
  proto['__authbenchCounted'] = true;
  const wrap = (name: string, howMany: (args: unknown[]) => number) => {
    const original = proto![name] as ((this: unknown, ...args: unknown[]) => unknown) | undefined;
    if (typeof original !== 'function') throw new Error(`store-counter: node-redis has no ${name} to count`);
    proto![name] = function (this: unknown, ...args: unknown[]) {
      counts.redisCommands += howMany(args);
      return original.apply(this, args);
    };
  };
  wrap('sendCommand', () => 1);
  wrap('_executePipeline', (args) => (args[0] as unknown[]).length);
  wrap('_executeMulti', (args) => (args[0] as unknown[]).length);
}

/** The running totals (a copy). */
export function storeCounts(): StoreCounts {
  return { ...counts };
}
