// The dashboard's sessions against a real Redis: web/dashboard/sessions.ts over the store's
// UiSessionStore, as each daemon's web thread holds them. Two `Sessions` on two clients stand for
// two daemons on one Redis; their clock is a test's own, so lifetimes pass in no time.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { Redis } from 'ioredis';
import { KtimerError, messageOf } from '../../src/errors.js';
import { RedisAccess } from '../../src/store/redis-access.js';
import { UiSessionStore } from '../../src/store/ui-session-store.js';
import { type SessionRules, sessionId, Sessions, SESSION_IDLE_MS } from '../../src/web/dashboard/sessions.js';
import { FleetLimit } from '../../src/web/auth.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { testKeys } from '../helpers/stores.js';

const redis = usePrivateRedis();
const DAY_MS = 86_400_000;
const RULES: SessionRules = { passwd: 'pw-1', lifetimeMs: 7 * DAY_MS };
let n = 0;

/** Two daemons' sessions on one Redis (each its own client), under fresh keys, on one clock. */
function fleet(rules: Partial<SessionRules> = {}) {
  const keys = testKeys(`s${++n}`);
  const clock = { ms: Date.now() };
  const clients: Redis[] = [];
  const store = () => {
    const client = redis.server.client();
    clients.push(client);
    const access = new RedisAccess(client, keys, (err) =>
      err instanceof KtimerError ? err : new KtimerError('redis', messageOf(err)),
    );
    return new UiSessionStore(access);
  };
  const daemon = (more: Partial<SessionRules> = {}) =>
    new Sessions(store(), { ...RULES, ...rules, ...more }, () => clock.ms);
  return {
    keys,
    clock,
    store,
    daemon,
    a: daemon(),
    b: daemon(),
    close: () => clients.forEach((c) => c.disconnect()),
  };
}

type Opened = { token: string; browser: string };
const opened = async (sessions: Sessions, browser?: string): Promise<Opened> => {
  const o = await sessions.open(browser, 'admin');
  assert.notEqual(o, 'busy');
  return o as Exclude<typeof o, 'busy'>;
};

test('a session opened by one daemon is found by another; ended by it, it is gone for both', async () => {
  const { a, b, close } = fleet();
  try {
    const { token, browser } = await opened(a);
    assert.notEqual(token, browser);
    assert.ok(await b.find({ token, browser }, true));
    assert.ok(await a.find({ token, browser }, false));
    await b.end(token);
    assert.equal(await a.find({ token, browser }, true), null);
    assert.equal(await b.find({ token, browser }, false), null);
  } finally {
    close();
  }
});

test('Redis holds a record under the digest of the token, never the token nor the browser secret nor the password', async () => {
  const { keys, a, close } = fleet();
  try {
    const { token, browser } = await opened(a);
    const key = `${keys.uiSession}${sessionId(token)}`;
    const record = (await redis.client.get(key)) ?? '';
    for (const secret of [token, browser, RULES.passwd]) assert.ok(!record.includes(secret));
    assert.deepEqual(Object.keys(JSON.parse(record) as object).sort(), [
      'born',
      'browser',
      'epoch',
      'passwd',
    ]);
    const ttl = await redis.client.pttl(key);
    assert.ok(ttl > SESSION_IDLE_MS - 60_000 && ttl <= SESSION_IDLE_MS, `PTTL ${ttl}`);
    assert.deepEqual(await redis.client.keys(`${keys.uiSession}*`), [key]);
  } finally {
    close();
  }
});

test('each use pushes the expiry back to the idle time; unused that long, the session ends', async () => {
  const { keys, a, b, close } = fleet({ idleMs: 60_000 });
  try {
    const session = await opened(a);
    const key = `${keys.uiSession}${sessionId(session.token)}`;
    await redis.client.pexpire(key, 1000);
    assert.ok(await b.find(session, false));
    assert.ok((await redis.client.pttl(key)) <= 1000, 'a look (the live feed) is no use of the session');
    assert.ok(await b.find(session, true));
    assert.ok((await redis.client.pttl(key)) > 59_000, 'a use: the idle time starts again');
    await redis.client.pexpire(key, 50);
    await sleep(150);
    assert.equal(await a.find(session, true), null);
  } finally {
    close();
  }
});

test('a session ends at the end of its lifetime, however much it is used', async () => {
  const { clock, a, daemon, close } = fleet({ lifetimeMs: DAY_MS });
  try {
    const session = await opened(a);
    clock.ms += DAY_MS - 1000;
    assert.ok(await a.find(session, true));
    clock.ms += 1000;
    assert.equal(await a.find(session, true), null);
    // The lifetime is each daemon's web_session_lifetime: a longer one keeps it.
    assert.ok(await daemon({ lifetimeMs: 2 * DAY_MS }).find(session, true));
  } finally {
    close();
  }
});

test('a session ends when web_passwd is no longer the password it logged in with', async () => {
  const { a, daemon, close } = fleet();
  try {
    const session = await opened(a);
    assert.equal(await daemon({ passwd: 'pw-2' }).find(session, true), null);
    assert.ok(await daemon({ passwd: 'pw-1' }).find(session, true), 'the same password again: it holds');
  } finally {
    close();
  }
});

test('logout --all (a new epoch) ends every session of the fleet; so does deleting the epoch key', async () => {
  const { keys, a, b, store, close } = fleet();
  try {
    const one = await opened(a);
    const two = await opened(b);
    await store().endAll();
    for (const s of [one, two]) {
      assert.equal(await a.find(s, true), null);
      assert.equal(await b.find(s, false), null);
    }
    const three = await opened(a);
    assert.ok(await b.find(three, true), 'a login after it opens a session');
    await redis.client.del(keys.uiEpoch);
    assert.equal(await b.find(three, true), null);
    const four = await opened(b);
    assert.ok(await a.find(four, true));
    assert.equal(await a.find(three, true), null, 'a new epoch is drawn: the old sessions stay ended');
  } finally {
    close();
  }
});

test('tokens and browser secrets that are not one are refused without a session, whatever the daemon', async () => {
  const { a, close } = fleet();
  try {
    const { token, browser } = await opened(a);
    for (const bad of [undefined, '', `${token}x`, token.slice(1), 'x'.repeat(10_000)]) {
      assert.equal(await a.find({ token: bad, browser }, true), null, String(bad).slice(0, 50));
      assert.equal(await a.find({ token, browser: bad }, true), null, String(bad).slice(0, 50));
    }
    await a.end('junk');
    assert.ok(await a.find({ token, browser }, true));
    // A browser that brings a secret keeps it; one that brings junk gets a new one.
    assert.equal((await opened(a, browser)).browser, browser);
    assert.notEqual((await opened(a, 'junk')).browser, 'junk');
  } finally {
    close();
  }
});

test('an older record (a CSRF token alone) is no session', async () => {
  const { keys, a, close } = fleet();
  try {
    const session = await opened(a);
    await redis.client.set(`${keys.uiSession}${sessionId(session.token)}`, session.browser);
    assert.equal(await a.find(session, true), null);
  } finally {
    close();
  }
});

test("logins are counted across the fleet: past the minute's share, none is opened", async () => {
  const { keys, a, b, close } = fleet({ loginsPerMinute: 3 });
  try {
    await opened(a);
    await opened(b);
    await opened(a);
    assert.equal(await b.open(undefined, 'admin'), 'busy');
    assert.equal(await a.open(undefined, 'admin'), 'busy');
    assert.equal((await redis.client.keys(`${keys.uiSession}*`)).length, 3);
    const ttl = await redis.client.pttl(keys.uiLogins);
    assert.ok(ttl > 0 && ttl <= 60_000, `PTTL ${ttl}`);
    // A count that lost its expiry is given one at the next login: it never locks logins out.
    await redis.client.persist(keys.uiLogins);
    assert.equal(await a.open(undefined, 'admin'), 'busy');
    assert.ok((await redis.client.pttl(keys.uiLogins)) > 0);
    await redis.client.del(keys.uiLogins);
    await opened(b);
  } finally {
    close();
  }
});

test('wrong passwords are counted across the fleet: past the limit, every daemon refuses to check one', async () => {
  const { keys, store, close } = fleet();
  try {
    const a = new FleetLimit(store(), 5);
    const b = new FleetLimit(store(), 5);
    for (let i = 0; i < 3; i++) assert.ok(await a.wrong());
    assert.equal(a.lockedForMs(), 0);
    assert.ok(await b.wrong());
    assert.equal(b.lockedForMs(), 0);
    assert.ok(await b.wrong());
    const locked = b.lockedForMs();
    assert.ok(locked > 50_000 && locked <= 60_000, `locked for ${locked} ms`);
    assert.equal(a.lockedForMs(), 0, 'a daemon learns it at its next wrong password');
    await a.wrong();
    assert.ok(a.lockedForMs() > 50_000);
    assert.equal(await redis.client.get(keys.webWrongPasswd), '6');
    const ttl = await redis.client.pttl(keys.webWrongPasswd);
    assert.ok(ttl > 0 && ttl <= 60_000, `PTTL ${ttl}`);
  } finally {
    close();
  }
});
