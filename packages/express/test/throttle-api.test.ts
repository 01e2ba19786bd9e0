import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ThrottleStore } from '@authbench/core';
import { Accounts, LoginThrottle, addressKey, usernameKey } from '@authbench/accounts';
import { knoxScheme } from '@authbench/scheme-knox';
import { tokenScheme } from '@authbench/scheme-token';
import { STRONG_PASSWORD, call, register, startApp, startTokenApp, type Reply, type TestApp } from './harness.js';

const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);
const INVALID = { non_field_errors: ['Unable to log in with provided credentials.'] };
const TAKEN = 'A user with that username already exists.';
const throttledBody = (seconds: number) => ({
  detail: `Request was throttled. Expected available in ${seconds} second${seconds === 1 ? '' : 's'}.`,
});

let now = T0;
let app: TestApp;
const clock = () => now;

const login = (username: string, password: string, headers: Record<string, string> = {}) =>
  call(app, 'POST', '/api/auth/login', { json: { username, password }, headers });
const expectThrottled = (reply: Reply, seconds: number) => {
  expect(reply.status).toBe(429);
  expect(reply.body).toEqual(throttledBody(seconds));
  expect(reply.headers.get('retry-after')).toBe(String(seconds));
  expect(reply.headers.get('www-authenticate')).toBeNull();
};
const statuses = (replies: readonly Reply[]) => replies.map((r) => r.status);
const from = (address: string) => ({ 'x-forwarded-for': address });

beforeEach(() => {
  now = T0;
});
afterEach(async () => {
  vi.restoreAllMocks();
  await app?.close();
});

describe('login throttling (token)', () => {
  beforeEach(async () => {
    app = await startApp((store) => [tokenScheme({ tokens: store.tokens })], {
      throttle: (store) => new LoginThrottle({ store: store.throttle, clock }),
      trustProxy: ['loopback'],
    });
    await register(app, 'alice');
    await register(app, 'bob');
  });

  it("answers the 6th bad password for a username with DRF's 429 and Retry-After, escalating after each further failure", async () => {
    for (let i = 0; i < 5; i++) expect((await login('alice', 'wrong-password')).body).toEqual(INVALID);
    expectThrottled(await login('alice', 'wrong-password'), 1);
    expectThrottled(await login('alice', STRONG_PASSWORD), 1); // even the right password waits
    now += 1000;
    expect((await login('alice', 'wrong-password')).body).toEqual(INVALID);
    expectThrottled(await login('alice', 'wrong-password'), 2);
    now += 2000;
    expect((await login('alice', 'wrong-password')).status).toBe(400);
    now += 1500; // 4 s delay, 1.5 s gone: 2.5 s left, rounded up as DRF does
    expectThrottled(await login('alice', 'wrong-password'), 3);
  });

  it("a correct password after the delay logs in and resets the username's counter", async () => {
    for (let i = 0; i < 5; i++) await login('alice', 'wrong-password');
    now += 999;
    expectThrottled(await login('alice', STRONG_PASSWORD), 1);
    now += 1;
    const ok = await login('alice', STRONG_PASSWORD);
    expect(ok.status).toBe(200);
    expect((ok.body as { token: string }).token).toMatch(/^[0-9a-f]{40}$/);
    expect(await app.store.throttle.get([usernameKey('alice')], now)).toEqual([null]);
    // A fresh allowance of five.
    expect(statuses(await Promise.all([1, 2, 3, 4, 5].map(() => login('alice', 'wrong-password'))))).toEqual([400, 400, 400, 400, 400]);
    expectThrottled(await login('alice', 'wrong-password'), 1);
  });

  it('counts per username: bob logs in from the same address while alice waits', async () => {
    for (let i = 0; i < 6; i++) await login('alice', 'wrong-password');
    expect((await login('bob', STRONG_PASSWORD)).status).toBe(200);
    expect((await login('bob', 'wrong-password')).status).toBe(400);
    expect(await app.store.throttle.get([usernameKey('alice'), usernameKey('bob'), addressKey('127.0.0.1')], now)).toEqual([
      { failures: 5, lastFailure: T0 },
      { failures: 1, lastFailure: T0 },
      { failures: 6, lastFailure: T0 },
    ]);
  });

  it('counts per address: 20 failures over 20 usernames throttle the address, not another one', async () => {
    for (let i = 0; i < 20; i++) expect((await login(`user${i}`, 'wrong-password', from('198.51.100.7'))).status).toBe(400);
    expectThrottled(await login('bob', STRONG_PASSWORD, from('198.51.100.7')), 1);
    // The proxy appends what it saw; an entry the client wrote to its left changes nothing.
    expectThrottled(await login('bob', STRONG_PASSWORD, from('203.0.113.9, 198.51.100.7')), 1);
    expect((await login('bob', STRONG_PASSWORD, from('198.51.100.8'))).status).toBe(200);
    // A success does not clear the address: an attacker's own account would clear it for them.
    expect(await app.store.throttle.get([addressKey('198.51.100.7')], now)).toEqual([{ failures: 20, lastFailure: T0 }]);
  });

  it('counts every one of 20 concurrent bad logins (one atomic increment each)', async () => {
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => login(`user${i}`, 'wrong-password', from('198.51.100.7'))));
    expect(statuses(replies)).toEqual(Array.from({ length: 20 }, () => 400));
    expect(await app.store.throttle.get([addressKey('198.51.100.7')], now)).toEqual([{ failures: 20, lastFailure: T0 }]);
    expectThrottled(await login('bob', STRONG_PASSWORD, from('198.51.100.7')), 1);
  });

  it('lets only the allowance of a parallel burst at one username reach the password check', async () => {
    const original = Accounts.prototype.checkPassword; // before the spy replaces it
    const check = vi.spyOn(Accounts.prototype, 'checkPassword');
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    check.mockImplementation(async function (this: Accounts, user, password) {
      await gate; // held until the burst has been judged, so all ten overlap
      return original.call(this, user, password);
    });
    let settled = 0;
    const burst = Array.from({ length: 10 }, () => login('alice', 'wrong-password').finally(() => settled++));
    for (let waited = 0; check.mock.calls.length < 5 && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 200)); // time enough for a 6th check, were one let through
    // The other five wait for the outcome of those in flight rather than answering before it is known.
    expect(check).toHaveBeenCalledTimes(5);
    expect(settled).toBe(0);
    open();
    const replies = await Promise.all(burst);
    expect(statuses(replies).sort()).toEqual([400, 400, 400, 400, 400, 429, 429, 429, 429, 429]);
    // Five failures known, they get the delay those earned.
    for (const reply of replies.filter((r) => r.status === 429)) expectThrottled(reply, 1);
    expect(check).toHaveBeenCalledTimes(5);
    expect(await app.store.throttle.get([usernameKey('alice')], now)).toEqual([{ failures: 5, lastFailure: T0 }]);
  });

  it('8 parallel logins with the right password all get in: logins in flight are not failures', async () => {
    const replies = await Promise.all(Array.from({ length: 8 }, () => login('alice', STRONG_PASSWORD)));
    expect(statuses(replies)).toEqual([200, 200, 200, 200, 200, 200, 200, 200]);
    for (const reply of replies) expect((reply.body as { token: string }).token).toMatch(/^[0-9a-f]{40}$/);
    expect(await app.store.throttle.get([usernameKey('alice'), addressKey('127.0.0.1')], now)).toEqual([null, null]);
  });

  it('someone holding correct logins in flight does not lock the owner out', async () => {
    const original = Accounts.prototype.checkPassword;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const held = vi.spyOn(Accounts.prototype, 'checkPassword').mockImplementation(async function (this: Accounts, user, password) {
      if (held.mock.calls.length <= 5) await gate; // the first five hold their password check open
      return original.call(this, user, password);
    });
    const attacker = Array.from({ length: 5 }, () => login('alice', STRONG_PASSWORD, from('203.0.113.9')));
    for (let waited = 0; held.mock.calls.length < 5 && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    let owner: Reply | undefined;
    const ownerLogin = login('alice', STRONG_PASSWORD, from('198.51.100.7')).then((reply) => (owner = reply));
    await new Promise((r) => setTimeout(r, 200));
    expect(owner).toBeUndefined(); // waiting, not refused
    open();
    expect(statuses(await Promise.all(attacker))).toEqual([200, 200, 200, 200, 200]);
    await ownerLogin;
    expect(owner!.status).toBe(200);
  });

  it('a throttled login checks no password: no hashing at all', async () => {
    const check = vi.spyOn(Accounts.prototype, 'checkPassword');
    for (let i = 0; i < 5; i++) await login('alice', 'wrong-password');
    expect(check).toHaveBeenCalledTimes(5);
    const started = performance.now();
    for (let i = 0; i < 10; i++) expectThrottled(await login('alice', 'wrong-password'), 1);
    // Ten Argon2id checks would take ten times one; ten reads of a counter take far less.
    expect(performance.now() - started).toBeLessThan(1000);
    expect(check).toHaveBeenCalledTimes(5);
    // Throttled attempts are not failures: the delay did not grow.
    now += 1000;
    expect((await login('alice', STRONG_PASSWORD)).status).toBe(200);
  });

  it('a missing field is a 400 as before and counts nothing', async () => {
    for (let i = 0; i < 7; i++) expect((await call(app, 'POST', '/api/auth/login', { json: { username: 'alice' } })).body).toEqual({ password: ['This field is required.'] });
    expect(await app.store.throttle.get([usernameKey('alice'), addressKey('127.0.0.1')], now)).toEqual([null, null]);
  });

  it('throttles username probing through register; successful ones count only against their own budget', async () => {
    // With alice and bob, nine: within the budget of successful registrations per address (ten).
    for (let i = 0; i < 7; i++) expect((await register(app, `new${i}`)).status).toBe(201);
    expect(await app.store.throttle.get([addressKey('127.0.0.1')], now)).toEqual([null]);
    for (let i = 0; i < 20; i++) {
      const reply = await register(app, i % 2 === 0 ? 'alice' : 'bob');
      expect(reply.body).toEqual({ username: [TAKEN] });
    }
    expectThrottled(await register(app, 'carol'), 1);
    // The address's login attempts wait too: one counter per address.
    expectThrottled(await login('bob', STRONG_PASSWORD), 1);
    now += 1000;
    expect((await register(app, 'carol')).status).toBe(201);
  });

  it("counts a wrong old password at /api/auth/password as a failed login of the caller's username", async () => {
    const token = ((await login('alice', STRONG_PASSWORD)).body as { token: string }).token;
    const change = (old_password: string) =>
      call(app, 'POST', '/api/auth/password', {
        json: { old_password, new_password: 'another-long-passphrase' },
        headers: { authorization: `Token ${token}` },
      });
    for (let i = 0; i < 5; i++) {
      expect((await change('wrong-password')).body).toEqual({ old_password: ['Your old password was entered incorrectly. Please enter it again.'] });
    }
    expectThrottled(await change(STRONG_PASSWORD), 1);
    expectThrottled(await login('alice', STRONG_PASSWORD), 1); // the same counter as login's
    now += 1000;
    expect((await change(STRONG_PASSWORD)).status).toBe(200);
    expect(await app.store.throttle.get([usernameKey('alice')], now)).toEqual([null]);
  });

  it('forgets failures a window (15 minutes) after the delay of the last one ends', async () => {
    for (let i = 0; i < 5; i++) await login('alice', 'wrong-password'); // the 5th imposes 1 s
    now += 1000 + 15 * 60 * 1000 - 1;
    expect((await login('alice', 'wrong-password')).status).toBe(400); // still counted: the 6th
    expectThrottled(await login('alice', 'wrong-password'), 2);
    now += 2000 + 15 * 60 * 1000;
    for (let i = 0; i < 5; i++) expect((await login('alice', 'wrong-password')).status).toBe(400);
    expectThrottled(await login('alice', 'wrong-password'), 1);
  });

  it('keeps the cap while failures go on: waiting out the longest delay gives no fresh allowance', async () => {
    await app.close();
    app = await startApp((store) => [tokenScheme({ tokens: store.tokens })], {
      throttle: (store) => new LoginThrottle({ store: store.throttle, windowSeconds: 4, maxDelaySeconds: 4, clock }),
    });
    await register(app, 'alice');
    const attempts: number[] = [];
    while (attempts.length < 12) {
      const reply = await login('alice', 'wrong-password');
      if (reply.status === 429) now += Number(reply.headers.get('retry-after')) * 1000;
      else attempts.push((now - T0) / 1000);
    }
    // Five free, 1, 2, then the 4 s cap for good: the counter outlives the delay by the window.
    expect(attempts).toEqual([0, 0, 0, 0, 0, 1, 3, 7, 11, 15, 19, 23]);
    expect(await app.store.throttle.get([usernameKey('alice')], now)).toEqual([{ failures: 12, lastFailure: T0 + 23_000 }]);
  });
});

describe('login throttling without a trusted proxy', () => {
  it('ignores X-Forwarded-For: the socket address counts', async () => {
    app = await startApp((store) => [tokenScheme({ tokens: store.tokens })], {
      throttle: (store) => new LoginThrottle({ store: store.throttle, clock }),
    });
    for (let i = 0; i < 20; i++) await login(`user${i}`, 'wrong-password', from(`198.51.100.${i}`));
    expectThrottled(await login('user99', 'wrong-password', from('198.51.100.99')), 1);
    expect(await app.store.throttle.get([addressKey('127.0.0.1')], now)).toEqual([{ failures: 20, lastFailure: T0 }]);
  });
});

/** The store answering a millisecond later, as PostgreSQL and Redis do over the network. */
function answeringLater(store: ThrottleStore): ThrottleStore {
  const later =
    <A extends unknown[], R>(f: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return f(...args);
    };
  return { recordFailure: later(store.recordFailure), get: later(store.get), reset: later(store.reset), deleteExpired: store.deleteExpired };
}

describe('register throttling of a parallel burst', () => {
  it.each([
    ['SQLite', (store: ThrottleStore) => store],
    ['a store answering later', answeringLater],
  ])('counts registrations in flight against the address (%s): only the allowance of rejected ones gets through', async (_name, wrap) => {
    app = await startApp((store) => [tokenScheme({ tokens: store.tokens })], {
      throttle: (store) => new LoginThrottle({ store: wrap(store.throttle), clock }),
    });
    await register(app, 'alice');
    const create = vi.spyOn(Accounts.prototype, 'register');
    const replies = await Promise.all(Array.from({ length: 100 }, () => register(app, 'alice')));
    const answers = replies.map((r) => `${r.status} ${JSON.stringify(r.body)}`);
    expect(answers.filter((a) => a === `400 {"username":["${TAKEN}"]}`)).toHaveLength(20);
    expect(answers.filter((a) => a === `429 ${JSON.stringify(throttledBody(1))}`)).toHaveLength(80);
    expect(create).toHaveBeenCalledTimes(20);
    expect(await app.store.throttle.get([addressKey('127.0.0.1')], now)).toEqual([{ failures: 20, lastFailure: T0 }]);
  });
});

describe("login throttling (knox's HTTP Basic login)", () => {
  it('throttles Basic credentials the same way', async () => {
    app = await startApp((store) => [knoxScheme({ knoxTokens: store.knoxTokens })], {
      throttle: (store) => new LoginThrottle({ store: store.throttle, clock }),
    });
    await register(app, 'alice');
    const basic = (password: string) =>
      call(app, 'POST', '/api/auth/login', { headers: { authorization: `Basic ${Buffer.from(`alice:${password}`).toString('base64')}` } });
    for (let i = 0; i < 5; i++) {
      const reply = await basic('wrong-password');
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual({ detail: 'Invalid username/password.' });
    }
    expectThrottled(await basic(STRONG_PASSWORD), 1);
    now += 1000;
    expect((await basic(STRONG_PASSWORD)).status).toBe(200);
  });
});

describe('without a throttle', () => {
  it('never answers 429', async () => {
    app = await startTokenApp();
    await register(app, 'alice');
    const replies = await Promise.all(Array.from({ length: 25 }, () => login('alice', 'wrong-password')));
    expect(statuses(replies)).toEqual(Array.from({ length: 25 }, () => 400));
    for (let i = 0; i < 25; i++) expect((await register(app, 'alice')).status).toBe(400);
    expect((await login('alice', STRONG_PASSWORD)).status).toBe(200);
  });
});

describe('the client address behind proxies (TRUST_PROXY as a list)', () => {
  const startBehind = async (trustProxy: readonly string[]) => {
    app = await startApp((store) => [tokenScheme({ tokens: store.tokens })], {
      throttle: (store) => new LoginThrottle({ store: store.throttle, clock, userFailures: 1000, addressFailures: 3 }),
      trustProxy,
    });
    await register(app, 'alice');
  };

  it('a peer that is not a listed proxy cannot rotate X-Forwarded-For out of its address counter', async () => {
    await startBehind(['192.0.2.1']); // the tests' peer, 127.0.0.1, is not it
    for (let i = 0; i < 3; i++) expect((await login('alice', 'wrong-password', from(`198.51.100.${i}`))).status).toBe(400);
    expectThrottled(await login('alice', 'wrong-password', from('198.51.100.99')), 1);
    expect(await app.store.throttle.get([addressKey('127.0.0.1')], now)).toEqual([{ failures: 3, lastFailure: T0 }]);
  });

  it("an entry with a port is that client's address: strangers with ports do not share, nor lock out, one counter", async () => {
    await startBehind(['loopback']);
    for (let i = 0; i < 3; i++) expect((await login('alice', 'wrong-password', from(`203.0.113.9:${4000 + i}`))).status).toBe(400);
    expectThrottled(await login('alice', 'wrong-password', from('203.0.113.9:5000')), 1);
    // Another client behind the same proxy, with its own port, is not held back.
    expect((await login('alice', STRONG_PASSWORD, from('198.51.100.7:6000'))).status).toBe(200);
    expect(await app.store.throttle.get([addressKey('203.0.113.9'), addressKey('198.51.100.7')], now)).toEqual([
      { failures: 3, lastFailure: T0 },
      null,
    ]);
  });
});

describe("a stranger's guessing does not lock out the owner (OWASP's device cookies)", () => {
  beforeEach(async () => {
    app = await startApp((store) => [tokenScheme({ tokens: store.tokens })], {
      throttle: (store) => new LoginThrottle({ store: store.throttle, clock }),
      trustProxy: ['loopback'],
    });
    await register(app, 'alice');
  });
  const deviceCookie = (reply: Reply) => reply.headers.getSetCookie().find((c) => c.startsWith('authbench_device='))!.split(';', 1)[0]!;

  it('a device that logged in before still gets in with the right password while strangers are held back', async () => {
    const owner = await login('alice', STRONG_PASSWORD, from('198.51.100.7'));
    expect(owner.status).toBe(200);
    const cookie = deviceCookie(owner);
    expect(owner.headers.getSetCookie().find((c) => c.startsWith('authbench_device='))).toMatch(
      /^authbench_device=[\w-]{16}\.[\w-]{22}\.[\w-]{22}; Max-Age=31536000; Path=\/; HttpOnly; SameSite=Lax$/,
    );
    for (let i = 0; i < 5; i++) expect((await login('alice', 'wrong-password', from('203.0.113.9'))).status).toBe(400);
    expectThrottled(await login('alice', STRONG_PASSWORD, from('203.0.113.9')), 1);
    // The owner, from another address, without the cookie: a stranger too, held back.
    expectThrottled(await login('alice', STRONG_PASSWORD, from('198.51.100.8')), 1);
    // With it: in at once, however long the stranger keeps guessing.
    now += 60_000;
    for (let i = 0; i < 3; i++) await login('alice', 'wrong-password', from('203.0.113.9'));
    const again = await login('alice', STRONG_PASSWORD, { ...from('198.51.100.8'), cookie });
    expect(again.status).toBe(200);
    expect(again.headers.getSetCookie().some((c) => c.startsWith('authbench_device='))).toBe(false); // it has one
  });

  it('a client holding a credential of the user is known too; one of another user, a forged or another user’s cookie is not', async () => {
    const token = ((await login('alice', STRONG_PASSWORD)).body as { token: string }).token;
    await register(app, 'bob');
    const bobs = await login('bob', STRONG_PASSWORD);
    const bobToken = (bobs.body as { token: string }).token;
    for (let i = 0; i < 5; i++) await login('alice', 'wrong-password', from('203.0.113.9'));
    expect((await login('alice', STRONG_PASSWORD, { authorization: `Token ${token}` })).status).toBe(200);
    expectThrottled(await login('alice', STRONG_PASSWORD, { authorization: `Token ${bobToken}` }), 1);
    expectThrottled(await login('alice', STRONG_PASSWORD, { cookie: deviceCookie(bobs) }), 1);
    const forged = deviceCookie(bobs).replace(/\.[\w-]+$/, '.AAAAAAAAAAAAAAAAAAAAAA');
    expectThrottled(await login('alice', STRONG_PASSWORD, { cookie: forged }), 1);
  });

  it("a known device's own failures hold back that device alone", async () => {
    const cookie = deviceCookie(await login('alice', STRONG_PASSWORD));
    for (let i = 0; i < 5; i++) expect((await login('alice', 'wrong-password', { cookie })).status).toBe(400);
    expectThrottled(await login('alice', STRONG_PASSWORD, { cookie }), 1);
    // Strangers' counter was not touched by the device's failures: the username is open to them.
    expect((await login('alice', STRONG_PASSWORD, from('198.51.100.9'))).status).toBe(200);
  });
});

describe('registrations have a budget per address', () => {
  it('the 11th successful registration from one address within the window waits; another address does not', async () => {
    app = await startApp((store) => [tokenScheme({ tokens: store.tokens })], {
      throttle: (store) => new LoginThrottle({ store: store.throttle, clock }),
      trustProxy: ['loopback'],
    });
    const registerFrom = (name: string, address: string) =>
      call(app, 'POST', '/api/auth/register', { json: { username: name, password: STRONG_PASSWORD }, headers: from(address) });
    for (let i = 0; i < 10; i++) expect((await registerFrom(`user${i}`, '203.0.113.5')).status).toBe(201);
    expectThrottled(await registerFrom('user10', '203.0.113.5'), 1);
    expect((await registerFrom('user10', '198.51.100.5')).status).toBe(201);
    now += 1000;
    expect((await registerFrom('user11', '203.0.113.5')).status).toBe(201);
    expectThrottled(await registerFrom('user12', '203.0.113.5'), 2);
  });
});
