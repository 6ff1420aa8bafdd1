// ktimer list: ordered by next run, a window, pages of 100 by default with the total shown.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { runCli, taskKeys, writeTestConfig } from '../helpers/cli.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
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
  assert.match(lines[0] ?? '', /^KID +TYPE +SCHEDULE +RUNS +NEXT RUN +COMMAND$/);
  assert.equal(lines.length, 102);
  assert.equal(lines[101], 'tasks 1-100 of 150 (next page: -offset=100).');
  const cmds = lines.slice(1, 101).map((l) => l.split(/\s+/).slice(-1)[0]);
  assert.deepEqual(
    cmds,
    Array.from({ length: 100 }, (_, i) => String(i)),
  );
  // Next run as a local ISO time with its offset.
  assert.match(lines[1] ?? '', /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d/);
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
