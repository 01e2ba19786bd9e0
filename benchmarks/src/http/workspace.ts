import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '@authbench/core';
import { generateKey } from '@authbench/scheme-token';
import { openSqliteStore } from '@authbench/store-sqlite';

/** The users, secrets and keys every server of one run shares, in a temporary directory. */
export interface Workspace {
  readonly dir: string;
  readonly databasePath: string;
  /** Users in id order; the load sends user i's credential as its i-th. */
  readonly users: readonly { readonly id: number; readonly username: string }[];
  readonly password: string;
  readonly jwtSecret: string;
  readonly sessionSecret: string;
  readonly es256KeyFile: string;
  readonly eddsaKeyFile: string;
  readonly peerSessionDatabase: string;
  remove(): void;
}

/**
 * Cheap Argon2id for the benchmark's own users: logins only set the run up
 * and are never timed, and verification reads the parameters from the stored
 * hash, so a thousand logins take a second instead of twenty.
 */
const SETUP_HASHING = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

export async function createWorkspace(userCount: number): Promise<Workspace> {
  const dir = mkdtempSync(join(tmpdir(), 'authbench-http-'));
  const databasePath = join(dir, 'authbench.sqlite3');
  const password = 'bench-password-not-secret';
  const store = openSqliteStore(databasePath);
  const users: { id: number; username: string }[] = [];
  try {
    const passwordHash = await hashPassword(password, SETUP_HASHING);
    const now = new Date().toISOString();
    for (let i = 0; i < userCount; i++) {
      const user = await store.users.create({ username: `bench-user-${i}`, email: '', passwordHash });
      // DRF tokens exist before any login, for the passport peer; token logins return these same keys.
      await store.tokens.getOrCreate({ key: generateKey(), userId: user.id, created: now });
      users.push({ id: user.id, username: user.username });
    }
  } finally {
    store.close();
  }
  const pem = (type: 'ec' | 'ed25519') => {
    const { privateKey } = type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
    return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  };
  const es256KeyFile = join(dir, 'es256.pem');
  const eddsaKeyFile = join(dir, 'eddsa.pem');
  writeFileSync(es256KeyFile, pem('ec'), { mode: 0o600 });
  writeFileSync(eddsaKeyFile, pem('ed25519'), { mode: 0o600 });
  return {
    dir,
    databasePath,
    users,
    password,
    jwtSecret: randomBytes(32).toString('base64url'),
    sessionSecret: randomBytes(32).toString('base64url'),
    es256KeyFile,
    eddsaKeyFile,
    peerSessionDatabase: join(dir, 'peer-sessions.sqlite3'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
