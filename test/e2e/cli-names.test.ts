// Task names and per-task timeouts on the command line, as users type them: a name in place of
// the kid (get, update, next, list, del), unique names (exit 1 naming the holder), --replace
// keeping the kid, add --file loaded twice holding the same tasks, and bad input storing nothing.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type CliResult, prefixedConfig, runCli } from '../helpers/cli.js';
import { usePrivateRedis } from '../helpers/redis-server.js';

const redis = usePrivateRedis();

function setup() {
  const { config, pool, prefix } = prefixedConfig(redis.server.port);
  const kt = (...args: string[]) => runCli([...args, '--config', config]);
  const json = async (...args: string[]) => {
    const res = await kt(...args, '--json');
    assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
    return JSON.parse(res.stdout);
  };
  const names = () => redis.client.hgetall(`${prefix}:tasks:lock:names`);
  const file = (name: string, lines: object[]) => {
    const path = join(config, '..', name);
    writeFileSync(path, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    return path;
  };
  return { kt, json, pool, names, file };
}

/** A failure of one line on stderr, with its exit status. */
function oneLineError(res: CliResult, code: number, pattern: RegExp): void {
  assert.equal(res.code, code, `exit ${res.code}: ${res.stderr}`);
  assert.equal(res.stdout, '');
  const lines = res.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, res.stderr);
  assert.match(lines[0] as string, /^ktimer: error: /);
  assert.match(lines[0] as string, pattern);
}

test('a name works wherever a kid does: get, update, next, list, del', async () => {
  const { kt, json, names } = setup();
  const added = await json(
    'add',
    '-type=ticker',
    '-time=600',
    '-name=report',
    '-timeout=90',
    '-command=date',
  );
  const { kid } = added;
  assert.equal(added.replaced, false);
  assert.deepEqual(await names(), { report: kid });
  const got = await json('get', 'report');
  assert.deepEqual([got.kid, got.name, got.timeout, got.command], [kid, 'report', 90, 'date']);
  assert.equal((await json('get', '-kid=report')).kid, kid);
  const plain = await json('add', '-time=600');
  const other = await json('get', plain.kid);
  assert.deepEqual([other.name, other.timeout], [null, null], '--json has name and timeout, null when none');

  assert.equal((await kt('update', 'report', '-limit=5', '-timeout=30')).code, 0);
  const upd = await json('get', 'report');
  assert.deepEqual([upd.limit, upd.timeout, upd.kid], [5, 30, kid]);
  assert.equal((await json('next', 'report', '-n', '2')).kid, kid);
  // pause and resume take the name through the same resolution.
  assert.match((await kt('pause', 'report')).stdout, new RegExp(`task ${kid} paused`));
  assert.equal(typeof (await json('get', 'report')).paused, 'number');
  assert.match((await kt('resume', 'report')).stdout, new RegExp(`task ${kid} resumed`));

  const list = await kt('list');
  assert.match(list.stdout, /^KID +NAME +TYPE/);
  assert.match(list.stdout, new RegExp(`${kid} +report +ticker`));
  assert.match(list.stdout, new RegExp(`${plain.kid} +— +timer`));
  const rows = (await json('list')).tasks as { kid: string; name: string | null; timeout: number | null }[];
  assert.deepEqual(
    rows.map((t) => [t.kid, t.name, t.timeout]).sort(),
    [
      [kid, 'report', 30],
      [plain.kid, null, null],
    ].sort(),
  );

  // Renamed, then name removed, then timeout back to task_timeout.
  assert.equal((await kt('update', 'report', '-name=weekly.report')).code, 0);
  assert.deepEqual(await names(), { 'weekly.report': kid });
  oneLineError(await kt('get', 'report'), 1, /no task is named "report"/);
  assert.equal((await kt('update', kid, '-name=', '-timeout=0')).code, 0);
  const bare = await json('get', kid);
  assert.deepEqual([bare.name, bare.timeout], [null, null]);
  assert.deepEqual(await names(), {});

  assert.equal((await kt('update', kid, '-name=gone')).code, 0);
  assert.equal((await kt('del', 'gone')).code, 0);
  assert.deepEqual(await names(), {});
  oneLineError(await kt('get', kid), 1, /does not exist/);
  oneLineError(await kt('del', 'gone'), 1, /no task is named "gone"/);
});

test('a name held by another task: add and update refuse it (exit 1, naming its kid); --replace keeps the kid', async () => {
  const { kt, json, pool } = setup();
  const first = await json('add', '-type=ticker', '-time=300', '-name=sync', '-command=echo one');
  oneLineError(
    await kt('add', '-time=60', '-name=sync', '-command=echo two'),
    1,
    new RegExp(`name "sync" is taken by task ${first.kid}; give --replace`),
  );
  assert.equal(await redis.client.hlen(pool), 1, 'nothing stored');
  const other = await json('add', '-time=60', '-name=other');
  oneLineError(
    await kt('update', other.kid, '-name=sync'),
    1,
    new RegExp(`name "sync" is taken by task ${first.kid}`),
  );
  assert.equal((await json('get', other.kid)).name, 'other', 'nothing changed');

  // Same schedule: replaced in place, the next run kept.
  const before = await json('get', 'sync');
  const same = await kt('add', '-type=ticker', '-time=300', '-name=sync', '-command=echo two', '--replace');
  assert.equal(same.code, 0, same.stderr);
  assert.equal(same.stdout, `operating result:[true] newkid:[${first.kid}] replaced:[true]\n`);
  const after = await json('get', 'sync');
  assert.deepEqual(
    [after.kid, after.command, after.run_nexttime],
    [first.kid, 'echo two', before.run_nexttime],
  );
  // A new interval: rescheduled from now; fields not given take add's defaults (the command).
  const moved = await json('add', '-type=ticker', '-time=900', '-limit=4', '-name=sync', '--replace');
  assert.deepEqual([moved.kid, moved.replaced], [first.kid, true]);
  const now = await json('get', 'sync');
  assert.deepEqual([now.time, now.limit, now.command], [900, 4, 'date --rfc-3339=ns']);
  assert.ok(now.run_nexttime > after.run_nexttime);
  // A free name with --replace is a plain add.
  const fresh = await json('add', '-time=60', '-name=brand-new', '--replace');
  assert.equal(fresh.replaced, false);
  assert.equal(await redis.client.hlen(pool), 3);
});

test('add --file with names: loaded twice, the same tasks (refused without --replace, kept with it)', async () => {
  const { kt, json, pool, file, names } = setup();
  const lines = [
    {
      name: 'nightly',
      type: 'cron',
      cron: '0 30 3 * * *',
      tz: 'Europe/Berlin',
      command: 'echo n',
      timeout: 600,
    },
    { name: 'poll', type: 'ticker', time: 30, command: 'https://example.com/poll' },
    { name: 'once', time: 3600, command: 'echo once' },
  ];
  const path = file('tasks.jsonl', lines);
  const first = await json('add', '--file', path);
  assert.deepEqual([first.added, first.replaced], [3, 0]);
  const stored = await redis.client.hgetall(pool);

  oneLineError(
    await kt('add', '--file', path),
    1,
    /name "nightly" is taken by task [0-9a-f]{32} \(and 2 more/,
  );
  assert.deepEqual(await redis.client.hgetall(pool), stored, 'refused before anything was written');

  const again = await kt('add', '--file', path, '--replace');
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, 'operating result:[true] added:[0] replaced:[3]\n');
  assert.deepEqual(await redis.client.hgetall(pool), stored, 'the same tasks, the same runs, not rewritten');
  const second = await json('add', '--file', path, '--replace');
  assert.deepEqual(second.kids, first.kids, 'the same kids, in the order of the file');

  // One line changed, one added: one replaced in place, one new.
  const changed = file('changed.jsonl', [
    { ...lines[1], time: 60 },
    lines[0] as object,
    { name: 'extra', time: 90 },
  ]);
  const third = await json('add', '--file', changed, '--replace');
  assert.deepEqual([third.added, third.replaced], [1, 2]);
  assert.equal(await redis.client.hlen(pool), 4);
  assert.equal((await json('get', 'poll')).time, 60);
  assert.deepEqual(Object.keys(await names()).sort(), ['extra', 'nightly', 'once', 'poll']);

  const dup = file('dup.jsonl', [{ name: 'a', time: 5 }, { time: 6 }, { name: 'a', time: 7 }]);
  oneLineError(await kt('add', '--file', dup), 2, /dup\.jsonl:3: name "a" is on line 1 already/);
  assert.equal(await redis.client.hlen(pool), 4);
});

test('bad names and timeouts: exit 2, one line, nothing stored', async () => {
  const { kt, pool } = setup();
  const cases: [string[], RegExp][] = [
    [['add', '-timeout=0'], /timeout "0" is invalid; expected whole seconds from 1 to 604800/],
    [['add', '-timeout=-5'], /timeout "-5" is invalid/],
    [['add', '-timeout=1.5'], /timeout "1.5" is invalid/],
    [['add', '-timeout=abc'], /timeout "abc" is invalid/],
    [['add', '-timeout=604801'], /timeout 604801 is invalid/],
    [['add', '-name='], /name is empty/],
    [['add', `-name=${'a'.repeat(65)}`], /is invalid; expected a letter/],
    [['add', '-name=1st'], /name "1st" is invalid/],
    [['add', '-name=a:b'], /name "a:b" is invalid/],
    [['add', '-name=has space'], /name "has space" is invalid/],
    [['add', `-name=${'abcdef12'.repeat(4)}`], /has the form of a kid/],
    [['add', '-name=7d411eeb-079e-47e8-a662-82919d04be90'], /has the form of a kid/],
    [['add', '-time=60', '--replace'], /--replace .* give -name too/],
    [['update', 'some-name', '-timeout=604801'], /timeout 604801 is invalid/],
    [['update', 'some-name', '-name=1st'], /name "1st" is invalid/],
    [['get', 'not a name'], /kid "not a name" is invalid; expected 32 hex digits .* or a task name/],
    [['output', 'x:y'], /fire id "x:y" is invalid/],
  ];
  for (const [args, pattern] of cases) oneLineError(await kt(...args), 2, pattern);
  assert.equal(await redis.client.hlen(pool), 0);
});
