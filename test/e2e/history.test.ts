// The run history end to end: a real daemon puts every fire on record in Redis, and the commands
// read it: history (also of a fired timer), runs (failures, since), output, list's LAST and NEXT,
// get's last run; a run whose daemon is killed -9 is recorded lost; the web API's history and runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { useWebDaemon } from '../helpers/web-daemon.js';
import { waitFor } from '../helpers/wait.js';

const redis = usePrivateRedis();
const web = useWebDaemon(redis, 'history-test', { default: ['task_lost_after = 4', 'shutdown_grace = 2'] });

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

test('output and get escape control characters for a terminal; output --raw and --json keep them exact', async () => {
  // ESC sequences, an OSC 52 clipboard write, CSI as U+009B, NEL, a bidi override.
  const printed = '\u001b[2J\u001b]52;c;cm0gLXJmIH4=\u0007 \u009b31m \u0085 \u202eevil\n';
  const command = `printf '\\033[2J\\033]52;c;cm0gLXJmIH4=\\007 \u009b31m \u0085 \u202eevil\\n'`;
  const kid = await web.daemon.add(['-time=1', `-command=${command}`]);
  await web.daemon.waitForFires(1, 15_000, (e) => e.kid === kid);
  const fireId = `${kid}:1`;
  await waitFor(async () => (await json(['history', kid])).runs.length === 1, { what: 'the run on record' });
  const unsafe = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/;
  const human = await web.daemon.cli(['output', fireId]);
  assert.doesNotMatch(human.stdout, unsafe);
  assert.equal(human.stdout, '\\x1b[2J\\x1b]52;c;cm0gLXJmIH4=\\x07 \\x9b31m \\x85 \\u202eevil\n');
  assert.equal((await web.daemon.cli(['output', fireId, '--raw'])).stdout, printed);
  const asJson = await web.daemon.cli(['output', fireId, '--json']);
  assert.doesNotMatch(asJson.stdout, unsafe);
  assert.equal(JSON.parse(asJson.stdout).output, printed);
  // get: the command's own characters, escaped as JSON escapes (human), exact once parsed (--json).
  const ticker = await web.daemon.add([
    '-type=ticker',
    '-time=3600',
    '-command=echo \u009b2J \u0085 \u202ecod.sh',
  ]);
  const shown = await web.daemon.cli(['get', ticker]);
  assert.doesNotMatch(shown.stdout, unsafe);
  assert.match(shown.stdout, /"command": "echo \\u009b2J \\u0085 \\u202ecod\.sh"/);
  const got = await web.daemon.cli(['get', ticker, '--json']);
  assert.doesNotMatch(got.stdout, unsafe);
  assert.equal(JSON.parse(got.stdout).command, 'echo \u009b2J \u0085 \u202ecod.sh');
  await web.daemon.cli(['del', ticker]);
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

test('runs missed while no daemon was up are on record as missed: one row per gap, its count and span', async () => {
  const kid = await web.daemon.add(['-type=ticker', '-time=1', '-misfire=skip', '-command=true']);
  await web.daemon.waitForFires(1, 15_000, (e) => e.kid === kid);
  web.daemon.kill('SIGTERM');
  await web.daemon.waitExit();
  const downAt = Date.now();
  await waitFor(() => Date.now() - downAt > 3500, { what: 'three of its runs due with no daemon up' });
  await web.daemon.start();
  type Run = { result: string; missed?: number; due: number; last_due?: number; error?: string };
  const gap = await waitFor(
    async () => ((await json(['history', kid])).runs as Run[]).find((r) => r.result === 'missed') ?? null,
    { what: 'the gap on record', timeoutMs: 15_000 },
  );
  assert.ok((gap.missed ?? 0) >= 3, `${gap.missed} runs missed`);
  assert.equal(gap.error, 'misfire=skip');
  assert.equal(
    ((gap.last_due ?? 0) - gap.due).toFixed(3),
    ((gap.missed ?? 0) - 1).toFixed(3),
    'its span: a run a second',
  );
  const missedRows = ((await json(['history', kid])).runs as Run[]).filter((r) => r.result === 'missed');
  assert.equal(missedRows.length, 1, 'one row for the gap');
  const human = await web.daemon.cli(['history', kid]);
  assert.match(
    human.stdout,
    new RegExp(`\\n— +schedule +missed ${gap.missed} .* due \\S+ \\.\\. \\S+ \\(misfire=skip\\)`),
  );
  const runs = await web.daemon.cli(['runs', '-n', '200']);
  assert.match(runs.stdout, new RegExp(`${kid}:\\S+ +schedule +missed ${gap.missed}: due `));
  await web.daemon.cli(['del', kid]);
});
