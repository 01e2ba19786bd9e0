import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../src/password-hashing.js';

describe('password hashing', () => {
  it("stores Argon2id at OWASP's minimum, in Django's encoding", async () => {
    const encoded = await hashPassword('correct horse');
    expect(encoded).toMatch(/^argon2\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(encoded).not.toContain('correct horse');
  });

  it('verifies the right password only, with a fresh salt each time', async () => {
    const a = await hashPassword(' spaced ');
    const b = await hashPassword(' spaced ');
    expect(a).not.toBe(b);
    expect(await verifyPassword(' spaced ', a)).toBe(true);
    expect(await verifyPassword('spaced', a)).toBe(false);
  });

  it("verifies hashes made with other parameters, such as Django's own Argon2 defaults", async () => {
    // Django's Argon2PasswordHasher: time_cost 2, memory_cost 102400, parallelism 8.
    const encoded = await hashPassword('django', { memoryCost: 102_400, timeCost: 2, parallelism: 8 });
    expect(encoded.startsWith('argon2$argon2id$v=19$m=102400,t=2,p=8$')).toBe(true);
    expect(await verifyPassword('django', encoded)).toBe(true);
  });

  it('is false, never a throw, for hashes it cannot read', async () => {
    for (const encoded of ['', 'pbkdf2_sha256$1$salt$hash', 'argon2$garbage', '!unusable']) {
      expect(await verifyPassword('x', encoded)).toBe(false);
    }
  });
});
