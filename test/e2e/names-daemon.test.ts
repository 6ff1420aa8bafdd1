// Per-task timeouts and names with a real daemon: a task's own -timeout kills its command (or
// abandons its URL call) long before task_timeout would; its runs read back by name (history,
// output NAME:RUN), also once a named timer has fired and is gone; and names through the web API
// (add, 409, replace=1, get, update, next, history, output, del).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { useWebDaemon } from '../helpers/web-daemon.js';
import { waitFor } from '../helpers/wait.js';

const redis = usePrivateRedis();
const web = useWebDaemon(redis, 'names-test', { default: ['task_timeout = 60'] });
/** Answers nothing, ever: a URL task's call can only time out. */
let hang: Server;
let hangPort = 0;

before(async () => {
  hang = createServer(() => {});
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  hangPort = (hang.address() as { port: number }).port;
});
after(() => {
  hang.closeAllConnections();
  hang.close();
});

const json = async (args: string[]) => {
  const res = await web.daemon.cli([...args, '--json']);
  assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
  return JSON.parse(res.stdout);
};

test('-timeout=1 kills `sleep 30` after 1 s while task_timeout is 60; its runs read back by name', async () => {
  const kid = await web.daemon.add([
    '-type=ticker',
    '-time=1',
    '-name=slow',
    '-timeout=1',
    '-command=sleep 30',
  ]);
  const [fire] = await web.daemon.waitForFires(1, 15_000, (e) => e.kid === kid);
  assert.ok(fire);
  assert.equal(fire.timed_out, true, JSON.stringify(fire));
  assert.equal(fire.ok, false);
  const ms = fire.duration_ms as number;
  assert.ok(ms >= 900 && ms < 5000, `killed after ${ms} ms`);
  const history = await waitFor(
    async () => {
      const h = await json(['history', 'slow']);
      return h.runs.length > 0 ? h : null;
    },
    { what: 'a run of slow on record' },
  );
  assert.equal(history.kid, kid);
  assert.equal(history.runs[0].timed_out, true);
  const fireId = history.runs[0].fire_id as string;
  const output = await web.daemon.cli(['output', `slow:${fireId.split(':')[1]}`, '--json']);
  assert.equal(output.code, 0, output.stderr);
  assert.equal(JSON.parse(output.stdout).fire_id, fireId);
  assert.equal((await web.daemon.cli(['del', 'slow'])).code, 0);
});

test('a URL task with -timeout=1 is abandoned after 1 s, not the 30 s of URL calls', async () => {
  const kid = await web.daemon.add(['-time=1', '-timeout=1', `-command=http://127.0.0.1:${hangPort}/hang`]);
  const [fire] = await web.daemon.waitForFires(1, 15_000, (e) => e.kid === kid);
  assert.ok(fire);
  assert.equal(fire.timed_out, true, JSON.stringify(fire));
  const ms = fire.duration_ms as number;
  assert.ok(ms >= 900 && ms < 5000, `abandoned after ${ms} ms`);
});

type ReplyBody = { status: boolean; code: number; data: unknown; msg: string; replaced?: boolean };
const api = (action: string, params: Record<string, string> = {}) =>
  web.api<ReplyBody>({ action, ...params });

test('the web API: names and timeouts on add and update, 409 for a name taken, replace=1, a name for a kid', async () => {
  const add = await api('add', {
    type: 'ticker',
    time: '600',
    name: 'web-job',
    timeout: '20',
    command: 'echo a',
  });
  assert.equal(add.http, 200, add.body.msg);
  assert.equal(add.body.replaced, false);
  const kid = add.body.data as string;

  const dup = await api('add', { time: '60', name: 'web-job' });
  assert.equal(dup.http, 409);
  assert.match(
    dup.body.msg,
    new RegExp(`name "web-job" is taken by task ${kid}; give --replace \\(web API: replace=1\\)`),
  );
  assert.equal((await api('add', { time: '60', name: 'web-job', replace: 'x' })).http, 400);
  assert.equal((await api('add', { time: '60', timeout: '0' })).http, 400);
  assert.equal((await api('add', { time: '60', name: '9lives' })).http, 400);
  assert.equal((await api('count')).body.data, 1, 'nothing stored');

  const replaced = await api('add', {
    type: 'ticker',
    time: '600',
    name: 'web-job',
    command: 'echo b',
    replace: '1',
  });
  assert.equal(replaced.http, 200, replaced.body.msg);
  assert.deepEqual([replaced.body.data, replaced.body.replaced], [kid, true]);

  const got = (await api('get', { kid: 'web-job' })).body.data as Record<string, unknown>;
  assert.deepEqual([got.kid, got.name, got.timeout, got.command], [kid, 'web-job', null, 'echo b']);
  const upd = await api('update', { kid: 'web-job', timeout: '45', name: 'web-job-2' });
  assert.equal(upd.http, 200, upd.body.msg);
  const renamed = (await api('get', { kid: 'web-job-2' })).body.data as Record<string, unknown>;
  assert.deepEqual([renamed.kid, renamed.timeout], [kid, 45]);
  assert.equal((await api('get', { kid: 'web-job' })).http, 404);
  const list = (await api('list')).body.data as Record<string, unknown>[];
  assert.deepEqual(
    list.map((t) => [t.name, t.timeout]),
    [['web-job-2', 45]],
  );
  assert.equal((await api('next', { kid: 'web-job-2', n: '2' })).http, 200);
  assert.equal((await api('history', { kid: 'web-job-2' })).http, 200);

  const other = (await api('add', { time: '600', name: 'web-other' })).body.data as string;
  const del = await api('del', { kid: `web-job-2,web-other,nobody,${'f'.repeat(32)}` });
  assert.deepEqual([del.http, del.body.data], [200, 2]);
  assert.equal((await api('get', { kid: other })).http, 404);
  assert.equal((await api('del', { kid: 'nobody' })).http, 404);
});

test('a named timer that fired: history and output by name still read its run; get by name says it is gone', async () => {
  const kid = await web.daemon.add(['-time=1', '-name=nightly', '-command=echo backed up']);
  await web.daemon.waitForFires(1, 15_000, (e) => e.kid === kid);
  const history = await waitFor(
    async () => {
      const h = await json(['history', 'nightly']);
      return h.runs.length > 0 ? h : null;
    },
    { what: 'the run of nightly on record' },
  );
  assert.equal(history.kid, kid);
  assert.deepEqual(
    history.runs.map((r: { fire_id: string; result: string }) => [r.fire_id, r.result]),
    [[`${kid}:1`, 'ok']],
  );
  const human = await web.daemon.cli(['history', 'nightly']);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /\n1 +\S+ +schedule +ok /);
  const output = await web.daemon.cli(['output', 'nightly:1']);
  assert.equal(output.code, 0, output.stderr);
  assert.equal(output.stdout, 'backed up\n');
  // The task is gone: the commands that act on a live task do not know the name.
  for (const args of [
    ['get', 'nightly'],
    ['del', 'nightly'],
    ['next', 'nightly'],
    ['run', 'nightly'],
  ]) {
    const res = await web.daemon.cli(args);
    assert.equal(res.code, 1, `${args.join(' ')}: ${res.stdout}`);
    assert.match(res.stderr, /no task is named "nightly"/, args.join(' '));
  }
  // The web API alike.
  const byName = await api('history', { kid: 'nightly' });
  assert.equal(byName.http, 200, byName.body.msg);
  assert.deepEqual(
    (byName.body.data as { fire_id: string }[]).map((r) => r.fire_id),
    [`${kid}:1`],
  );
  const out = await api('output', { fire_id: 'nightly:1' });
  assert.equal(out.http, 200, out.body.msg);
  assert.equal((out.body.data as { output: string }).output, 'backed up\n');
  assert.equal((await api('get', { kid: 'nightly' })).http, 404);
  // A name no task ever held: one line, as before.
  const none = await web.daemon.cli(['history', 'never-held']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /^ktimer: error: no task is named "never-held" .*\n$/);
});
