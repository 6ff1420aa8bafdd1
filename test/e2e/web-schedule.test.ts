// Calendar schedules through the web API of a running daemon: add, update, get and list with
// cron, tz and misfire, and the next action, which returns what `ktimer next` prints.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { writeTestConfig } from '../helpers/cli.js';
import { TestDaemon } from '../helpers/daemon.js';
import { freePort, usePrivateRedis } from '../helpers/redis-server.js';

const PASSWD = 'web-schedule-secret';
const redis = usePrivateRedis();
let d: TestDaemon;
let port = 0;

interface Reply {
  http: number;
  body: { status: boolean; code: number; data: unknown; msg: string } & Record<string, unknown>;
}

async function api(action: string, params: Record<string, string> = {}): Promise<Reply> {
  const query = new URLSearchParams({ action, passwd: PASSWD, ...params });
  const res = await fetch(`http://127.0.0.1:${port}/?${query}`);
  return { http: res.status, body: (await res.json()) as Reply['body'] };
}

before(async () => {
  await redis.ready();
  port = await freePort();
  const web = ['web_enable = 1', `web_port = ${port}`, `web_passwd = ${PASSWD}`];
  d = new TestDaemon(
    writeTestConfig({ redisPort: redis.server.port, extra: { web, task: ['timezone = Europe/Berlin'] } }),
  );
  await d.start();
});
after(() => d.kill());

interface Run {
  unix_ms: number;
  utc: string;
  local: string;
}

test('add, update, get and list take and return cron, tz and misfire', async () => {
  const add = await api('add', {
    type: 'cron',
    cron: '0 30 3 * * *',
    tz: 'America/New_York',
    misfire: 'all',
    command: 'true',
  });
  assert.equal(add.http, 200, add.body.msg);
  const kid = add.body.data as string;
  const get = (await api('get', { kid })).body.data as Record<string, unknown>;
  assert.deepEqual(
    [get.type, get.cron, get.tz, get.misfire, get.time],
    ['cron', '0 30 3 * * *', 'America/New_York', 'all', 0],
  );
  assert.ok(Array.isArray(get.runs));
  const upd = await api('update', { kid, cron: '0 0 4 * * *', misfire: 'skip' });
  assert.equal(upd.http, 200, upd.body.msg);
  const listed = (await api('list')).body.data as Record<string, unknown>[];
  assert.deepEqual(
    listed.map((t) => [t.kid, t.cron, t.tz, t.misfire]),
    [[kid, '0 0 4 * * *', 'America/New_York', 'skip']],
  );
  const zone = (await api('add', { type: 'cron', cron: '@daily', command: 'true' })).body.data as string;
  assert.equal(
    ((await api('get', { kid: zone })).body.data as { tz: string }).tz,
    'Europe/Berlin',
    '[task] timezone',
  );
  for (const [params, pattern] of [
    [{ type: 'cron', cron: '0 30 3 * * *', time: '60' }, /-time is not for a cron task/],
    [{ type: 'timer', cron: '@daily' }, /-cron is for -type=cron only/],
    [{ type: 'cron', cron: 'every day' }, /cron "every day" is invalid/],
    [{ type: 'cron', cron: '@daily', tz: 'Moon/Tranquility' }, /time zone "Moon\/Tranquility" is unknown/],
  ] as const) {
    const bad = await api('add', params);
    assert.equal(bad.http, 400, JSON.stringify(params));
    assert.match(bad.body.msg, pattern);
  }
  assert.equal((await api('count')).body.data, 2, 'nothing stored by the refused ones');
});

test('next: the runs as the command prints them, local in the zone and UTC; n bounded', async () => {
  const kid = (await api('add', { type: 'cron', cron: '0 30 3 * * *', command: 'true' })).body.data as string;
  const next = await api('next', { kid, n: '3' });
  assert.equal(next.http, 200, next.body.msg);
  assert.equal(next.body.schedule, 'cron 0 30 3 * * * Europe/Berlin');
  assert.equal(next.body.tz, 'Europe/Berlin');
  assert.equal(next.body.more, true);
  const runs = next.body.data as Run[];
  assert.equal(runs.length, 3);
  for (const r of runs) {
    assert.match(r.local, /T03:30:00\+0[12]:00$/);
    assert.equal(Date.parse(r.local), r.unix_ms);
    assert.equal(Date.parse(r.utc), r.unix_ms);
  }
  const cli = JSON.parse((await d.cli(['next', kid, '-n', '3', '--json'])).stdout);
  assert.deepEqual(cli.runs, runs, 'what the command prints');
  assert.equal(((await api('next', { kid })).body.data as Run[]).length, 10, '10 by default');
  const ticker = (await api('add', { type: 'ticker', time: '60', limit: '2', command: 'true' })).body
    .data as string;
  const two = await api('next', { kid: ticker, n: '5' });
  assert.equal(two.body.schedule, 'every 1m');
  assert.equal((two.body.data as Run[]).length, 2);
  assert.equal(two.body.more, false);
  assert.equal(((await api('next', { kid, n: '1000' })).body.data as Run[]).length, 1000, 'up to 1000');
  for (const n of ['0', '1001', 'x']) {
    const bad = await api('next', { kid, n });
    assert.equal(bad.http, 400);
    assert.match(bad.body.msg, /n "\w+" is invalid; expected a whole number from 1 to 1000/);
  }
  assert.equal((await api('next', { kid: 'f'.repeat(32) })).http, 404);
  assert.equal((await api('next')).http, 400, 'kid is missing');
});
