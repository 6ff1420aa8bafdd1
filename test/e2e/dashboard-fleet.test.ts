// The dashboard's sessions across a fleet: two daemons on one Redis (as behind a load balancer),
// over real HTTP. A login on one holds on the other, a logout on either ends it on both (the
// live feed too), a restart ends none, Redis holds no token, and Redis away is a 503, not a
// logout.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { assertSessionRefused, uiCall, uiLogin } from '../helpers/dashboard-client.js';
import { writeTestConfig } from '../helpers/cli.js';
import { TestDaemon } from '../helpers/daemon.js';
import { freePort, usePrivateRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const PASSWD = 'fleet-dashboard-secret';
const PREFIX = 'ktfleet';
const LOCK = `${PREFIX}:tasks:lock`;
const IDLE_MS = 8 * 3_600_000;
// Persisted, so that a restart of Redis loses no session: its outage alone is tested.
const redis = usePrivateRedis({ aof: true });
const daemons: { a?: TestDaemon; b?: TestDaemon } = {};
const ports = { a: 0, b: 0 };

async function fleetDaemon(port: number): Promise<TestDaemon> {
  const web = ['web_enable = 1', `web_port = ${port}`, `web_passwd = ${PASSWD}`, 'web_allow_ip = 127.0.0.1'];
  const d = new TestDaemon(writeTestConfig({ redisPort: redis.server.port, prefix: PREFIX, extra: { web } }));
  await d.start();
  return d;
}

before(async () => {
  await redis.ready();
  ports.a = await freePort();
  ports.b = await freePort();
  daemons.a = await fleetDaemon(ports.a);
  daemons.b = await fleetDaemon(ports.b);
});
after(() => {
  daemons.a?.kill();
  daemons.b?.kill();
});

const cookieName = (cookie: string) => cookie.slice(0, cookie.indexOf('='));

test('a login on daemon A opens the dashboard on daemon B, its CSRF token included', async () => {
  const { cookie, csrf } = await uiLogin(ports.a, PASSWD);
  const other = await uiLogin(ports.b, PASSWD);
  assert.equal(cookieName(other.cookie), cookieName(cookie), 'one cookie name for the fleet');
  const session = await uiCall(ports.b, '/ui/session', { cookie });
  assert.equal(session.status, 200, session.text);
  assert.deepEqual(session.json?.data, { csrf });
  const add = await uiCall(ports.b, '/ui/api', {
    method: 'POST',
    cookie,
    csrf,
    form: { action: 'add', type: 'ticker', time: '3600', command: 'true', name: 'fleet-probe' },
  });
  assert.equal(add.status, 200, add.text);
  const get = await uiCall(ports.a, '/ui/api', {
    method: 'POST',
    cookie,
    csrf,
    form: { action: 'get', kid: 'fleet-probe' },
  });
  assert.equal(get.status, 200, get.text);
  // The CSRF token is the session's, on every daemon: another session's is refused.
  const wrong = await uiCall(ports.b, '/ui/api', {
    method: 'POST',
    cookie,
    csrf: other.csrf,
    form: { action: 'count' },
  });
  assert.equal(wrong.status, 403);
});

test("a logout on daemon B ends the session on daemon A, and A's live feed of it", async () => {
  const { cookie, csrf } = await uiLogin(ports.a, PASSWD);
  const feed = request({ host: '127.0.0.1', port: ports.a, path: '/ui/live', headers: { cookie } });
  let loggedOutAt = 0;
  const ended = new Promise<number>((resolve, reject) => {
    feed.on('response', (res) => {
      res.on('end', () => resolve(Date.now() - loggedOutAt));
      // The first bytes (the reconnect delay): the feed is open before the logout.
      res.once('data', () => opened());
      res.resume();
    });
    feed.on('error', reject);
  });
  let opened = () => {};
  const isOpen = new Promise<void>((resolve) => {
    opened = resolve;
  });
  feed.end();
  try {
    await isOpen;
    loggedOutAt = Date.now();
    const out = await uiCall(ports.b, '/ui/logout', { method: 'POST', cookie, csrf });
    assert.equal(out.status, 200, out.text);
    await assertSessionRefused(ports.a, { cookie, csrf });
    // The feed asks after its session every 5 s: it ends within that, not at the next run.
    const afterMs = await Promise.race([
      ended,
      new Promise<never>((_, reject) => {
        setTimeout(() => reject(new Error('the live feed went on')), 12_000).unref();
      }),
    ]);
    assert.ok(afterMs < 8_000, `the feed ended ${afterMs} ms after the logout`);
  } finally {
    feed.destroy();
  }
});

test('Redis keeps the digest of the token as the key, the CSRF token as its value, expiring after 8 h idle', async () => {
  const { cookie, csrf } = await uiLogin(ports.b, PASSWD);
  const token = cookie.slice(cookie.indexOf('=') + 1);
  const key = `${LOCK}:ui:session:${createHash('sha256').update(token).digest('base64url')}`;
  assert.equal(await redis.client.get(key), csrf);
  const ttl = await redis.client.pttl(key);
  assert.ok(ttl > IDLE_MS - 60_000 && ttl <= IDLE_MS, `PTTL ${ttl}`);
  // The token itself is nowhere in Redis: no key name, no string value holds it.
  for (const k of await redis.client.keys('*')) {
    assert.ok(!k.includes(token), k);
    if ((await redis.client.type(k)) === 'string')
      assert.ok(!(await redis.client.get(k))?.includes(token), k);
  }
  // A use on the other daemon sets the idle time going again.
  await redis.client.pexpire(key, 60_000);
  assert.equal((await uiCall(ports.a, '/ui/session', { cookie })).status, 200);
  assert.ok((await redis.client.pttl(key)) > IDLE_MS - 60_000);
});

test('a session outlives a restart of the daemon that opened it', async () => {
  const a = daemons.a as TestDaemon;
  const { cookie, csrf } = await uiLogin(ports.a, PASSWD);
  const stop = await a.cli(['stop']);
  assert.equal(stop.code, 0, stop.stderr);
  await a.start();
  const session = await uiCall(ports.a, '/ui/session', { cookie });
  assert.equal(session.status, 200, session.text);
  assert.deepEqual(session.json?.data, { csrf });
  const count = await uiCall(ports.a, '/ui/api', { method: 'POST', cookie, csrf, form: { action: 'count' } });
  assert.equal(count.status, 200, count.text);
});

// Last: it stops the file's Redis.
test('Redis away: the dashboard answers 503 with one line, and the session holds when it is back', async () => {
  const { cookie, csrf } = await uiLogin(ports.a, PASSWD);
  await redis.server.stop();
  try {
    for (const port of [ports.a, ports.b]) {
      const session = await uiCall(port, '/ui/session', { cookie });
      assert.equal(session.status, 503, session.text);
      assert.match(session.json?.msg ?? '', /^cannot reach Redis at 127\.0\.0\.1:\d+: /);
      assert.doesNotMatch(session.text, /\n|\bat .*\.(c?js|ts):\d+/);
      assert.equal(session.headers['set-cookie'], undefined, 'the cookie is left alone');
      const action = await uiCall(port, '/ui/api', {
        method: 'POST',
        cookie,
        csrf,
        form: { action: 'count' },
      });
      assert.equal(action.status, 503);
      const login = await uiCall(port, '/ui/login', { method: 'POST', form: { passwd: PASSWD } });
      assert.equal(login.status, 503, login.text);
      assert.equal(login.headers['set-cookie'], undefined);
    }
  } finally {
    await redis.server.launch();
  }
  for (const port of [ports.a, ports.b]) {
    const back = await waitFor(
      async () => {
        const reply = await uiCall(port, '/ui/session', { cookie });
        return reply.status === 503 ? null : reply;
      },
      { what: 'the dashboard with Redis back', timeoutMs: 15_000 },
    );
    assert.equal(back.status, 200, back.text);
    assert.deepEqual(back.json?.data, { csrf });
  }
});
