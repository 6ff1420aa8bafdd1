// ktimer list: ordered by next run, a window, pages of 100 by default with the total shown and
// the cursor of the next page; the web API's list pages by the same cursor.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { runCli, taskKeys, writeTestConfig } from '../helpers/cli.js';
import { TestDaemon } from '../helpers/daemon.js';
import { freePort, usePrivateRedis } from '../helpers/redis-server.js';
import { storedTask, storeTasks } from '../helpers/stored-tasks.js';

const redis = usePrivateRedis();
let config: string;
const PREFIX = 'lst';
const BASE = Math.floor(Date.now() / 1000) + 86400;

before(async () => {
  await redis.ready();
  config = writeTestConfig({ redisPort: redis.server.port, prefix: PREFIX });
  // 150 tasks, stored in the README's Redis layout, due one second apart from BASE, inserted shuffled.
  const order = Array.from({ length: 150 }, (_, i) => i).sort(
    (a, b) => ((a * 7919) % 150) - ((b * 7919) % 150),
  );
  await storeTasks(
    redis.client,
    taskKeys(PREFIX),
    order.map((i) => [
      i.toString(16).padStart(32, '0'),
      storedTask({ command: `echo ${i}`, run_nexttime: BASE + i }),
    ]),
  );
});

const kt = (...args: string[]) => runCli([...args, '--config', config]);
const listed = async (...args: string[]) => JSON.parse((await kt('list', '--json', ...args)).stdout);

test('the first page: 100 rows in order of next run, the total shown', async () => {
  const res = await kt('list');
  assert.equal(res.code, 0, res.stderr);
  const lines = res.stdout.trim().split('\n');
  assert.match(lines[0] ?? '', /^KID +NAME +TYPE +SCHEDULE +RUNS +LAST +NEXT +COMMAND$/);
  assert.equal(lines.length, 102);
  assert.match(lines[101] ?? '', /^tasks 1-100 of 150 \(next page: -cursor=[\w-]+\)\.$/);
  const cmds = lines.slice(1, 101).map((l) => l.split(/\s+/).slice(-1)[0]);
  assert.deepEqual(
    cmds,
    Array.from({ length: 100 }, (_, i) => String(i)),
  );
  // Nothing on record yet; the next run in words.
  assert.match(lines[1] ?? '', / — +(in \d+[smhd]|due) /);
  const json = await listed();
  assert.equal(json.total, 150);
  assert.equal(json.tasks.length, 100);
  assert.equal(new Date(json.tasks[0].run_nexttime * 1000).getTime(), BASE * 1000);
});

test('offset and count page through; the last page says so', async () => {
  const p = await listed('-offset=140', '-count=20');
  assert.equal(p.tasks.length, 10);
  assert.equal(p.tasks[0].command, 'echo 140');
  const res = await kt('list', '-offset=140', '-count=20');
  assert.match(res.stdout, /tasks 141-150 of 150\.\n$/);
  const empty = await kt('list', '-offset=500');
  assert.equal(empty.stdout, 'no tasks at offset 500: the window holds 150.\n');
});

test('starttime/endtime: a window on the next run, both ends included', async () => {
  const w = await listed(`-starttime=${BASE + 10}`, `-endtime=${BASE + 19}`);
  assert.equal(w.total, 10);
  assert.deepEqual(
    w.tasks.map((t: { command: string }) => t.command),
    Array.from({ length: 10 }, (_, i) => `echo ${10 + i}`),
  );
  assert.equal((await listed(`-starttime=${BASE + 149}`)).total, 1);
  assert.equal((await listed(`-endtime=${BASE - 1}`)).total, 0);
  const none = await kt('list', `-endtime=${BASE - 1}`);
  assert.equal(none.stdout, 'no tasks in this window.\n');
});

/** The cursor a page's footer gives. */
const cursorOf = (stdout: string): string => /next page: -cursor=([\w-]+)\)/.exec(stdout)?.[1] ?? '';

test('the cursor of each page gives the next: every row once, in order, whatever happens before it', async () => {
  const first = await kt('list', '-count=60');
  const cursor = cursorOf(first.stdout);
  assert.ok(cursor, first.stdout);
  const second = await kt('list', `-cursor=${cursor}`, '-count=60');
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /\ntasks 61-120 of 150 \(next page: -cursor=[\w-]+\)\.\n$/);
  const json = await listed(`-cursor=${cursorOf(second.stdout)}`, '-count=60');
  assert.deepEqual(
    json.tasks.map((t: { command: string }) => t.command),
    Array.from({ length: 30 }, (_, i) => `echo ${120 + i}`),
  );
  assert.equal(json.offset, 120);
  assert.equal(json.next, null, 'the last page has no next');
  assert.match((await kt('list', `--cursor`, cursor, '-count=60')).stdout, /tasks 61-120 of 150/);
  // --json carries the cursor too.
  assert.equal((await listed('-count=60')).next, cursor);
});

test('an offset beyond 10000, a bad cursor, or both at once: usage errors that store nothing', async () => {
  const deep = await kt('list', '-offset=10001');
  assert.equal(deep.code, 2);
  assert.equal(
    deep.stderr,
    'ktimer: error: offset 10001 is too deep (at most 10000); page on with the cursor each page gives (next page: -cursor=...; in the web API: cursor)\n',
  );
  assert.equal((await kt('list', '-offset=10000')).code, 0);
  const bad = await kt('list', '-cursor=nonsense');
  assert.equal(bad.code, 2);
  assert.equal(
    bad.stderr,
    'ktimer: error: cursor "nonsense" is invalid; give the cursor a page of list printed for the next one\n',
  );
  const cursor = cursorOf((await kt('list')).stdout);
  const both = await kt('list', `-cursor=${cursor}`, '-offset=5');
  assert.equal(both.code, 2);
  assert.match(both.stderr, /give a cursor or an offset, not both/);
});

test('the web API list takes the cursor and returns the next', async (t) => {
  const port = await freePort();
  const web = writeTestConfig({
    redisPort: redis.server.port,
    prefix: PREFIX,
    extra: { web: ['web_enable = 1', `web_port = ${port}`, 'web_passwd = list-test'] },
  });
  const d = new TestDaemon(web);
  await d.start();
  t.after(() => d.kill());
  const get = async (params: Record<string, string>) => {
    const res = await fetch(
      `http://127.0.0.1:${port}/?${new URLSearchParams({ action: 'list', passwd: 'list-test', ...params })}`,
    );
    return { http: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const first = await get({ count: '100', starttime: String(BASE) });
  assert.equal(first.http, 200);
  assert.equal(first.body.total, 150);
  assert.equal(typeof first.body.next, 'string');
  const second = await get({ count: '100', starttime: String(BASE), cursor: first.body.next as string });
  assert.equal(second.body.msg, 'tasks 101-150 of 150');
  assert.equal(second.body.offset, 100);
  assert.equal(second.body.next, null);
  assert.equal((second.body.data as { command: string }[])[0]?.command, 'echo 100');
  const deep = await get({ offset: '20000' });
  assert.equal(deep.http, 400);
  assert.match(String(deep.body.msg), /^offset 20000 is too deep/);
});
