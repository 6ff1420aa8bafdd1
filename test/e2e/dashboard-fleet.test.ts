// The dashboard's sessions across a fleet: two daemons on one Redis (as behind a load balancer),
// over real HTTP. A login on one holds on the other, a logout on either ends it on both (the
// live feed too), `ktimer logout --all` ends them all, a restart ends none but a new web_passwd
// ends those of the old one, a session's lifetime ends it, Redis holds no token, and Redis away
// is a 503, not a logout.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { assertSessionRefused, openFeed, uiCall, uiLogin } from '../helpers/dashboard-client.js';
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

test('a login on daemon A opens the dashboard on daemon B', async () => {
  const session = await uiLogin(ports.a, PASSWD);
  const other = await uiLogin(ports.b, PASSWD);
  const reply = await uiCall(ports.b, '/ui/session', session);
  assert.equal(reply.status, 200, reply.text);
  const add = await uiCall(ports.b, '/ui/api', {
    method: 'POST',
    ...session,
    form: { action: 'add', type: 'ticker', time: '3600', command: 'true', name: 'fleet-probe' },
  });
  assert.equal(add.status, 200, add.text);
  const get = await uiCall(ports.a, '/ui/api', {
    method: 'POST',
    ...session,
    form: { action: 'get', kid: 'fleet-probe' },
  });
  assert.equal(get.status, 200, get.text);
  // A token goes with the browser it was given to: another's cookie does not open it.
  const crossed = await uiCall(ports.b, '/ui/api', {
    method: 'POST',
    token: session.token,
    cookie: other.cookie,
    form: { action: 'count' },
  });
  assert.equal(crossed.status, 401);
});

/** Waits for `feed` to end, and says how long after `sinceMs` it did (at most 12 s). */
async function feedEndsAfter(feed: { ended: Promise<void> }, sinceMs: number): Promise<number> {
  await Promise.race([
    feed.ended,
    new Promise<never>((_, reject) => {
      setTimeout(() => reject(new Error('the live feed went on')), 12_000).unref();
    }),
  ]);
  return Date.now() - sinceMs;
}

test("a logout on daemon B ends the session on daemon A, and A's live feed of it", async () => {
  const session = await uiLogin(ports.a, PASSWD);
  const feed = await openFeed(ports.a, session);
  try {
    assert.equal(feed.status, 200);
    const loggedOutAt = Date.now();
    const out = await uiCall(ports.b, '/ui/logout', { method: 'POST', ...session });
    assert.equal(out.status, 200, out.text);
    await assertSessionRefused(ports.a, session);
    // The feed asks after its session every 5 s: it ends within that, not at the next run.
    const afterMs = await feedEndsAfter(feed, loggedOutAt);
    assert.ok(afterMs < 8_000, `the feed ended ${afterMs} ms after the logout`);
  } finally {
    feed.close();
  }
});

test('`ktimer logout --all` ends every session on every daemon, live feeds too; a login after it holds', async () => {
  const one = await uiLogin(ports.a, PASSWD);
  const two = await uiLogin(ports.b, PASSWD);
  const feed = await openFeed(ports.b, one);
  try {
    assert.equal(feed.status, 200);
    const usage = await (daemons.a as TestDaemon).cli(['logout']);
    assert.equal(usage.code, 2, usage.stderr);
    assert.match(usage.stderr, /--all/);
    assert.equal(
      (await uiCall(ports.a, '/ui/session', one)).status,
      200,
      'logout without --all ends nothing',
    );
    const startedAt = Date.now();
    const all = await (daemons.a as TestDaemon).cli(['logout', '--all']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /every dashboard session of the fleet ended/);
    for (const port of [ports.a, ports.b]) for (const s of [one, two]) await assertSessionRefused(port, s);
    assert.ok((await feedEndsAfter(feed, startedAt)) < 8_000);
    const again = await uiLogin(ports.b, PASSWD, one.cookie);
    assert.equal((await uiCall(ports.a, '/ui/session', again)).status, 200);
  } finally {
    feed.close();
  }
});

test('Redis keeps a record under the digest of the token, expiring after 8 h idle; the token is nowhere', async () => {
  const session = await uiLogin(ports.b, PASSWD);
  const key = `${LOCK}:ui:session:${createHash('sha256').update(session.token).digest('base64url')}`;
  const ttl = await redis.client.pttl(key);
  assert.ok(ttl > IDLE_MS - 60_000 && ttl <= IDLE_MS, `PTTL ${ttl}`);
  // Neither the token, nor the browser's secret, nor the password is anywhere in Redis.
  const browser = session.cookie.slice(session.cookie.indexOf('=') + 1);
  for (const k of await redis.client.keys('*')) {
    for (const secret of [session.token, browser, PASSWD]) {
      assert.ok(!k.includes(secret), k);
      if ((await redis.client.type(k)) === 'string')
        assert.ok(!(await redis.client.get(k))?.includes(secret), k);
    }
  }
  // A use on the other daemon sets the idle time going again.
  await redis.client.pexpire(key, 60_000);
  assert.equal((await uiCall(ports.a, '/ui/session', session)).status, 200);
  assert.ok((await redis.client.pttl(key)) > IDLE_MS - 60_000);
});

test('a session outlives a restart of the daemon that opened it', async () => {
  const a = daemons.a as TestDaemon;
  const session = await uiLogin(ports.a, PASSWD);
  const stop = await a.cli(['stop']);
  assert.equal(stop.code, 0, stop.stderr);
  await a.start();
  assert.equal((await uiCall(ports.a, '/ui/session', session)).status, 200);
  const count = await uiCall(ports.a, '/ui/api', { method: 'POST', ...session, form: { action: 'count' } });
  assert.equal(count.status, 200, count.text);
});

test('a session ends once web_passwd changes and the daemon restarts with it; the new password logs in', async () => {
  const a = daemons.a as TestDaemon;
  const session = await uiLogin(ports.a, PASSWD);
  const changed = readFileSync(a.config, 'utf8').replace(
    `web_passwd = ${PASSWD}`,
    'web_passwd = fleet-new-secret',
  );
  writeFileSync(a.config, changed);
  const restart = async () => {
    assert.equal((await a.cli(['stop'])).code, 0);
    await a.start();
  };
  try {
    await restart();
    await assertSessionRefused(ports.a, session);
    const fresh = await uiLogin(ports.a, 'fleet-new-secret', session.cookie);
    assert.equal((await uiCall(ports.a, '/ui/session', fresh)).status, 200);
    // Daemon B still has the old password: the new session is not its password's.
    assert.equal((await uiCall(ports.b, '/ui/session', fresh)).status, 401);
  } finally {
    writeFileSync(a.config, changed.replace('web_passwd = fleet-new-secret', `web_passwd = ${PASSWD}`));
    await restart();
  }
});

test('a session ends at the end of web_session_lifetime, however much it is used', async () => {
  const session = await uiLogin(ports.a, PASSWD);
  const key = `${LOCK}:ui:session:${createHash('sha256').update(session.token).digest('base64url')}`;
  const record = JSON.parse((await redis.client.get(key)) ?? '{}') as { born: number };
  // Opened 7 days less a minute ago: it holds; a minute more, and it has ended.
  await redis.client.set(
    key,
    JSON.stringify({ ...record, born: Date.now() - 7 * 86_400_000 + 60_000 }),
    'KEEPTTL',
  );
  assert.equal((await uiCall(ports.b, '/ui/session', session)).status, 200);
  await redis.client.set(
    key,
    JSON.stringify({ ...record, born: Date.now() - 7 * 86_400_000 - 1000 }),
    'KEEPTTL',
  );
  await assertSessionRefused(ports.b, session);
});

// Last: it stops the file's Redis.
test('Redis away: the dashboard answers 503 with one line, and the session holds when it is back', async () => {
  const session = await uiLogin(ports.a, PASSWD);
  await redis.server.stop();
  try {
    for (const port of [ports.a, ports.b]) {
      const reply = await uiCall(port, '/ui/session', session);
      assert.equal(reply.status, 503, reply.text);
      assert.match(reply.json?.msg ?? '', /^cannot reach Redis at 127\.0\.0\.1:\d+: /);
      assert.doesNotMatch(reply.text, /\n|\bat .*\.(c?js|ts):\d+/);
      assert.equal(reply.headers['set-cookie'], undefined, 'the cookie is left alone');
      const action = await uiCall(port, '/ui/api', { method: 'POST', ...session, form: { action: 'count' } });
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
        const reply = await uiCall(port, '/ui/session', session);
        return reply.status === 503 ? null : reply;
      },
      { what: 'the dashboard with Redis back', timeoutMs: 15_000 },
    );
    assert.equal(back.status, 200, back.text);
  }
});
