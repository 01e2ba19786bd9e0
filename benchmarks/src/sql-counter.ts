import Database from 'better-sqlite3';

/** Statements run since the last reset, by SQLite's own verdict on each one. */
export interface SqlCounts {
  reads: number;
  writes: number;
}

const counts: SqlCounts = { reads: 0, writes: 0 };
const TRANSACTION_CONTROL = /^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b/i;
type Kind = 'read' | 'write' | 'control';
const kinds = new WeakMap<object, Kind>();

/**
 * Counts every statement better-sqlite3 executes in this process: a read
 * when SQLite calls it read-only (`stmt.readonly`), a write otherwise;
 * transaction control is not counted. This is the boundary every store and
 * peer crosses, so the count cannot miss a statement run inside a store
 * method. Installed once; the cost is one WeakMap lookup per statement.
 */
export function countSqlStatements(): void {
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, unknown>;
  probe.close();
  if (proto['__authbenchCounted']) return;
  proto['__authbenchCounted'] = true;
  for (const method of ['run', 'get', 'all', 'iterate']) {
    const original = proto[method] as (this: Database.Statement, ...args: unknown[]) => unknown;
    proto[method] = function (this: Database.Statement, ...args: unknown[]) {
      let kind = kinds.get(this);
      if (kind === undefined) {
        kind = TRANSACTION_CONTROL.test(this.source) ? 'control' : this.readonly ? 'read' : 'write';
        kinds.set(this, kind);
      }
      if (kind === 'read') counts.reads++;
      else if (kind === 'write') counts.writes++;
      return original.apply(this, args);
    };
  }
}

/** The running totals (a copy). */
export function sqlCounts(): SqlCounts {
  return { ...counts };
}
