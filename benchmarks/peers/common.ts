import { createServer } from 'node:http';
import Database from 'better-sqlite3';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { serveForBenchmark } from '../src/http/child.js';
import { countSqlStatements } from '../src/sql-counter.js';

/**
 * What every peer shares with the app it is compared to: the users' SQLite
 * file with the same settings (WAL, synchronous=NORMAL), and Express with the
 * same app settings (no ETag, no query parser, no X-Powered-By), so the
 * comparison is between the authentication libraries and nothing else.
 */
export function peerSetup(): { db: Database.Database; app: Express; serve: () => void } {
  countSqlStatements();
  const path = process.env['DATABASE_PATH'];
  if (!path) throw new Error('peer: DATABASE_PATH is not set');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);
  const serve = () => {
    // As each library's README shows: its own error becomes a 401 JSON body.
    app.use((error: { status?: number; message?: string }, _req: Request, res: Response, _next: NextFunction) => {
      res.status(error.status ?? 500).json({ detail: error.status === 401 ? 'Invalid token.' : 'Server error.' });
    });
    serveForBenchmark(createServer(app), () => db.close());
  };
  return { db, app, serve };
}

/** The body of `GET /api/me`, the same shape the app answers. */
export interface PublicUser {
  readonly id: number;
  readonly username: string;
  readonly email: string;
}
