// Run now, overlap and retries (#14) end to end: the real bin/ktimer and a real daemon against a
// private Redis. `ktimer run NAME --wait` exits with the run's result and prints its output; a
// failing task with -retries is run 1 + retries times, each attempt on record (BY manual, retry
// 2, retry 3); a ticker with -overlap=skip never runs twice at once and puts the runs it skips on
// record; the web API's run action; a paused task runs by hand and stays paused; the examples of
// `ktimer help run`.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { useWebDaemon } from '../helpers/web-daemon.js';
import { waitFor } from '../helpers/wait.js';

const redis = usePrivateRedis();
const web = useWebDaemon(redis, 'controls-test');
const scratch = mkdtempSync(join(tmpdir(), 'ktimer-controls-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const kt = (...args: string[]) => web.daemon.cli(args);
const json = async (...args: string[]) => {
  const res = await kt(...args, '--json');
  assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
  return JSON.parse(res.stdout);
};

interface Run {
  fire_id: string;
  result: string;
  trigger: string;
  attempt: number;
  started?: number;
  finished: number;
  retry_at?: number;
}
const historyOf = async (kid: string): Promise<Run[]> => (await json('history', kid)).runs;

test('ktimer run NAME --wait: exit 0, the result and output; the schedule stays; without --wait it hands out', async () => {
  const kid = await web.daemon.add([
    '-type=ticker',
    '-time=600',
    '-name=hello',
    '-command=echo hello from $KTIMER_KID',
  ]);
  const before = await json('get', kid);
  const res = await kt('run', 'hello', '--wait');
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout, `run ${kid}:1: ok\nhello from ${kid}\n`);
  const after = await json('get', kid);
  assert.equal(after.run_num, 1);
  assert.equal(after.run_nexttime, before.run_nexttime, 'the schedule stays as it was');
  const [run] = await historyOf(kid);
  assert.deepEqual([run?.fire_id, run?.trigger, run?.result], [`${kid}:1`, 'manual', 'ok']);
  const table = await kt('history', kid);
  assert.match(table.stdout, /^RUN +STARTED +BY +RESULT/);
  assert.match(table.stdout, /\n1 +\S+ +manual +ok /);
  // Without --wait: handed out, a daemon takes it.
  const handed = await kt('run', kid);
  assert.equal(handed.code, 0, handed.stderr);
  assert.match(handed.stdout, new RegExp(`^run ${kid}:2 handed out: a daemon starts it within a second`));
  assert.deepEqual(await json('run', `-kid=${kid}`), {
    result: true,
    kid,
    fire_id: `${kid}:3`,
    state: 'started',
    task_done: false,
  });
  await waitFor(async () => (await historyOf(kid)).length === 3, { what: 'both runs on record' });
  // --wait and --json: the run's record comes with it.
  const waited = await kt('run', kid, '--wait', '--json');
  assert.equal(waited.code, 0, waited.stderr);
  const doc = JSON.parse(waited.stdout);
  assert.deepEqual(
    [doc.result, doc.fire_id, doc.run.result, doc.run.trigger],
    [true, `${kid}:4`, 'ok', 'manual'],
  );
  // A missing task: exit 1.
  const missing = await kt('run', 'f'.repeat(32));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /task f{32} does not exist/);
  assert.equal((await kt('del', kid)).code, 0);
});

test('a failing task with -retries=2 -retry_delay=1: run --wait exits 1 after 3 attempts, each on record', async () => {
  const kid = await web.daemon.add([
    '-time=600',
    '-retries=2',
    '-retry_delay=1',
    '-command=echo attempt; exit 3',
  ]);
  const started = Date.now();
  const res = await kt('run', kid, '--wait');
  const tookMs = Date.now() - started;
  assert.equal(res.code, 1, res.stderr);
  assert.equal(res.stdout, `run ${kid}:1.3: exit 3\nattempt\n`);
  // Waits of 1 s and 2 s (each x 0.8 to 1.2) between the three attempts.
  assert.ok(tookMs >= 2400, `took ${tookMs} ms`);
  const runs = await historyOf(kid);
  assert.deepEqual(
    runs.map((r) => [r.fire_id, r.trigger, r.attempt, r.result]),
    [
      [`${kid}:1.3`, 'retry', 3, 'failed'],
      [`${kid}:1.2`, 'retry', 2, 'failed'],
      [`${kid}:1`, 'manual', 1, 'failed'],
    ],
  );
  const [third, second, first] = runs as [Run, Run, Run];
  assert.equal(third.retry_at, undefined, 'the last attempt is not retried');
  for (const [failed, next, waitSec] of [
    [first, second, 1],
    [second, third, 2],
  ] as const) {
    assert.ok(failed.retry_at !== undefined);
    const waited = failed.retry_at - failed.finished;
    assert.ok(waited >= waitSec * 0.8 - 0.01 && waited <= waitSec * 1.2 + 0.01, `waited ${waited} s`);
    assert.ok((next.started ?? 0) >= failed.retry_at - 0.001, 'not before its time');
  }
  const table = (await kt('history', kid)).stdout;
  assert.match(table, /\n1\.3 +\S+ +retry 3 +exit 3 /);
  assert.match(table, /\n1\.2 +\S+ +retry 2 +exit 3 /);
  assert.match(table, /\n1 +\S+ +manual +exit 3 /);
  // A timer's run by hand is its one run: it is done, its retries ran all the same.
  assert.equal((await kt('get', kid)).code, 1);
});

test('a ticker every 1 s running `sleep 3` with -overlap=skip never runs twice at once; skipped runs on record', async () => {
  const lock = join(scratch, 'lock');
  const overlapped = join(scratch, 'overlapped');
  const command = `if mkdir ${lock} 2>/dev/null; then sleep 3; rmdir ${lock}; else echo $KTIMER_KID >> ${overlapped}; fi`;
  const kid = await web.daemon.add(['-type=ticker', '-time=1', '-overlap=skip', `-command=${command}`]);
  // Busy: the web API's run refuses to start another (409, busy).
  await waitFor(() => existsSync(lock), { what: 'the first run under way' });
  const busy = await web.api({ action: 'run', kid });
  assert.equal(busy.http, 409, JSON.stringify(busy.body));
  assert.match(busy.body.msg as string, /is running \(\S+\) and its overlap is skip: not run/);
  // Until two runs ended, and runs were skipped meanwhile.
  const runs = await waitFor(
    async () => {
      const h = await historyOf(kid);
      return h.filter((r) => r.result === 'ok').length >= 2 ? h : null;
    },
    { timeoutMs: 15_000, what: 'two runs ended' },
  );
  await kt('del', kid);
  assert.equal(
    existsSync(overlapped),
    false,
    `runs overlapped: ${existsSync(overlapped) ? readFileSync(overlapped, 'utf8') : ''}`,
  );
  const skipped = runs.filter((r) => r.result === 'skipped');
  assert.ok(skipped.length >= 2, JSON.stringify(runs));
  assert.ok(skipped.every((r) => r.started === undefined && r.trigger === 'schedule'));
  const ok = runs.filter((r) => r.result === 'ok').reverse();
  // The runs ended before the next began.
  for (let i = 1; i < ok.length; i++)
    assert.ok((ok[i]?.started ?? 0) >= (ok[i - 1]?.finished ?? Infinity) - 0.001, JSON.stringify(ok));
  const table = (await kt('history', kid)).stdout;
  assert.match(table, / schedule +skipped +.*its run \S+ was still unde/);
});

test('web API: run returns the fire id and runs it; 404 for an unknown kid, 400 without one', async () => {
  const kid = (await web.api({ action: 'add', type: 'ticker', time: '600', command: 'echo web' })).body
    .data as string;
  const res = await web.api({ action: 'run', kid });
  assert.equal(res.http, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body.data, { fire_id: `${kid}:1`, state: 'started' });
  await waitFor(async () => (await historyOf(kid))[0]?.result === 'ok', { what: 'the web run on record' });
  assert.equal((await historyOf(kid))[0]?.trigger, 'manual');
  const unknown = await web.api({ action: 'run', kid: 'f'.repeat(32) });
  assert.equal(unknown.http, 404, JSON.stringify(unknown.body));
  const none = await web.api({ action: 'run' });
  assert.equal(none.http, 400);
  assert.match(none.body.msg as string, /kid is missing/);
  await web.api({ action: 'del', kid });
});

test('run on a paused task fires it, and it stays paused', async () => {
  const kid = await web.daemon.add(['-type=ticker', '-time=600', '-command=echo paused run']);
  assert.equal((await kt('pause', kid)).code, 0);
  const pausedSince = (await json('get', kid)).paused;
  const runsBefore = (await historyOf(kid)).length;
  const res = await kt('run', kid, '--wait');
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, new RegExp(`^run ${kid}:\\d+: ok\\npaused run\\n$`));
  const task = await json('get', kid);
  assert.equal(task.paused, pausedSince, 'still paused');
  const runs = await historyOf(kid);
  assert.equal(runs.length, runsBefore + 1);
  assert.equal(runs[0]?.trigger, 'manual');
  assert.match((await kt('next', kid)).stdout, /paused since/);
  assert.equal((await kt('del', kid)).code, 0);
});

test('a run by hand counts against -limit, for every type: the one that makes it up ends the task at once', async () => {
  const last = (kid: string) =>
    `it was the last run of ${kid} (a timer runs once; a -limit counts runs by hand too): the task is done and leaves the task list.`;
  // A timer: its run by hand is its one run.
  const timer = await web.daemon.add(['-time=600', '-name=once', '-command=echo once']);
  const once = await kt('run', 'once', '--wait');
  assert.equal(once.code, 0, once.stderr);
  assert.equal(once.stdout, `run ${timer}:1: ok\nonce\n`);
  assert.equal(once.stderr, `ktimer: ${last(timer)}\n`);
  // A ticker and a cron task with -limit=2: the first run by hand leaves them scheduled, the
  // second ends them.
  for (const type of [
    ['-type=ticker', '-time=600'],
    ['-type=cron', '-cron=0 0 4 * * *'],
  ]) {
    const kid = await web.daemon.add([...type, '-limit=2', '-command=echo limited']);
    const first = await json('run', kid);
    assert.deepEqual([first.fire_id, first.task_done], [`${kid}:1`, false]);
    assert.match((await kt('list')).stdout, new RegExp(`${kid} .* 1/2 `));
    const second = await kt('run', kid);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(
      second.stdout,
      `run ${kid}:2 handed out: a daemon starts it within a second; \`ktimer output ${kid}:2\` shows what it printed.\n${last(kid)}\n`,
    );
    await waitFor(async () => (await historyOf(kid)).length === 2, {
      what: `${type[0]}: both runs on record`,
    });
    assert.deepEqual(
      (await historyOf(kid)).map((r) => [r.fire_id, r.trigger, r.result]),
      [
        [`${kid}:2`, 'manual', 'ok'],
        [`${kid}:1`, 'manual', 'ok'],
      ],
    );
  }
  // Done: gone from the list; a run by hand of a task that is done is refused as for any task gone.
  for (const ref of ['once', timer]) {
    const again = await kt('run', ref);
    assert.equal(again.code, 1, again.stdout);
  }
  assert.match((await kt('run', timer)).stderr, /task [0-9a-f]{32} does not exist/);
  assert.match((await kt('run', 'once')).stderr, /no task is named "once"/);
  assert.equal((await kt('list')).stdout.includes('limited'), false);
  // What the runed.log line of the change says.
  const lines = web.daemon.log('runed').filter((e) => e.event === 'run' && e.kid === timer);
  assert.deepEqual(
    lines.map((e) => e.task_done),
    [true],
  );
});

test('the examples of `ktimer help run` work', async () => {
  const help = await runCli(['help', 'run']);
  assert.equal(help.code, 0);
  const examples = help.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('ktimer run '));
  assert.ok(examples.length >= 2, help.stdout);
  const kid = await web.daemon.add([
    '-type=ticker',
    '-time=600',
    '-name=backup',
    '-group=nightly',
    '-command=echo backup done',
  ]);
  for (const example of examples) {
    const args = example
      .slice('ktimer '.length)
      .split(/\s+/)
      .map((a) => a.replace(/[0-9a-f]{32}/, kid));
    const res = await kt(...args);
    assert.equal(res.code, 0, `${example}: ${res.stdout}${res.stderr}`);
  }
  assert.equal((await kt('del', kid)).code, 0);
});

test('run --wait ends when the retry it waits for is cancelled by a pause', async () => {
  const kid = await web.daemon.add([
    '-type=ticker',
    '-time=600',
    '-retries=1',
    '-retry_delay=60',
    '-command=exit 4',
  ]);
  const waiting = kt('run', kid, '--wait');
  await waitFor(async () => (await historyOf(kid))[0]?.retry_at !== undefined, {
    what: 'the first attempt on record, its retry waiting',
  });
  assert.equal((await kt('pause', kid)).code, 0);
  const res = await Promise.race([
    waiting,
    new Promise<null>((r) => setTimeout(() => r(null), 10_000).unref()),
  ]);
  assert.ok(res, 'run --wait still waiting 10 s after the pause cancelled the retry');
  assert.equal(res.code, 1);
  assert.match(res.stderr, new RegExp(`run ${kid}:1\\.2 .*cancelled`));
  assert.equal((await kt('del', kid)).code, 0);
});

test('del on a fired timer drops its retry waiting (exit 0; the web API says so); again, nothing is left (exit 1)', async () => {
  const timer = ['-time=1', '-retries=3', '-retry_delay=60', '-command=exit 2'];
  const kid = await web.daemon.add(timer);
  const byApi = await web.daemon.add(timer);
  for (const k of [kid, byApi])
    await waitFor(async () => (await historyOf(k))[0]?.retry_at !== undefined, {
      what: 'the first attempt on record, its retry waiting',
    });
  const viaApi = await web.api({ action: 'del', kid: byApi });
  assert.equal(viaApi.http, 200);
  assert.deepEqual([viaApi.body.data, viaApi.body.msg], [0, 'ok; 1 waiting run(s) dropped']);
  assert.equal((await kt('get', kid)).code, 1, 'the timer has fired: no task');
  const del = await kt('del', kid);
  assert.equal(del.code, 0, del.stderr);
  assert.equal(del.stdout, 'operating result:[true] dropped:[1]\n');
  const again = await kt('del', kid);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /does not exist/);
  const api = await web.api({ action: 'del', kid });
  assert.equal(api.http, 404);
  assert.deepEqual(
    (await historyOf(kid)).map((r) => r.fire_id),
    [`${kid}:1`],
  );
});
