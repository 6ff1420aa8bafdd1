// The dashboard's sessions against a real Redis: web/dashboard/sessions.ts over the store's
// UiSessionStore, as each daemon's web thread holds them. Two `Sessions` on two clients stand for
// two daemons on one Redis.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { Redis } from 'ioredis';
import { KtimerError, messageOf } from '../../src/errors.js';
import { RedisAccess } from '../../src/store/redis-access.js';
import { UiSessionStore } from '../../src/store/ui-session-store.js';
import {
  type SessionLimits,
  sessionId,
  Sessions,
  SESSION_IDLE_MS,
} from '../../src/web/dashboard/sessions.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { testKeys } from '../helpers/stores.js';

const redis = usePrivateRedis();
let n = 0;

/** Two daemons' sessions on one Redis (each its own client), under fresh keys. */
function fleet(limits?: SessionLimits) {
  const keys = testKeys(`s${++n}`);
  const clients: Redis[] = [];
  const daemon = () => {
    const client = redis.server.client();
    clients.push(client);
    const access = new RedisAccess(client, keys, (err) =>
      err instanceof KtimerError ? err : new KtimerError('redis', messageOf(err)),
    );
    return new Sessions(new UiSessionStore(access), limits);
  };
  return { keys, a: daemon(), b: daemon(), close: () => clients.forEach((c) => c.disconnect()) };
}

const opened = async (sessions: Sessions) => {
  const o = await sessions.open();
  assert.notEqual(o, 'busy');
  return o as Exclude<typeof o, 'busy'>;
};

test('a session opened by one daemon is found by another; ended by it, it is gone for both', async () => {
  const { a, b, close } = fleet();
  try {
    const { token, session } = await opened(a);
    assert.notEqual(token, session.csrf);
    assert.deepEqual(await b.find(token), session);
    assert.ok(await a.holds(token));
    await b.end(token);
    assert.equal(await a.find(token), null);
    assert.equal(await a.holds(token), false);
    assert.equal(await b.find(token), null);
  } finally {
    close();
  }
});

test('Redis holds the CSRF token under the digest of the token, never the token; expiring after the idle time', async () => {
  const { keys, a, close } = fleet();
  try {
    const { token, session } = await opened(a);
    const key = `${keys.uiSession}${sessionId(token)}`;
    assert.equal(await redis.client.get(key), session.csrf);
    const ttl = await redis.client.pttl(key);
    assert.ok(ttl > SESSION_IDLE_MS - 60_000 && ttl <= SESSION_IDLE_MS, `PTTL ${ttl}`);
    const all = await redis.client.keys(`${keys.uiSession}*`);
    assert.deepEqual(all, [key]);
    assert.ok(!key.includes(token));
  } finally {
    close();
  }
});

test('each use pushes the expiry back to the idle time; unused that long, the session ends', async () => {
  const { keys, a, b, close } = fleet({ idleMs: 60_000, loginsPerMinute: 60 });
  try {
    const { token } = await opened(a);
    const key = `${keys.uiSession}${sessionId(token)}`;
    await redis.client.pexpire(key, 1000);
    assert.ok(await b.holds(token));
    assert.ok((await redis.client.pttl(key)) <= 1000, 'holds is no use of the session');
    assert.ok(await b.find(token));
    assert.ok((await redis.client.pttl(key)) > 59_000, 'find is a use: the idle time starts again');
    await redis.client.pexpire(key, 50);
    await sleep(150);
    assert.equal(await a.find(token), null);
    assert.equal(await b.holds(token), false);
  } finally {
    close();
  }
});

test('a token that is not one is refused without a session, whatever the daemon', async () => {
  const { a, close } = fleet();
  try {
    const { token } = await opened(a);
    for (const bad of [undefined, '', `${token}x`, token.slice(1), 'x'.repeat(10_000)])
      assert.equal(await a.find(bad), null, String(bad).slice(0, 50));
    assert.equal(await a.holds(`${token}=`), false);
    await a.end('junk');
    assert.ok(await a.find(token));
  } finally {
    close();
  }
});

test("logins are counted across the fleet: past the minute's share, none is opened", async () => {
  const { keys, a, b, close } = fleet({ idleMs: 60_000, loginsPerMinute: 3 });
  try {
    await opened(a);
    await opened(b);
    await opened(a);
    assert.equal(await b.open(), 'busy');
    assert.equal(await a.open(), 'busy');
    assert.equal((await redis.client.keys(`${keys.uiSession}*`)).length, 3);
    const ttl = await redis.client.pttl(keys.uiLogins);
    assert.ok(ttl > 0 && ttl <= 60_000, `PTTL ${ttl}`);
    // A count that lost its expiry is given one at the next login: it never locks logins out.
    await redis.client.persist(keys.uiLogins);
    assert.equal(await a.open(), 'busy');
    assert.ok((await redis.client.pttl(keys.uiLogins)) > 0);
    await redis.client.del(keys.uiLogins);
    await opened(b);
  } finally {
    close();
  }
});

test('every daemon names the cookie alike: the fleet id the first one set', async () => {
  const { keys, a, b, close } = fleet();
  try {
    const name = await a.cookieName();
    assert.match(name, /^ktimer_session_[\w-]{12}$/);
    assert.equal(await b.cookieName(), name);
    assert.equal(`ktimer_session_${await redis.client.get(keys.uiCookie)}`, name);
    assert.equal(await redis.client.pttl(keys.uiCookie), -1, 'set once, for good');
    // A value that cannot name a cookie is reported, not used (and not kept by the thread).
    const c = fleet();
    await redis.client.set(c.keys.uiCookie, 'bad name;');
    await assert.rejects(
      c.a.cookieName(),
      (err: unknown) => err instanceof KtimerError && err.code === 'corrupt',
    );
    await redis.client.del(c.keys.uiCookie);
    assert.match(await c.a.cookieName(), /^ktimer_session_[\w-]{12}$/);
    c.close();
  } finally {
    close();
  }
});
