// The service's own account creation, from the command line:
//   printf '%s\n' 'a long passphrase' | node src/create-account.js alice alice@example.com
// authbench has no part in it: it serves no registration route here.
import { join, resolve } from 'node:path';
import { text } from 'node:stream/consumers';
import { accountAdmin, openDatabase } from './db.js';

const [login, email = ''] = process.argv.slice(2);
if (!login) {
  console.error('usage: node src/create-account.js <login> [email]   (the password on standard input)');
  process.exit(2);
}
const password = (await text(process.stdin)).replace(/\r?\n$/, '');
if (password.length < 10) {
  console.error('the password needs at least 10 characters');
  process.exit(2);
}
const db = openDatabase(join(resolve(process.env.APP_DATA_DIR || 'data'), 'notes.sqlite3'));
try {
  console.log(await accountAdmin(db).create({ login, password, email }));
} finally {
  db.close();
}
