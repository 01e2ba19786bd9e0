import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JwtLoginRecord, JwtOutstandingRecord, JwtStore, User, UserStore } from '@authbench/core';

export interface JwtStoreUnderTest {
  readonly users: UserStore;
  readonly jwt: JwtStore;
  close(): Promise<void> | void;
}

const T0 = '2026-11-22T10:00:00.000Z';
const T1 = '2026-11-22T11:00:00.000Z';
const DAY1 = '2026-11-23T10:00:00.000Z';
const DAY2 = '2026-11-24T10:00:00.000Z';

/** The jwt storage contract: logins (refresh families), rotation, reuse, revocation, housekeeping. */
export function describeJwtStoreConformance(engine: string, open: () => Promise<JwtStoreUnderTest>): void {
  describe(`${engine} jwt store conformance`, () => {
    let store: JwtStoreUnderTest;
    let alice: User;
    let bob: User;
    beforeEach(async () => {
      store = await open();
      alice = await store.users.create({ username: 'alice', email: '', passwordHash: 'x' });
      bob = await store.users.create({ username: 'bob', email: '', passwordHash: 'x' });
    });
    afterEach(async () => {
      await store.close();
    });

    const login = (id: string, user: User, expiresAt = DAY1): JwtLoginRecord => ({
      id, userId: user.id, created: T0, client: `client-${id}`, expiresAt, lastRefreshed: null, revokedAt: null,
    });
    const token = (jti: string, loginId: string, user: User, expiresAt = DAY1): JwtOutstandingRecord => ({
      jti, loginId, userId: user.id, createdAt: T0, expiresAt,
    });
    async function start(id: string, user = alice, jti = `${id}-1`) {
      await store.jwt.createLogin(login(id, user), token(jti, id, user));
    }

    it('a new login is live and its refresh token usable', async () => {
      await start('L1');
      expect(await store.jwt.isRefreshUsable('L1-1')).toBe(true);
      expect(await store.jwt.isLoginLive('L1')).toBe(true);
      expect(await store.jwt.isRevoked('L1-1', 'L1')).toBe(false);
      expect(await store.jwt.listLogins(alice.id, T0)).toEqual([login('L1', alice)]);
    });

    it('rotation spends the token, records its successor and extends the login', async () => {
      await start('L1');
      expect(await store.jwt.rotate('L1-1', token('L1-2', 'L1', alice, DAY2), T1)).toBe('spent');
      expect(await store.jwt.isRefreshUsable('L1-1')).toBe(false);
      expect(await store.jwt.isRefreshUsable('L1-2')).toBe(true);
      expect(await store.jwt.listLogins(alice.id, T1)).toEqual([{ ...login('L1', alice), expiresAt: DAY2, lastRefreshed: T1 }]);
    });

    it('presenting a rotated token again is reuse: the whole login is revoked', async () => {
      await start('L1');
      await store.jwt.rotate('L1-1', token('L1-2', 'L1', alice), T1);
      expect(await store.jwt.rotate('L1-1', token('L1-3', 'L1', alice), T1)).toBe('reused');
      expect(await store.jwt.isLoginLive('L1')).toBe(false);
      expect(await store.jwt.isRefreshUsable('L1-2')).toBe(false);
      expect(await store.jwt.rotate('L1-2', token('L1-4', 'L1', alice), T1)).toBe('revoked');
    });

    it('of concurrent rotations of one token exactly one spends it', async () => {
      await start('L1');
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.jwt.rotate('L1-1', token(`L1-next-${i}`, 'L1', alice), T1)),
      );
      expect(results.filter((r) => r === 'spent')).toHaveLength(1);
      expect(results.filter((r) => r === 'spent').length + results.filter((r) => r === 'reused').length + results.filter((r) => r === 'revoked').length).toBe(10);
      expect(await store.jwt.isLoginLive('L1')).toBe(false);
    });

    describe('the grace window of concurrent refreshes', () => {
      const at = (seconds: number) => new Date(Date.parse(T1) + seconds * 1000).toISOString();
      // The window as the scheme passes it: a rotation after `graceSince` may be repeated.
      const window10 = (now: string) => new Date(Date.parse(now) - 10_000).toISOString();
      const next = (jti: string, loginId = 'L1', expiresAt = DAY2): JwtOutstandingRecord => ({ jti, loginId, userId: alice.id, createdAt: T1, expiresAt });
      async function rotated() {
        await start('L1');
        expect(await store.jwt.rotate('L1-1', next('L1-2'), T1, window10(T1))).toBe('spent');
      }

      it('within it, the rotated token answers the successor its rotation recorded, and nothing changes', async () => {
        await rotated();
        for (const now of [T1, at(5), at(9.999)]) {
          expect(await store.jwt.rotate('L1-1', next(`L1-x-${now}`), now, window10(now))).toEqual({ kind: 'repeat', successor: next('L1-2') });
        }
        expect(await store.jwt.isLoginLive('L1')).toBe(true);
        expect(await store.jwt.isRefreshUsable('L1-2')).toBe(true);
        expect(await store.jwt.isRefreshUsable(`L1-x-${at(5)}`)).toBe(false);
        expect(await store.jwt.isRevoked('L1-1', 'L1')).toBe(true);
        expect(await store.jwt.listLogins(alice.id, at(5))).toEqual([{ ...login('L1', alice), expiresAt: DAY2, lastRefreshed: T1 }]);
        // The successor still rotates once, as any live token.
        expect(await store.jwt.rotate('L1-2', next('L1-3'), at(6), window10(at(6)))).toBe('spent');
      });

      it('after it, the same token is reuse: the whole login is revoked', async () => {
        await rotated();
        expect(await store.jwt.rotate('L1-1', next('L1-x'), at(10), window10(at(10)))).toBe('reused');
        expect(await store.jwt.isLoginLive('L1')).toBe(false);
        expect(await store.jwt.isRefreshUsable('L1-2')).toBe(false);
        expect(await store.jwt.rotate('L1-2', next('L1-3'), at(11), window10(at(11)))).toBe('revoked');
      });

      it('without a window (null), presenting it again is reuse at once', async () => {
        await rotated();
        expect(await store.jwt.rotate('L1-1', next('L1-x'), T1, null)).toBe('reused');
        expect(await store.jwt.isLoginLive('L1')).toBe(false);
      });

      it('once the successor was itself rotated, the first token is reuse even within the window', async () => {
        await rotated();
        expect(await store.jwt.rotate('L1-2', next('L1-3'), at(1), window10(at(1)))).toBe('spent');
        expect(await store.jwt.rotate('L1-1', next('L1-x'), at(2), window10(at(2)))).toBe('reused');
        expect(await store.jwt.isLoginLive('L1')).toBe(false);
        expect(await store.jwt.isRefreshUsable('L1-3')).toBe(false);
      });

      it('once the successor was blacklisted (a logout with it), the first token is reuse within the window', async () => {
        await rotated();
        expect(await store.jwt.blacklist('L1-2', at(1))).toBe(true);
        expect(await store.jwt.rotate('L1-1', next('L1-x'), at(2), window10(at(2)))).toBe('reused');
        expect(await store.jwt.isLoginLive('L1')).toBe(false);
      });

      it('once the successor has expired, the first token is reuse within the window', async () => {
        await start('L1');
        expect(await store.jwt.rotate('L1-1', next('L1-2', 'L1', at(3)), T1, window10(T1))).toBe('spent');
        expect(await store.jwt.rotate('L1-1', next('L1-x'), at(3), window10(at(3)))).toBe('reused');
        expect(await store.jwt.isLoginLive('L1')).toBe(false);
      });

      it('a revoked login is revoked, within the window too', async () => {
        await rotated();
        expect(await store.jwt.revokeLogin(alice.id, 'L1', at(1))).toBe(true);
        expect(await store.jwt.rotate('L1-1', next('L1-x'), at(2), window10(at(2)))).toBe('revoked');
      });

      it('of concurrent rotations of one token one spends it and every other repeats its successor; the login lives', async () => {
        await start('L1');
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => store.jwt.rotate('L1-1', next(`L1-next-${i}`), T1, window10(T1))),
        );
        const spent = results.flatMap((r, i) => (r === 'spent' ? [i] : []));
        expect(spent).toHaveLength(1);
        const winner = next(`L1-next-${spent[0]}`);
        expect(results.filter((r) => r !== 'spent')).toEqual(Array(9).fill({ kind: 'repeat', successor: winner }));
        expect(await store.jwt.isLoginLive('L1')).toBe(true);
        expect(await store.jwt.isRefreshUsable(winner.jti)).toBe(true);
      });
    });

    it('unknown tokens are revoked, never spent', async () => {
      expect(await store.jwt.rotate('nope', token('x', 'L1', alice), T1)).toBe('revoked');
      expect(await store.jwt.isRefreshUsable('nope')).toBe(false);
      expect(await store.jwt.blacklist('nope', T1)).toBe(false);
    });

    it('a blacklisted (not rotated) token is revoked without touching its login', async () => {
      await start('L1');
      expect(await store.jwt.blacklist('L1-1', T1)).toBe(true);
      expect(await store.jwt.isRevoked('L1-1', null)).toBe(true);
      expect(await store.jwt.rotate('L1-1', token('L1-2', 'L1', alice), T1)).toBe('revoked');
      expect(await store.jwt.isLoginLive('L1')).toBe(true);
    });

    it('revokes one login of its user only, and all logins of a user', async () => {
      await start('A1');
      await start('A2');
      await start('B1', bob);
      expect(await store.jwt.revokeLogin(bob.id, 'A1', T1)).toBe(false);
      expect(await store.jwt.revokeLogin(alice.id, 'A1', T1)).toBe(true);
      expect(await store.jwt.revokeLogin(alice.id, 'A1', T1)).toBe(false);
      expect(await store.jwt.isRevoked(null, 'A1')).toBe(true);
      expect(await store.jwt.isRefreshUsable('A1-1')).toBe(false);
      expect(await store.jwt.revokeAllLogins(alice.id, T1)).toBe(1);
      expect(await store.jwt.listLogins(alice.id, T1)).toEqual([]);
      expect((await store.jwt.listLogins(bob.id, T1)).map((l) => l.id)).toEqual(['B1']);
    });

    it('lists only live logins, newest first', async () => {
      await store.jwt.createLogin({ ...login('old', alice), created: T0 }, token('o', 'old', alice));
      await store.jwt.createLogin({ ...login('new', alice), created: T1 }, token('n', 'new', alice));
      await store.jwt.createLogin({ ...login('gone', alice, T1) }, token('g', 'gone', alice, T1));
      expect((await store.jwt.listLogins(alice.id, T1)).map((l) => l.id)).toEqual(['new', 'old']);
    });

    it('flushes expired logins with their tokens, and expired tokens of live logins, in batches', async () => {
      await store.jwt.createLogin(login('expired', alice, T1), token('e1', 'expired', alice, T1));
      await start('live');
      await store.jwt.rotate('live-1', token('live-2', 'live', alice, DAY2), T0);
      await store.jwt.createLogin(login('x2', alice, T1), token('x2-1', 'x2', alice, T1));
      // At DAY1: the two expired logins (and their tokens) and the live login's spent token.
      expect(await store.jwt.deleteExpired(DAY1, 2)).toBe(2);
      expect(await store.jwt.deleteExpired(DAY1, 2)).toBe(1);
      expect(await store.jwt.deleteExpired(DAY1, 2)).toBe(0);
      expect(await store.jwt.isRefreshUsable('live-2')).toBe(true);
      expect(await store.jwt.isLoginLive('expired')).toBe(false);
    });

    it("deleting a user deletes their logins and tokens", async () => {
      await start('L1');
      await store.users.delete(alice.id);
      expect(await store.jwt.isLoginLive('L1')).toBe(false);
      expect(await store.jwt.isRefreshUsable('L1-1')).toBe(false);
    });
  });
}
