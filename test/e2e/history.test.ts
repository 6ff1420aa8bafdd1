// The run history end to end: a real daemon puts every fire on record in Redis, and the commands
// read it: history (also of a fired timer), runs (failures, since), output, list's LAST and NEXT,
// get's last run; a run whose daemon is killed -9 is recorded lost; the web API's history and runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { useWebDaemon } from '../helpers/web-daemon.js';
import { waitFor } from '../helpers/wait.js';

const redis = usePrivateRedis();
const web = useWebDaemon(redis, 'history-test', { default: ['task_lost_after = 4'] });

const json = async (args: string[]) => {
  const res = await web.daemon.cli([...args, '--json']);
  assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
  return JSON.parse(res.stdout);
};

test('every run of a task on record, newest first, with its output; its last run in get and list', async () => {
  const kid = await web.daemon.add([
    '-type=ticker',
    '-time=1',
    '-limit=3',
    '-command=echo run $KTIMER_KID; test -f /nonexistent',
  ]);
  await web.daemon.waitForFires(3, 15_000, (e) => e.kid === kid);
  await waitFor(async () => (await json(['history', kid])).runs.length === 3, { what: '3 runs on record' });
  const { runs } = await json(['history', kid]);
  assert.deepEqual(
    runs.map((r: { fire_id: string }) => r.fire_id),
    [`${kid}:3`, `${kid}:2`, `${kid}:1`],
  );
  const first = runs[2];
  assert.equal(first.result, 'failed');
  assert.equal(first.exit_code, 1);
  assert.equal(first.trigger, 'schedule');
  assert.equal(first.attempt, 1);
  assert.ok(first.lateness_ms >= 0 && first.lateness_ms < 1000);
  assert.equal(typeof first.host, 'string');
  const human = await web.daemon.cli(['history', kid]);
  assert.match(human.stdout, /^RUN +STARTED +BY +RESULT +DURATION +LATE +HOST/);
  assert.match(human.stdout, /\n3 +\S+ +schedule +exit 1 /);
  const out = await web.daemon.cli(['output', `${kid}:2`]);
  assert.equal(out.stdout, `run ${kid}\n`);
  // The ticker is gone after its limit: history still has it, and `get` says it is gone.
  assert.equal((await web.daemon.cli(['get', kid])).code, 1);
  assert.equal((await json(['history', kid])).runs.length, 3);
});

test("list's LAST and NEXT columns, get's last_* fields", async () => {
  const kid = await web.daemon.add(['-type=ticker', '-time=1', '-command=true']);
  await waitFor(async () => (await json(['get', kid])).last_ok === true, { what: 'the last run in get' });
  // Every 10 minutes from now on: NEXT reads in 9m 59s or 10m 0s.
  assert.equal((await web.daemon.cli(['update', kid, '-time=600'])).code, 0);
  const task = await json(['get', kid]);
  assert.equal(task.last_result, 'ok');
  assert.equal(task.last_exit, 0);
  assert.ok(task.last_duration_ms >= 0);
  assert.ok(task.last_started > 0);
  assert.equal(typeof task.last_host, 'string');
  const list = await web.daemon.cli(['list']);
  assert.match(list.stdout, /KID +NAME +TYPE +SCHEDULE +RUNS +LAST +NEXT +COMMAND/);
  assert.match(
    list.stdout,
    new RegExp(`${kid} +— +ticker +every 10m +\\d+ +ok \\d+s ago +in (9m \\d+s|10m 0s) +true`),
  );
  await web.daemon.cli(['del', kid]);
});

test('runs of every task: --failed, --since, -n; a run whose daemon is killed -9 is recorded lost', async () => {
  const failing = await web.daemon.add(['-time=1', '-command=exit 3']);
  const slow = await web.daemon.add(['-time=1', '-command=sleep 30']);
  await waitFor(
    async () => (await json(['runs', '--failed'])).runs.some((r: { kid: string }) => r.kid === failing),
    {
      what: 'the failed run',
    },
  );
  const failed = (await json(['runs', '--failed', '--since', '5m'])).runs;
  assert.ok(failed.every((r: { ok: boolean }) => !r.ok));
  assert.equal((await json(['runs', '-n', '1'])).runs.length, 1);
  // The slow command runs; its daemon dies without a word; another daemon records it lost.
  await waitFor(async () => (await web.daemon.cli(['info', '--json'])).stdout.includes(slow), {
    what: 'the slow run under way',
  });
  web.daemon.kill('SIGKILL');
  await web.daemon.waitExit();
  await web.daemon.start();
  await waitFor(
    async () => (await json(['history', slow])).runs.some((r: { result: string }) => r.result === 'lost'),
    { what: 'the run recorded lost', timeoutMs: 20_000 },
  );
  const [lost] = (await json(['history', slow])).runs;
  assert.match(lost.error, /stopped before the run ended/);
  assert.equal((await web.daemon.cli(['runs', '--failed'])).stdout.includes(`${slow}:1`), true);
});

test('the web API: history and runs actions, with the same fields', async () => {
  const kid = await web.daemon.add(['-time=1', '-command=echo web']);
  await waitFor(async () => (await json(['history', kid])).runs.length === 1, { what: 'the run on record' });
  type Runs = { data: { fire_id: string; output?: string }[] };
  const call = async (params: Record<string, string>) => (await web.api<Runs>(params)).body;
  const history = await call({ action: 'history', kid });
  assert.deepEqual(
    history.data.map((r) => [r.fire_id, r.output]),
    [[`${kid}:1`, 'web\n']],
  );
  const runs = await call({ action: 'runs', n: '5', since: '1h' });
  assert.ok(runs.data.some((r) => r.fire_id === `${kid}:1`));
  assert.ok(
    runs.data.every((r) => r.output === undefined),
    'runs give summaries, without output',
  );
});
