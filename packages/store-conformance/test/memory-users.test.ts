import { describe, expect, it } from 'vitest';
import { MemoryUsers, describeUserRepositoryConformance, type UserIdKind } from '../src/index.js';

// The fixture the external-users suites stand on meets the contract it stands for.
for (const ids of ['number', 'string'] as const satisfies readonly UserIdKind[]) {
  describeUserRepositoryConformance(
    'MemoryUsers',
    async () => {
      const users = new MemoryUsers(ids);
      return {
        users,
        seed: (user) => users.seed(user),
        changePassword: async (user, password) => void (await users.changePassword(user.id, password)),
        close: () => {},
      };
    },
    { ids, givenIds: true },
  );
}

describe('MemoryUsers', () => {
  it('tells the application of a deletion and of a change, and not of a row it forgets', async () => {
    const users = new MemoryUsers('number');
    const heard: string[] = [];
    users.whenDeleted(async (id) => void heard.push(`deleted ${JSON.stringify(id)}`));
    users.whenChanged(async (id) => void heard.push(`changed ${JSON.stringify(id)}`));
    const alice = await users.seed({ username: 'alice', password: 'pw', isActive: true });
    const bob = await users.seed({ username: 'bob', password: 'pw', isActive: true, id: '7' });
    expect(await users.setActive(alice.id, false)).toBe(true);
    expect(await users.changePassword(alice.id, 'new')).toBe(true);
    expect(await users.delete(alice.id)).toBe(true);
    expect(await users.delete(alice.id)).toBe(false);
    expect(users.forget(bob.id)).toBe(true);
    expect(heard).toEqual(['changed 1', 'changed 1', 'deleted 1']);
    expect(await users.findById('7')).toBeNull();
    // A user object whose row is gone has no password, not even an empty one.
    expect(await users.checkPassword(bob, 'pw')).toBe(false);
    expect(await users.checkPassword({ ...bob, id: 'nobody' }, '')).toBe(false);
  });
});
