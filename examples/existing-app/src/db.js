// The service's own database: its accounts (keyed by UUID) and its notes.
// It predates authbench and does not change for it: authbench keeps its
// credentials in a file of its own and refers to accounts by their id.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { hashPassword } from './passwords.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS accounts (
    id           TEXT    PRIMARY KEY,              -- a UUID
    login        TEXT    NOT NULL UNIQUE,
    email        TEXT    NOT NULL DEFAULT '',
    display_name TEXT    NOT NULL DEFAULT '',
    pw_hash      TEXT    NOT NULL,                 -- scrypt, see passwords.js
    disabled     INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT    NOT NULL
  );
  CREATE TABLE IF NOT EXISTS notes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    text       TEXT    NOT NULL,
    created_at TEXT    NOT NULL
  );
  CREATE INDEX IF NOT EXISTS notes_account ON notes (account_id);
`;

/**
 * @typedef {object} AccountRow
 * @property {string} id
 * @property {string} login
 * @property {string} email
 * @property {string} display_name
 * @property {string} pw_hash
 * @property {number} disabled
 * @property {string} created_at
 */

/**
 * @typedef {object} NoteRow
 * @property {number} id
 * @property {string} account_id
 * @property {string} text
 * @property {string} created_at
 */

/**
 * Opens (creating if needed) the service's database.
 * @param {string} path
 */
export function openDatabase(path) {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.exec(SCHEMA);
  return db;
}

/**
 * The service's own account management: how it has always created accounts,
 * changed passwords and disabled people. authbench is told afterwards (see
 * app.js: `revokeUser`).
 * @param {import('better-sqlite3').Database} db
 */
export function accountAdmin(db) {
  const insert = db.prepare(
    'INSERT INTO accounts (id, login, email, display_name, pw_hash, disabled, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)',
  );
  const setHash = db.prepare('UPDATE accounts SET pw_hash = ? WHERE id = ?');
  const setDisabled = db.prepare('UPDATE accounts SET disabled = ? WHERE id = ?');
  const remove = db.prepare('DELETE FROM accounts WHERE id = ?');
  return {
    /**
     * @param {{ login: string, password: string, email?: string, displayName?: string }} account
     * @returns {Promise<string>} the new account's id
     */
    async create({ login, password, email = '', displayName = '' }) {
      const id = randomUUID();
      insert.run(id, login, email, displayName, await hashPassword(password), new Date().toISOString());
      return id;
    },
    /** @param {string} id @param {string} password */
    async setPassword(id, password) {
      setHash.run(await hashPassword(password), id);
    },
    /** @param {string} id @param {boolean} disabled */
    setDisabled(id, disabled) {
      setDisabled.run(disabled ? 1 : 0, id);
    },
    /** @param {string} id */
    delete(id) {
      remove.run(id);
    },
  };
}

/** @param {import('better-sqlite3').Database} db */
export function notesTable(db) {
  const list = db.prepare('SELECT id, text, created_at FROM notes WHERE account_id = ? ORDER BY id');
  const one = db.prepare('SELECT id, text, created_at FROM notes WHERE account_id = ? AND id = ?');
  const insert = db.prepare('INSERT INTO notes (account_id, text, created_at) VALUES (?, ?, ?) RETURNING id, text, created_at');
  return {
    /** @param {string} accountId */
    list: (accountId) => /** @type {Omit<NoteRow, 'account_id'>[]} */ (list.all(accountId)),
    /** @param {string} accountId @param {number} id */
    get: (accountId, id) => /** @type {Omit<NoteRow, 'account_id'> | undefined} */ (one.get(accountId, id)),
    /** @param {string} accountId @param {string} text */
    add: (accountId, text) => /** @type {Omit<NoteRow, 'account_id'>} */ (insert.get(accountId, text, new Date().toISOString())),
  };
}
