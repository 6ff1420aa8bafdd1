// The task commands end to end: bin/ktimer against a private Redis, output lines of README "Commands",
// --json, both option styles, the Redis layout of README, runed.log entries.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildProgram } from '../../src/cli/program.js';
import { prefixedConfig, readLogLines, runCli, type TestConfigOptions } from '../helpers/cli.js';
import { usePrivateRedis } from '../helpers/redis-server.js';

const redis = usePrivateRedis();

function setup(extra?: TestConfigOptions['extra']) {
  const { config, pool, schedule } = prefixedConfig(redis.server.port, extra);
  const kt = (...args: string[]) => runCli([...args, '--config', config]);
  const add = async (...args: string[]) => {
    const res = await kt('add', ...args);
    assert.equal(res.code, 0, res.stderr);
    return /newkid:\[([0-9a-f]{32})\]/.exec(res.stdout)?.[1] as string;
  };
  return { config, kt, add, pool, schedule };
}

test('version and help', async () => {
  const v = await runCli(['version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^Version \d+\.\d+\.\d+ \[\d{4}\.\d{1,2}\]\n$/);
  assert.deepEqual(Object.keys(JSON.parse((await runCli(['version', '--json'])).stdout)), [
    'version',
    'pubdate',
  ]);
  for (const args of [['help'], ['-h'], ['--help'], ['-help']]) {
    const h = await runCli(args);
    assert.equal(h.code, 0, args.join(' '));
    assert.match(h.stdout, /Examples:/);
    for (const cmd of ['add', 'update', 'list', 'start', 'stop', 'status', 'info', 'install', 'init']) {
      assert.match(h.stdout, new RegExp(`\\b${cmd}\\b`));
    }
  }
  const ha = await runCli(['help', 'add']);
  assert.equal(ha.code, 0);
  assert.match(ha.stdout, /--type/);
  assert.match(ha.stdout, /--command/);
});

test('help CMD: examples for every command; update names no defaults; remove offers no --print', async () => {
  const names = buildProgram([]).commands.map((c) => c.name());
  assert.ok(names.length >= 16);
  for (const name of names) {
    const h = await runCli(['help', name]);
    assert.equal(h.code, 0, name);
    assert.match(
      h.stdout,
      new RegExp(`\\nExamples:\\n {2}(sudo |mkdir -p units && )?ktimer ${name}\\b`),
      name,
    );
  }
  const update = (await runCli(['help', 'update'])).stdout;
  assert.doesNotMatch(update, /default/, 'update keeps what is not given');
  assert.match((await runCli(['help', 'add'])).stdout, /\(default 5\)/);
  assert.doesNotMatch((await runCli(['help', 'remove'])).stdout, /--print/);
  assert.match((await runCli(['help', 'start'])).stdout, /already running .*exit 1/);
});

test('add, get, count, del, clear: the output lines of the spec, and the Redis layout', async () => {
  const { kt, add, pool, schedule } = setup();
  assert.equal((await kt('count')).stdout, 'there are [0] tasks.\n');
  const res = await kt('add', '-type=ticker', '-time=5', '-limit=3', '-command=date --rfc-3339=ns');
  assert.equal(res.code, 0);
  assert.match(res.stdout, /^operating result:\[true\] newkid:\[[0-9a-f]{32}\]\n$/);
  assert.equal(res.stderr, '');
  const kid = /newkid:\[(\w+)\]/.exec(res.stdout)?.[1] as string;
  const stored = JSON.parse((await redis.client.hget(pool, kid)) ?? '');
  assert.deepEqual(Object.keys(stored), [
    'type',
    'time',
    'limit',
    'command',
    'run_num',
    'run_lasttime',
    'run_nexttime',
  ]);
  assert.equal(stored.type, 'ticker');
  assert.equal(stored.command, 'date --rfc-3339=ns');
  assert.equal(Number(await redis.client.zscore(schedule, kid)), stored.run_nexttime);
  const nowSec = Number((await redis.client.time())[0]);
  assert.ok(
    stored.run_nexttime > nowSec + 3 && stored.run_nexttime < nowSec + 7,
    'due in 5 s by the Redis clock',
  );
  const get = await kt('get', kid);
  assert.equal(get.code, 0);
  assert.ok(get.stdout.startsWith('task detail info:\n{\n  "kid": '));
  // get shows the misfire policy, which is stored only when it is not the default, name and
  // timeout (null: none of its own), and the schedule in words.
  assert.deepEqual(JSON.parse(get.stdout.slice('task detail info:\n'.length)), {
    kid,
    ...stored,
    misfire: 'once',
    name: null,
    timeout: null,
    overlap: 'allow',
    retries: 0,
    retry_delay: null,
    group: null,
    on: [],
    schedule: 'every 5s',
  });
  assert.equal((await kt('get', `-kid=${kid}`)).code, 0);
  assert.equal((await kt('count')).stdout, 'there are [1] tasks.\n');
  await add('-time=60');
  assert.equal((await kt('del', kid)).stdout, 'operating result:[true]\n');
  assert.equal(await redis.client.zscore(schedule, kid), null);
  assert.equal((await kt('clear', '--yes')).stdout, 'operating result:[true]\n');
  assert.equal(await redis.client.hlen(pool), 0);
  assert.equal(await redis.client.zcard(schedule), 0);
});

test('--json on every data command: one JSON document', async () => {
  const { kt, add } = setup();
  const kid = await add('-time=60', '-command=true');
  // count first: the add below runs beside the others and would race it.
  const docs = [await kt('count', '--json')];
  docs.push(
    ...(await Promise.all([
      kt('get', kid, '--json'),
      kt('list', '--json'),
      kt('add', '-time=9', '--json'),
      kt('update', `-kid=${kid}`, '-time=30', '--json'),
    ])),
  );
  for (const d of docs) {
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.stdout.trim().split('\n').length, 1);
    JSON.parse(d.stdout);
  }
  assert.deepEqual(JSON.parse(docs[0]?.stdout ?? ''), { count: 1 });
  assert.equal(JSON.parse(docs[1]?.stdout ?? '').kid, kid);
  assert.equal(JSON.parse(docs[3]?.stdout ?? '').result, true);
  assert.deepEqual(JSON.parse((await kt('del', kid, '--json')).stdout), {
    result: true,
    removed: 1,
    dropped: 0,
  });
  assert.equal(JSON.parse((await kt('clear', '--yes', '--json')).stdout).result, true);
});

test('Go-style and GNU-style options, stray words ignored with a warning', async () => {
  const { kt } = setup();
  for (const args of [
    ['-type=ticker', '-time=7'],
    ['--type', 'ticker', '--time', '7'],
    ['--type=ticker', '--time=7'],
  ]) {
    const res = await kt('add', ...args, '--json');
    assert.equal(res.code, 0, res.stderr);
    const task = JSON.parse(res.stdout).task;
    assert.equal(task.type, 'ticker');
    assert.equal(task.time, 7);
  }
  const stray = await kt(
    'add',
    '-type=ticker',
    '-time=5',
    '-limit=3',
    '-command=date --rfc-3339=ns',
    'abc=x*y=z',
    'efg',
  );
  assert.equal(stray.code, 0);
  assert.match(stray.stderr, /warning: ignoring stray argument "abc=x\*y=z"/);
  assert.match(stray.stderr, /warning: ignoring stray argument "efg"/);
  assert.match(stray.stdout, /operating result:\[true\]/);
});

test('stray words are warned about by every command alike', async () => {
  const { kt, add } = setup();
  const kid = await add('-time=60');
  const cases = [
    ['count', 'extra'],
    ['status', 'extra'],
    ['version', 'extra'],
    ['list', 'extra'],
    ['get', kid, 'extra'],
    ['get', `-kid=${kid}`, 'extra'],
    ['clear', '--yes', 'extra'],
  ];
  for (const args of cases) {
    const res = await kt(...args);
    assert.ok(res.code === 0 || res.code === 3, `${args.join(' ')}: ${res.stderr}`);
    assert.equal(res.stderr, 'ktimer: warning: ignoring stray argument "extra"\n', args.join(' '));
  }
});

test('list shows a command with control and bidi characters harmlessly', async () => {
  const { kt, add } = setup();
  await add('-time=60', '-command=echo \u009b2J \u202egnp.sh \u2066x\u2069 \u200f');
  const res = await kt('list');
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /echo \?2J \?gnp\.sh \?x\? \?\n/);
  assert.doesNotMatch(res.stdout, /[\u0080-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
});

test('absolute timestamps; the dashed kid form', async () => {
  const { kt, add } = setup();
  const at = Math.floor(Date.now() / 1000) + 3600;
  const kid = await add(`-time=${at}`, '-command=true');
  assert.equal(JSON.parse((await kt('get', kid, '--json')).stdout).run_nexttime, at);
  const dashed = `${kid.slice(0, 8)}-${kid.slice(8, 12)}-${kid.slice(12, 16)}-${kid.slice(16, 20)}-${kid.slice(20)}`;
  assert.equal((await kt('get', dashed.toUpperCase())).code, 0);
});

test('update keeps the kid and unspecified fields; reschedules only on a new time or type', async () => {
  const { kt, add, schedule } = setup();
  const kid = await add('-type=ticker', '-time=600', '-limit=5', '-command=date');
  const before = Number(await redis.client.zscore(schedule, kid));
  const cmd = await kt('update', `-kid=${kid}`, '-command=ls');
  assert.equal(cmd.stdout, `operating result:[true] newkid:[${kid}]\n`);
  const t1 = JSON.parse((await kt('get', kid, '--json')).stdout);
  assert.deepEqual([t1.type, t1.time, t1.limit, t1.command], ['ticker', 600, 5, 'ls']);
  assert.equal(t1.run_nexttime, before, 'not rescheduled');
  await kt('update', kid, '-time=30');
  const t2 = JSON.parse((await kt('get', kid, '--json')).stdout);
  assert.ok(t2.run_nexttime < before - 500, 'rescheduled from now');
  assert.equal(Number(await redis.client.zscore(schedule, kid)), t2.run_nexttime);
  assert.equal((await kt('update', `-kid=${kid}`)).code, 2, 'nothing to update');
  assert.equal((await kt('update', '-kid=' + 'f'.repeat(32), '-time=5')).code, 1);
});

test('task_max_num is enforced, even by 20 adds at once', async () => {
  const { kt, pool } = setup({ default: ['task_max_num = 5'] });
  const results = await Promise.all(Array.from({ length: 20 }, () => kt('add', '-time=60', '-command=true')));
  assert.equal(results.filter((r) => r.code === 0).length, 5);
  const refused = results.filter((r) => r.code !== 0);
  assert.ok(refused.every((r) => r.code === 1 && /task_max_num = 5/.test(r.stderr)));
  assert.equal(await redis.client.hlen(pool), 5);
});

test('get and del of an unknown kid exit 1', async () => {
  const { kt } = setup();
  const get = await kt('get', 'f'.repeat(32));
  assert.equal(get.code, 1);
  assert.equal(
    get.stderr,
    `ktimer: error: task ${'f'.repeat(32)} does not exist (it may have fired already); see \`ktimer list\`\n`,
  );
  assert.equal((await kt('del', 'f'.repeat(32))).code, 1);
});

test('corrupt task data: get fails naming the kid, list warns and goes on', async () => {
  const { kt, add, pool, schedule } = setup();
  await add('-time=60', '-command=true');
  const bad = 'c'.repeat(32);
  await redis.client.hset(pool, bad, '{broken');
  await redis.client.zadd(schedule, Date.now() / 1000 + 30, bad);
  const get = await kt('get', bad);
  assert.equal(get.code, 1);
  assert.match(get.stderr, new RegExp(`task ${bad} holds corrupt data in Redis.*ktimer del ${bad}`));
  const list = await kt('list');
  assert.equal(list.code, 0);
  assert.match(list.stderr, new RegExp(`warning: task ${bad} holds corrupt data`));
  assert.match(list.stdout, /tasks 1-2 of 2\./);
  assert.equal((await kt('del', bad)).code, 0, 'corrupt data can be deleted');
});

test('runed.log gets add, update, del and clear; nothing when log.runed_open = 0', async () => {
  const { kt, add, config } = setup();
  const kid = await add('-time=60');
  await kt('update', kid, '-time=90');
  await kt('del', kid);
  await kt('clear', '--yes');
  const runed = readLogLines(join(config, '..', 'log', 'runed.log'));
  assert.deepEqual(
    runed.map((e) => `${e.event}/${e.by}`),
    ['add/cli', 'update/cli', 'del/cli', 'clear/cli'],
  );
  assert.equal(runed[0]?.kid, kid);
  const off = setup({ log: ['log.runed_open = 0'] });
  await off.add('-time=60');
  assert.deepEqual(readLogLines(join(off.config, '..', 'log', 'runed.log')), []);
});

test('where and how a task runs: -on, -cwd, -env, -user, -output_max, -notify, -group through add, add --file, get, list and update', async () => {
  const { kt, add, config } = setup();
  const kid = await add(
    '-type=ticker',
    '-time=60',
    '-name=db-backup',
    '-on=eu,db',
    '-cwd=/tmp',
    '-env=TOKEN=s3cret',
    '-env=LANG=C.UTF-8',
    '-user=nobody',
    '-output_max=8k',
    '-notify=off',
    '-group=nightly',
    '-command=echo hi',
  );
  const got = JSON.parse((await kt('get', kid, '--json')).stdout);
  assert.deepEqual(
    [got.on, got.cwd, got.env, got.user, got.output_max, got.notify, got.group],
    [['db', 'eu'], '/tmp', { LANG: 'C.UTF-8', TOKEN: 's3cret' }, 'nobody', 8192, 'off', 'nightly'],
  );
  // A task without them: on [] and group null, as name is null.
  const plain = await add('-time=60', '-command=true');
  const bare = JSON.parse((await kt('get', plain, '--json')).stdout);
  assert.deepEqual([bare.on, bare.group, bare.env], [[], null, undefined]);
  // list -group keeps the group's tasks; GROUP and ON show when a task of the page has them.
  const listed = await kt('list', '-group=nightly');
  assert.match(listed.stdout, /^KID +NAME +GROUP +ON +TYPE/);
  assert.match(listed.stdout, /db-backup +nightly +db,eu +ticker/);
  assert.doesNotMatch(listed.stdout, new RegExp(plain));
  assert.match((await kt('list', '-group=none')).stdout, /no tasks of group none; the window holds/);
  // add --file takes the same fields: on as a list, env as an object.
  const file = join(config, '..', 'tasks.jsonl');
  writeFileSync(file, '{"time":60,"command":"true","on":["web"],"env":{"A":"1"},"group":"g2"}\n');
  assert.equal((await kt('add', '--file', file)).code, 0);
  const fromFile = JSON.parse((await kt('list', '-group=g2', '--json')).stdout).tasks[0];
  assert.deepEqual([fromFile.on, fromFile.env], [['web'], { A: '1' }]);
  // update: empty removes, given replaces; the env values never reach runed.log.
  assert.equal((await kt('update', 'db-backup', '-on=', '-env=A=2', '-group=')).code, 0);
  const updated = JSON.parse((await kt('get', kid, '--json')).stdout);
  assert.deepEqual([updated.on, updated.env, updated.group], [[], { A: '2' }, null]);
  const runed = readFileSync(join(config, '..', 'log', 'runed.log'), 'utf8');
  assert.match(runed, /"TOKEN":"\*\*\*"/);
  assert.doesNotMatch(runed, /s3cret/);
  // A user unknown on this machine is a usage error, and nothing is stored.
  const before = (await kt('count')).stdout;
  const unknown = await kt('add', '-user=no-such-user-here', '-command=true');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^ktimer: error: user "no-such-user-here" is unknown on this machine/);
  assert.equal((await kt('count')).stdout, before);
});
