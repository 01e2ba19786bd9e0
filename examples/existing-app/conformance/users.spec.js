// authbench's conformance suite for a UserRepository, run over this
// service's own accounts table and password hashing (vitest, as the suite is
// written for it). The rest of the tests are node:test, under test/.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeUserRepositoryConformance } from '@authbench/store-conformance';
import { accountAdmin, openDatabase } from '../src/db.js';
import { accountRepository } from '../src/users.js';

describeUserRepositoryConformance(
  'notes service accounts',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'notes-service-conformance-'));
    const db = openDatabase(join(dir, 'notes.sqlite3'));
    const admin = accountAdmin(db);
    const users = accountRepository(db);
    return {
      users,
      // The service creates accounts its own way and picks their UUIDs itself.
      async seed({ username, password, isActive, email }) {
        const id = await admin.create({ login: username, password, email });
        if (!isActive) admin.setDisabled(id, true);
        const user = await users.findById(id);
        if (!user) throw new Error(`account ${id} was not stored`);
        return user;
      },
      changePassword: (user, password) => admin.setPassword(String(user.id), password),
      close() {
        db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  { ids: 'string', givenIds: false },
);
