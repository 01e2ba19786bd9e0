// The notes service. Its routes, its 404 and its error handler were here
// before authbench; the lines marked "authbench" are all that adopting it took.
import { join, resolve } from 'node:path';
import express from 'express';
import { authFromEnv } from '@authbench/env'; // authbench
import { createAuth, requireAuth } from '@authbench/express'; // authbench
import { accountAdmin, notesTable, openDatabase } from './db.js';
import { verifyPassword } from './passwords.js';
import { accountRepository } from './users.js'; // authbench

/** The service's own errors, answered by its own error handler. */
export class HttpError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const MAX_NOTE_LENGTH = 1000;

/**
 * @typedef {object} Service
 * @property {import('express').Express} app
 * @property {import('@authbench/env').EnvAuth} auth what authbench configured from the environment
 * @property {ReturnType<typeof accountAdmin> & { deactivate(id: string): Promise<void>, changePassword(id: string, password: string): Promise<void> }} accounts
 *   the service's own account management, which tells authbench to revoke credentials when it must
 * @property {readonly string[]} notices lines to print at start-up
 * @property {() => Promise<void>} close
 */

/**
 * Builds the service from an environment (`process.env` in production, a
 * plain object in tests). `APP_DATA_DIR` (default `./data`) holds the
 * service's own database and, unless `DATABASE_PATH` says otherwise,
 * authbench's credentials file; `AUTH_SCHEME` and the rest are authbench's.
 * @param {Record<string, string | undefined>} env
 * @param {{ log?: (error: unknown) => void }} [options]
 * @returns {Promise<Service>}
 */
export async function createApp(env, { log = console.error } = {}) {
  const dataDir = resolve(env.APP_DATA_DIR || 'data');
  const db = openDatabase(join(dataDir, 'notes.sqlite3'));
  const notes = notesTable(db);

  // authbench: its schemes and credential stores, from AUTH_SCHEME and the
  // rest of the environment, over this service's own accounts.
  /** @type {import('@authbench/env').EnvAuth} */
  let authEnv;
  try {
    authEnv = await authFromEnv(env, {
      users: accountRepository(db),
      defaultDatabasePath: join(dataDir, 'authbench.sqlite3'),
    });
  } catch (error) {
    db.close();
    throw error;
  }
  const auth = createAuth(authEnv);

  // The service's own account management. A password changed or an account
  // disabled here is something authbench cannot see: it is told, so that no
  // token, session or refresh token issued before outlives the change.
  const admin = accountAdmin(db);
  const accounts = {
    ...admin,
    /** @param {string} id */
    async deactivate(id) {
      admin.setDisabled(id, true);
      await authEnv.revokeUser(id);
    },
    /** @param {string} id @param {string} password */
    async changePassword(id, password) {
      await admin.setPassword(id, password);
      await authEnv.revokeUser(id);
    },
  };
  const hashOf = db.prepare('SELECT pw_hash FROM accounts WHERE id = ?');

  const app = express();
  app.disable('x-powered-by');

  // authbench: /auth/login, /auth/logout, ... and, for jwt with a public key, /.well-known/jwks.json.
  app.use('/auth', auth.router);
  app.use(auth.rootRouter);

  app.use(express.json({ limit: '16kb' }));

  // The service's own routes, each behind authbench's authenticate; the
  // handlers read the caller from req.auth.user (its id is the account's UUID).
  app.get(
    '/',
    auth.authenticate,
    requireAuth((req, res) => {
      res.json({ hello: req.auth.user.username, id: req.auth.user.id, scheme: req.auth.scheme });
    }),
  );

  app.get(
    '/api/notes',
    auth.authenticate,
    requireAuth((req, res) => {
      res.json({ owner: req.auth.user.id, notes: notes.list(String(req.auth.user.id)) });
    }),
  );

  app.get(
    '/api/notes/:id',
    auth.authenticate,
    requireAuth((req, res) => {
      const id = Number(req.params.id);
      const note = Number.isSafeInteger(id) ? notes.get(String(req.auth.user.id), id) : undefined;
      if (!note) throw new HttpError(404, 'note_not_found', `No note ${req.params.id}.`);
      res.json(note);
    }),
  );

  app.post(
    '/api/notes',
    auth.authenticate,
    requireAuth((req, res) => {
      const text = req.body?.text;
      if (typeof text !== 'string' || text.trim() === '') throw new HttpError(400, 'text_required', 'A note needs some text.');
      if (text.length > MAX_NOTE_LENGTH) throw new HttpError(422, 'note_too_long', `A note holds at most ${MAX_NOTE_LENGTH} characters.`);
      res.status(201).json(notes.add(String(req.auth.user.id), text));
    }),
  );

  // The service's own password change: its own rules and hashing, then
  // every credential the account holds is revoked, this one included.
  app.put(
    '/api/account/password',
    auth.authenticate,
    requireAuth(async (req, res) => {
      const { old_password: oldPassword, new_password: newPassword } = req.body ?? {};
      if (typeof oldPassword !== 'string' || typeof newPassword !== 'string' || newPassword.length < 10) {
        throw new HttpError(400, 'bad_password', 'Send old_password and a new_password of at least 10 characters.');
      }
      const id = String(req.auth.user.id);
      const row = /** @type {{ pw_hash: string } | undefined} */ (hashOf.get(id));
      if (!row || !(await verifyPassword(oldPassword, row.pw_hash))) throw new HttpError(400, 'wrong_password', 'The old password is wrong.');
      await accounts.changePassword(id, newPassword);
      res.status(204).end();
    }),
  );

  // The service's own 404.
  app.use((req, res) => {
    res.status(404).json({ error: { code: 'no_route', message: `Nothing at ${req.method} ${req.path}.` } });
  });

  // authbench: DRF's 401/403 for a failed authentication on the routes above;
  // every other error goes on to the service's own handler.
  app.use(auth.errorHandler);

  // The service's own error handler.
  /** @type {import('express').ErrorRequestHandler} */
  const errorHandler = (error, _req, res, next) => {
    if (res.headersSent) return next(error);
    if (error instanceof HttpError) {
      res.status(error.status).json({ error: { code: error.code, message: error.message } });
    } else if (error?.type === 'entity.parse.failed') {
      res.status(400).json({ error: { code: 'bad_json', message: 'The body is not valid JSON.' } });
    } else {
      log(error);
      res.status(500).json({ error: { code: 'internal', message: 'Something went wrong.' } });
    }
  };
  app.use(errorHandler);

  return {
    app,
    auth: authEnv,
    accounts,
    notices: authEnv.notices,
    async close() {
      await authEnv.close();
      db.close();
    },
  };
}
