/**
 * Peer: express-session with better-sqlite3-session-store, configured as that
 * store's README shows it. Its `touch` writes the session's expiry on every
 * request, which is what most community stores do. The store gets its own
 * SQLite file, with the same WAL settings as the app's, so the comparison is
 * the store's design and not the journal mode.
 */
import Database from 'better-sqlite3';
import express from 'express';
import session from 'express-session';
import makeSqliteStore from 'better-sqlite3-session-store';
import { verifyPassword } from '@authbench/accounts';
import { peerSetup, type PublicUser } from './common.js';

const secret = process.env['SESSION_SECRET'];
const storePath = process.env['PEER_SESSION_DATABASE'];
if (!secret || !storePath) throw new Error('peer: SESSION_SECRET and PEER_SESSION_DATABASE must be set');
const { db, app, serve } = peerSetup();
const sessionsDb = new Database(storePath);
sessionsDb.pragma('journal_mode = WAL');
sessionsDb.pragma('synchronous = NORMAL');

const SqliteStore = makeSqliteStore(session);
app.use(
  session({
    store: new SqliteStore({ client: sessionsDb, expired: { clear: true, intervalMs: 900_000 } }),
    secret,
    resave: false,
    saveUninitialized: false, // the README leaves it at the deprecated default; false stores no anonymous rows
  }),
);

const login = db.prepare<[string], PublicUser & { password: string }>(
  'SELECT id, username, email, password FROM users WHERE username = ? AND is_active = 1',
);
const userById = db.prepare<[number], PublicUser>('SELECT id, username, email FROM users WHERE id = ? AND is_active = 1');

// Login is how the harness gets a session; it is never timed.
app.post('/api/auth/login', express.json(), async (req, res) => {
  const { username, password } = req.body as { username?: unknown; password?: unknown };
  const row = typeof username === 'string' ? login.get(username) : undefined;
  if (!row || typeof password !== 'string' || !(await verifyPassword(password, row.password))) {
    res.status(400).json({ detail: 'Unable to log in with provided credentials.' });
    return;
  }
  req.session.regenerate(() => {
    (req.session as unknown as { userId: number }).userId = row.id;
    res.json({ id: row.id, username: row.username, email: row.email });
  });
});

app.get('/api/me', (req, res) => {
  const userId = (req.session as unknown as { userId?: number }).userId;
  const user = userId === undefined ? undefined : userById.get(userId);
  if (!user) {
    res.status(401).json({ detail: 'Authentication credentials were not provided.' });
    return;
  }
  res.json(user);
});
serve();
