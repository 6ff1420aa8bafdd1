// pause, resume and the guarded clear end to end: the real bin/ktimer and a real daemon against a
// private Redis. A paused task keeps its kid and fields, shows as paused in get, list and next,
// stays paused through update, and never fires; resumed, the daemon fires it on its grid again
// with no burst of the runs it missed. The web API's pause and resume actions. clear without
// --yes deletes nothing (README "Pause and resume", "Commands").
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLAIM_AHEAD_MS } from '../../src/runs/fire.js';
import { prefixedConfig, readLogLines, runCli } from '../helpers/cli.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { useWebDaemon } from '../helpers/web-daemon.js';
import { waitFor } from '../helpers/wait.js';

const redis = usePrivateRedis();
const web = useWebDaemon(redis, 'pause-test');
const api = (params: Record<string, string>) => web.api(params);

/** bin/ktimer on a config of its own (no daemon): the commands alone. */
function setup() {
  const { config, pool, schedule, prefix } = prefixedConfig(redis.server.port);
  const kt = (...args: string[]) => runCli([...args, '--config', config]);
  const json = async (...args: string[]) => {
    const res = await kt(...args, '--json');
    assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
    return JSON.parse(res.stdout);
  };
  const add = async (...args: string[]) => (await json('add', ...args)).kid as string;
  return { config, kt, json, add, pool, schedule, paused: `${prefix}:tasks:lock:paused` };
}

test('pause and resume KID: kept as it was, shown as paused by get, list and next; --json', async () => {
  const { kt, json, add, schedule, paused } = setup();
  const kid = await add('-type=ticker', '-time=600', '-limit=5', '-command=echo paused');
  const other = await add('-time=300', '-command=true');
  const before = await json('get', kid);
  const res = await kt('pause', kid);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout, `task ${kid} paused; \`ktimer resume ${kid}\` goes on with its schedule.\n`);
  assert.equal(await redis.client.zscore(schedule, kid), null, 'out of the schedule');
  assert.equal(await redis.client.zscore(paused, kid), '0');
  const got = await json('get', kid);
  assert.equal(typeof got.paused, 'number');
  assert.ok(Math.abs(got.paused - Date.now() / 1000) < 30, 'paused since now');
  assert.deepEqual({ ...got, paused: undefined }, { ...before, paused: undefined }, 'nothing else changed');
  assert.match((await kt('get', kid)).stdout, /"paused": \d+/);
  assert.deepEqual(await json('count'), { count: 2 });
  // list: the paused task last, NEXT "paused"; --json carries `paused`.
  const list = await kt('list');
  const lines = list.stdout.trim().split('\n');
  assert.match(lines[1] ?? '', new RegExp(`^${other} .* in \\d+m \\d+s +true$`));
  assert.match(lines[2] ?? '', new RegExp(`^${kid} +— +ticker +every 10m +0/5 +— +paused +echo paused$`));
  assert.equal(lines[3], 'tasks 1-2 of 2.');
  const listed = (await json('list')).tasks;
  assert.deepEqual(
    listed.map((t: { kid: string; paused?: number }) => [t.kid, t.paused]),
    [
      [other, undefined],
      [kid, got.paused],
    ],
  );
  assert.equal((await json('list', '-endtime=+1d')).total, 1, 'a window with an end: no paused task');
  const next = await kt('next', kid);
  assert.match(
    next.stdout,
    new RegExp(`^every 10m\\npaused since \\S+: no runs until \`ktimer resume ${kid}\`\\.\\n$`),
  );
  assert.deepEqual((await json('next', kid)).runs, []);
  // Again: nothing changes, and it says so.
  assert.equal((await kt('pause', kid)).stdout, `task ${kid} was paused already.\n`);
  assert.deepEqual(await json('pause', `-kid=${kid}`), { result: true, kid, state: 'was_paused' });
  // update keeps it paused; a new time reschedules it, still paused.
  await json('update', kid, '-command=echo changed', '-time=900');
  const updated = await json('get', kid);
  assert.equal(updated.paused, got.paused);
  assert.equal(updated.command, 'echo changed');
  assert.equal(await redis.client.zscore(schedule, kid), null);
  // resume: back on the schedule (its run still ahead: kept).
  const resumed = await json('resume', kid);
  assert.deepEqual(resumed, { result: true, kid, state: 'resumed', run_nexttime: updated.run_nexttime });
  assert.equal(Number(await redis.client.zscore(schedule, kid)), updated.run_nexttime);
  assert.equal(await redis.client.zscore(paused, kid), null);
  assert.equal((await json('get', kid)).paused, undefined);
  assert.match(
    (await kt('resume', kid)).stdout,
    new RegExp(`^task ${kid} is not paused; nothing to do\\.\\n$`),
  );
  await json('pause', kid);
  assert.match(
    (await kt('resume', kid)).stdout,
    new RegExp(`^task ${kid} resumed; next run \\S+ \\(\\S+; in 1[45]m \\d+s\\)\\.\\n$`),
  );
  await json('pause', kid);
  assert.deepEqual(await json('del', kid), { result: true, removed: 1, dropped: 0 });
  assert.equal(await redis.client.exists(paused), 0, 'del removes it from the paused set');
});

test("resume says a cron task's next run in the task's zone, as next does, whatever this machine's", async () => {
  const { json, add, config } = setup();
  const kid = await add('-type=cron', '-cron=0 30 3 * * *', '-tz=Europe/Berlin', '-command=true');
  await json('pause', kid);
  const inNewYork = { env: { TZ: 'America/New_York' } };
  const res = await runCli(['resume', kid, '--config', config], inNewYork);
  const next = JSON.parse(
    (await runCli(['next', kid, '-n', '1', '--json', '--config', config], inNewYork)).stdout,
  );
  assert.equal(next.tz, 'Europe/Berlin');
  assert.match(res.stdout, /next run \S+T03:30:00\+0[12]:00 \(Europe\/Berlin; in /);
  assert.ok(res.stdout.includes(`next run ${next.runs[0].local} (Europe/Berlin; in `), res.stdout);
});

test('pause --all and resume --all; usage errors; an unknown kid; runed.log', async () => {
  const { kt, json, add, config, schedule } = setup();
  const kids = [
    await add('-time=600'),
    await add('-type=ticker', '-time=60'),
    await add('-type=cron', '-cron=@daily'),
  ];
  assert.deepEqual(await json('pause', '--all'), { result: true, paused: 3 });
  assert.equal(await redis.client.zcard(schedule), 0);
  assert.equal(
    (await kt('pause', '-all')).stdout,
    'paused 0 tasks.\n',
    'Go-style, and nothing left to pause',
  );
  const list = (await json('list')).tasks.map((t: { kid: string }) => t.kid);
  assert.deepEqual(list, [...kids].sort(), 'paused tasks list in order of kid');
  assert.equal((await kt('resume', '--all')).stdout, 'resumed 3 tasks.\n');
  assert.equal(await redis.client.zcard(schedule), 3);
  const unknown = 'f'.repeat(32);
  for (const cmd of ['pause', 'resume']) {
    const missing = await kt(cmd, unknown);
    assert.equal(missing.code, 1);
    assert.equal(
      missing.stderr,
      `ktimer: error: task ${unknown} does not exist (it may have fired already); see \`ktimer list\`\n`,
    );
    for (const [args, why] of [
      [[], /kid is missing/],
      [[kids[0] as string, '--all'], /give kids, -group=G or --all, one of them/],
      [['--all', `-kid=${kids[0]}`], /give kids, -group=G or --all, one of them/],
      [['--all', '-group=g'], /give kids, -group=G or --all, one of them/],
      // `nope` would be a task name (resolved, then not found): this is neither a kid nor a name.
      [['n:ope'], /kid "n:ope" is invalid/],
    ] as const) {
      const res = await kt(cmd, ...args);
      assert.equal(res.code, 2, `${cmd} ${args.join(' ')}`);
      assert.match(res.stderr, why);
      assert.equal(res.stderr.split('\n').length, 2, 'one line');
    }
    const help = await runCli(['help', cmd]);
    assert.match(help.stdout, new RegExp(`--all +${cmd} every task`));
    assert.match(help.stdout, new RegExp(`Examples:\\n  ktimer ${cmd} [0-9a-f]{32}\\n`));
  }
  const runed = readLogLines(join(config, '..', 'log', 'runed.log')).filter(
    (e) => e.event === 'pause' || e.event === 'resume',
  );
  // Every pause and resume is logged, like del, also one that changed nothing.
  assert.deepEqual(
    runed.map((e) => [e.event, e.by, e.all ?? e.kids, e.count]),
    [
      ['pause', 'cli', true, 3],
      ['pause', 'cli', true, 0],
      ['resume', 'cli', true, 3],
      ['pause', 'cli', [unknown], 0],
      ['resume', 'cli', [unknown], 0],
    ],
  );
});

test('clear deletes nothing without --yes: it says how many it would, exit 2', async () => {
  const { kt, add, pool } = setup();
  await add('-time=600');
  const kid = await add('-time=600');
  await kt('pause', kid);
  const refused = await kt('clear');
  assert.equal(refused.code, 2);
  assert.equal(refused.stdout, '');
  assert.equal(
    refused.stderr,
    'ktimer: error: clear would delete 2 tasks; nothing was deleted: run `ktimer clear --yes` to delete every task\n',
  );
  const doc = await kt('clear', '--json');
  assert.equal(doc.code, 2);
  assert.deepEqual(JSON.parse(doc.stdout), {
    ok: false,
    code: 'usage',
    error: 'clear would delete 2 tasks; nothing was deleted: run `ktimer clear --yes` to delete every task',
    count: 2,
  });
  assert.equal(await redis.client.hlen(pool), 2, 'nothing deleted');
  assert.equal((await kt('clear', '--yes')).stdout, 'operating result:[true]\n');
  assert.equal(await redis.client.hlen(pool), 0);
  assert.match((await kt('clear', '-yes')).stdout, /operating result:\[true\]/, 'Go-style too');
  assert.match((await runCli(['help', 'clear'])).stdout, /Examples:\n {2}ktimer clear --yes\n/);
});

test('the daemon never fires a paused task, and fires it on its grid after resume, with no burst', async () => {
  // misfire=all: even a task that catches up every run it missed in downtime skips a pause.
  const kid = await web.daemon.add(['-type=ticker', '-time=1', '-misfire=all', '-command=true']);
  const fires = () => web.daemon.fires().filter((e) => e.kid === kid);
  await web.daemon.waitForFires(2, 15_000, (e) => e.kid === kid);
  assert.equal((await web.daemon.cli(['pause', kid])).code, 0);
  const pausedAtSec = JSON.parse((await web.daemon.cli(['get', kid, '--json'])).stdout).paused as number;
  // A fire claimed just before the pause may still be logged (a claim takes what falls due within
  // CLAIM_AHEAD_MS, so its due may be that much after the pause); after that, none for 3.5 s.
  await waitFor(() => Date.now() / 1000 > pausedAtSec + 3.5, { what: 'three slots while paused' });
  const beforeResume = fires();
  const firstDue = beforeResume[0]?.due as number;
  assert.ok(
    beforeResume.every((e) => (e.due as number) <= pausedAtSec + CLAIM_AHEAD_MS / 1000),
    `nothing due after the pause fired: paused at ${pausedAtSec}, dues ${beforeResume.map((e) => e.due)}`,
  );
  const resumed = await web.daemon.cli(['resume', kid, '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const next = JSON.parse(resumed.stdout).run_nexttime as number;
  assert.ok(next > pausedAtSec + 3.5, 'the next slot after now');
  assert.ok(Number.isInteger(Math.round((next - firstDue) * 1000) / 1000), 'on the grid of its first run');
  await web.daemon.waitForFires(beforeResume.length + 2, 15_000, (e) => e.kid === kid);
  const after = fires().slice(beforeResume.length);
  const dues = after.map((e) => e.due as number);
  assert.ok(Math.abs((dues[0] as number) - next) < 0.0015, 'the first run after resume is the next slot');
  for (let i = 1; i < dues.length; i++) {
    assert.ok(
      Math.abs((dues[i] as number) - (dues[i - 1] as number) - 1) < 0.0015,
      `one slot apart: ${dues}`,
    );
  }
  assert.equal((await web.daemon.cli(['del', kid])).code, 0);
});

test('web API: pause and resume by kid (a list) or all=1', async () => {
  const one = (await api({ action: 'add', type: 'ticker', time: '600', command: 'true' })).body
    .data as string;
  const two = (await api({ action: 'add', time: '600', command: 'true' })).body.data as string;
  const paused = await api({ action: 'pause', kid: one });
  assert.deepEqual([paused.http, paused.body.data, paused.body.msg], [200, 1, 'ok']);
  assert.equal(
    typeof ((await api({ action: 'get', kid: one })).body.data as { paused: number }).paused,
    'number',
  );
  const again = await api({ action: 'pause', kid: `${one},${two}` });
  assert.deepEqual([again.body.data, again.body.msg], [1, 'ok; 1 paused already']);
  const resumed = await api({ action: 'resume', kid: one });
  assert.deepEqual([resumed.http, resumed.body.data], [200, 1]);
  assert.equal(((await api({ action: 'get', kid: one })).body.data as { paused?: number }).paused, undefined);
  const next = await api({ action: 'next', kid: two });
  assert.deepEqual([next.body.data, typeof next.body.paused], [[], 'number']);
  assert.equal((await api({ action: 'pause', all: '1' })).body.data, 1, 'one was paused already');
  assert.equal((await api({ action: 'resume', all: '1' })).body.data, 2);
  for (const [params, code, msg] of [
    [{ action: 'pause', kid: 'f'.repeat(32) }, 404, /task f{32} does not exist/],
    [{ action: 'resume' }, 400, /kid is missing/],
    [{ action: 'pause', all: '1', kid: one }, 400, /give kid, group or all=1, one of them/],
    [{ action: 'resume', all: 'yes' }, 400, /all must be 0 or 1/],
    [{ action: 'clear' }, 400, /action "clear" is unknown/],
  ] as const) {
    const res = await api(params);
    assert.equal(res.http, code, JSON.stringify(params));
    assert.match(res.body.msg as string, msg);
  }
  const lines = () =>
    web.daemon
      .log('runed')
      .filter((e) => e.by === 'web' && (e.event === 'pause' || e.event === 'resume'))
      .map((e) => `${e.event}:${e.count}`);
  await waitFor(() => lines().length >= 7, { what: 'the web pauses in runed.log' });
  const [first, ...rest] = lines();
  // A list: a line per target, as the action on that task alone writes it (one was paused).
  const list = rest.splice(0, 2).sort();
  assert.deepEqual(
    [first, list, rest],
    ['pause:1', ['pause:0', 'pause:1'], ['resume:1', 'pause:1', 'resume:2', 'pause:0']],
  );
});
