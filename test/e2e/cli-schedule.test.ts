// Calendar schedules from the command line: cron tasks fired by a real daemon, `ktimer next`,
// schedules in words in list and get, human times in list's window, usage errors that store
// nothing, `add --file` with cron lines, and what one-shot commands load at start-up.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type CliResult, prefixedConfig, runCli, writeTestConfig } from '../helpers/cli.js';
import { TestDaemon } from '../helpers/daemon.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { storedTask, storeTasks } from '../helpers/stored-tasks.js';

const redis = usePrivateRedis();
const BERLIN = { task: ['timezone = Europe/Berlin'], default: ['task_max_day = 3650'] };
let d: TestDaemon;

before(async () => {
  await redis.ready();
  d = new TestDaemon(writeTestConfig({ redisPort: redis.server.port, extra: BERLIN }));
  await d.start();
});
after(() => d.kill());

/** A config of its own (no daemon fires its tasks), run in `tz` as this machine's zone. */
function setup(tz = 'Europe/Berlin') {
  const { config, pool, schedule } = prefixedConfig(redis.server.port, BERLIN);
  const kt = (...args: string[]) => runCli([...args, '--config', config], { env: { TZ: tz } });
  const add = async (...args: string[]) => {
    const res = await kt('add', ...args);
    assert.equal(res.code, 0, res.stderr);
    return /newkid:\[([0-9a-f]{32})\]/.exec(res.stdout)?.[1] as string;
  };
  const json = async (...args: string[]) => {
    const res = await kt(...args, '--json');
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout);
  };
  return { config, keys: { pool, schedule }, pool, kt, add, json };
}

const oneErrorLine = (res: CliResult, pattern: RegExp) => {
  assert.equal(res.code, 2, res.stdout + res.stderr);
  assert.equal(res.stdout, '');
  assert.match(res.stderr, /^ktimer: error: [^\n]+\n$/);
  assert.match(res.stderr, pattern);
};

test('a cron task with seconds fires on whole seconds, once each, as late as a timer, up to its limit', async () => {
  const kid = await d.add(['-type=cron', '-cron=*/1 * * * * *', '-limit=3', '-command=echo $KTIMER_DUE']);
  const timer = await d.add(['-time=1', '-command=true']);
  const fires = await d.waitForFires(3, 15_000, (e) => e.kid === kid);
  assert.deepEqual(
    fires.map((f) => f.run_num),
    [1, 2, 3],
  );
  for (const [i, f] of fires.entries()) {
    const due = f.due as number;
    assert.ok(Number.isInteger(due), `due ${due} on a whole second`);
    if (i > 0) assert.equal(due - (fires[i - 1]?.due as number), 1, 'one second apart');
    assert.equal(f.type, 'cron');
    assert.equal(f.ok, true);
    assert.equal(Number(String(f.output).trim()), due, 'KTIMER_DUE');
    const lateness = f.lateness_ms as number;
    assert.ok(lateness >= 0 && lateness < 500, `lateness ${lateness} ms, the bound of a timer's`);
  }
  const [timerFire] = await d.waitForFires(1, 10_000, (e) => e.kid === timer);
  assert.ok((timerFire?.lateness_ms as number) < 500);
  assert.equal((await d.cli(['get', kid])).code, 1, 'gone after its limit');
  assert.equal(d.fires().filter((e) => e.kid === kid).length, 3);
});

test('next: the next runs of a cron task in its zone and in UTC; --json; -n bounded', async () => {
  const { kt, add, json } = setup();
  const kid = await add('-type=cron', '-cron=0 30 3 * * *', '-command=true');
  const res = await kt('next', kid, '-n', '3');
  assert.equal(res.code, 0, res.stderr);
  const lines = res.stdout.trimEnd().split('\n');
  assert.equal(lines[0], 'cron 0 30 3 * * * Europe/Berlin', 'the zone of [task] timezone');
  assert.match(lines[1] ?? '', /^LOCAL \(Europe\/Berlin\) +UTC$/);
  assert.equal(lines.length, 5);
  const stored = await json('get', kid);
  const shown = lines.slice(2).map((line) => {
    const m = /^(\d{4}-\d\d-\d\dT03:30:00\+0[12]:00) {2}(\d{4}-\d\d-\d\dT0[12]:30:00Z)$/.exec(line);
    assert.ok(m, line);
    assert.equal(Date.parse(m[1] as string), Date.parse(m[2] as string), 'the same instant');
    return Date.parse(m[2] as string);
  });
  assert.equal(shown[0], stored.run_nexttime * 1000);
  assert.deepEqual(
    shown.slice(1),
    stored.runs.slice(0, 2).map((s: number) => s * 1000),
  );
  const doc = await json('next', `-kid=${kid}`, '-n=3');
  assert.deepEqual(Object.keys(doc), ['kid', 'schedule', 'tz', 'runs', 'more']);
  assert.deepEqual(
    doc.runs.map((r: { unix_ms: number }) => r.unix_ms),
    shown,
  );
  assert.equal(doc.tz, 'Europe/Berlin');
  assert.equal(doc.more, true);
  assert.equal((await kt('next', kid)).stdout.trimEnd().split('\n').length, 12, '10 runs by default');
  assert.equal((await kt('next', kid, '-n', '1000')).stdout.trimEnd().split('\n').length, 1002, 'up to 1000');
  for (const n of ['0', '1001', 'abc'])
    oneErrorLine(
      await kt('next', kid, '-n', n),
      /n "\w+" is invalid; expected a whole number from 1 to 1000/,
    );
  assert.equal((await kt('next', 'f'.repeat(32))).code, 1);
});

test("next: a ticker on its grid up to its limit, a timer once, local in this machine's zone", async () => {
  const { kt, add, json } = setup('America/New_York');
  const ticker = await add('-type=ticker', '-time=+15m', '-limit=3', '-command=true');
  const doc = await json('next', ticker);
  assert.equal(doc.schedule, 'every 15m');
  assert.equal(doc.tz, 'America/New_York');
  assert.equal(doc.more, false);
  const ms = doc.runs.map((r: { unix_ms: number }) => r.unix_ms);
  assert.deepEqual(ms, [ms[0], ms[0] + 900_000, ms[0] + 1_800_000]);
  for (const r of doc.runs) {
    assert.match(r.local, /[+-]0[45]:00$/);
    assert.equal(Date.parse(r.local), r.unix_ms);
    assert.equal(Date.parse(r.utc), r.unix_ms);
  }
  assert.match((await kt('next', ticker)).stdout, /\nno runs after these\.\n$/);
  const year = new Date().getUTCFullYear() + 1;
  const timer = await add(`-time=${year}-12-24T18:00`, '-command=true');
  const text = (await kt('next', timer)).stdout;
  assert.equal(
    text,
    `at ${year}-12-24T12:00-05:00\nLOCAL (America/New_York)   UTC\n` +
      `${year}-12-24T12:00:00-05:00  ${year}-12-24T17:00:00Z\nno runs after these.\n`,
    "a date without offset is in [task] timezone (Berlin); shown in this machine's",
  );
});

test('list and get show the schedule in words; RUNS made/limit; a parked cron task is computing', async () => {
  const { kt, add, json, keys } = setup();
  const year = new Date().getUTCFullYear() + 1;
  const timer = await add(`-time=${year}-12-24T18:00`, '-command=true');
  const ticker = await add('-type=ticker', '-time=90', '-limit=5', '-command=true');
  const cron = await add(
    '-type=cron',
    '-cron=@daily',
    '-tz=America/New_York',
    '-misfire=skip',
    '-command=true',
  );
  const parkedAt = Math.floor(Date.now() / 1000) - 60;
  await storeTasks(redis.client, keys, [
    [
      'c'.repeat(32),
      storedTask({
        type: 'cron',
        time: 0,
        limit: 0,
        cron: '*/5 * * * *',
        tz: 'UTC',
        parked: parkedAt,
        run_nexttime: parkedAt,
      }),
    ],
  ]);
  const list = await kt('list');
  assert.equal(list.code, 0, list.stderr);
  const rows = list.stdout.split('\n');
  assert.match(rows[0] ?? '', /^KID +NAME +TYPE +SCHEDULE +RUNS +LAST +NEXT +COMMAND$/);
  const row = (kid: string) => rows.find((r) => r.startsWith(kid)) ?? '';
  assert.match(row('c'.repeat(32)), / cron \*\/5 \* \* \* \* UTC +0 +— +computing +true$/);
  assert.match(row(ticker), / every 90s +0\/5 +— +in \d+[smhd]( \d+[smhd])? +true$/);
  assert.match(row(cron), / cron @daily America\/New_York +0 +— +in \d+[smhd]( \d+[smhd])? +true$/);
  assert.match(row(timer), new RegExp(` at ${year}-12-24T18:00\\+01:00 +0/1 +— +in \\d+d \\d+h +true$`));

  const listed = await json('list');
  const words = Object.fromEntries(
    listed.tasks.map((t: { kid: string; schedule: string }) => [t.kid, t.schedule]),
  );
  assert.deepEqual(words, {
    [ticker]: 'every 90s',
    [cron]: 'cron @daily America/New_York',
    [timer]: `at ${year}-12-24T18:00+01:00`,
    ['c'.repeat(32)]: 'cron */5 * * * * UTC',
  });
  const got = await json('get', cron);
  assert.equal(got.schedule, 'cron @daily America/New_York');
  assert.deepEqual(
    [got.type, got.cron, got.tz, got.misfire, got.limit],
    ['cron', '@daily', 'America/New_York', 'skip', 0],
    'the stored fields stay',
  );
  const human = await kt('get', ticker);
  assert.match(human.stdout, /^task detail info:\n\{\n {2}"kid": /);
  assert.match(human.stdout, /\n {2}"schedule": "every 90s"\n\}\n$/);
  // A parked task's next runs are computed, from the first one due.
  const parked = await json('next', 'c'.repeat(32), '-n=2');
  assert.equal(parked.runs[0].unix_ms % 300_000, 0);
});

test('update changes a cron expression, zone or misfire policy; a new expression or zone reschedules', async () => {
  const { kt, add, json } = setup();
  const kid = await add('-type=cron', '-cron=0 30 3 * * *', '-command=true');
  const before = await json('get', kid);
  assert.equal((await kt('update', kid, '-misfire=all')).code, 0);
  const policy = await json('get', kid);
  assert.equal(policy.misfire, 'all');
  assert.equal(policy.run_nexttime, before.run_nexttime, 'kept its runs');
  const res = await kt('update', `-kid=${kid}`, '-cron=0 0 4 * * *');
  assert.equal(res.stdout, `operating result:[true] newkid:[${kid}]\n`);
  const moved = await json('get', kid);
  assert.equal(moved.schedule, 'cron 0 0 4 * * * Europe/Berlin');
  assert.match((await json('next', kid, '-n=1')).runs[0].local, /T04:00:00\+0[12]:00$/);
  await kt('update', kid, '-tz=Asia/Tokyo');
  const tokyo = await json('next', kid, '-n=1');
  assert.match(tokyo.runs[0].local, /T04:00:00\+09:00$/);
  assert.match(tokyo.runs[0].utc, /T19:00:00Z$/);
  oneErrorLine(await kt('update', kid, '-time=60'), /-time is not for a cron task/);
  oneErrorLine(await kt('update', kid, '-cron=0 0 4 * *  * nope'), /cron ".*" is invalid/);
  assert.equal(
    (await json('get', kid)).schedule,
    'cron 0 0 4 * * * Asia/Tokyo',
    'unchanged by the refused ones',
  );
});

test('usage errors: one line, exit 2, nothing stored', async () => {
  const { kt, pool } = setup();
  const cases: [string[], RegExp][] = [
    [
      ['-type=cron', '-cron=0 30 3 * * *', '-time=60'],
      /-time is not for a cron task: its runs come from -cron; remove -time/,
    ],
    [['-cron=0 30 3 * * *'], /-cron is for -type=cron only; give -type=cron too/],
    [['-type=ticker', '-time=5', '-cron=@daily'], /-cron is for -type=cron only/],
    [['-type=cron', '-cron=0 30 25 * * *'], /cron "0 30 25 \* \* \*" is invalid: .*hour/],
    [['-type=cron', '-cron=0 30 3 * * * *'], /cron ".*" is invalid: give 5 fields .* 6 \(second first\)/],
    [
      ['-type=cron', '-cron=@daily', '-tz=Mars/Olympus_Mons'],
      /time zone "Mars\/Olympus_Mons" is unknown; give an IANA name/,
    ],
    [['-type=cron'], /a cron task needs -cron, such as -cron="0 30 3 \* \* \*"/],
    [
      ['-type=cron', '-cron=@daily', '-misfire=later'],
      /misfire "later" is invalid; expected once, skip, all/,
    ],
    [['-time=+15m', '-misfire=all'], /-misfire is for tickers and cron tasks/],
  ];
  for (const [args, pattern] of cases) oneErrorLine(await kt('add', ...args), pattern);
  const doc = await kt('add', '-type=cron', '-cron=@daily', '-tz=Nowhere', '--json');
  assert.equal(JSON.parse(doc.stdout).code, 'usage');
  assert.equal(await redis.client.hlen(pool), 0);
});

test('add --file takes cron lines with tz and misfire; a bad one stores nothing', async () => {
  const { kt, config, pool } = setup();
  const file = join(config, '..', 'cron.jsonl');
  const lines = [
    { type: 'cron', cron: '0 30 3 * * *', tz: 'Asia/Tokyo', misfire: 'skip', command: 'echo a' },
    { type: 'cron', cron: '@hourly', limit: 3 },
    { time: '+1h', command: 'true' },
  ];
  writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const res = await kt('add', '--file', file, '--json');
  assert.equal(res.code, 0, res.stderr);
  const kids: string[] = JSON.parse(res.stdout).kids;
  const stored = await Promise.all(
    kids.map(async (k) => JSON.parse((await redis.client.hget(pool, k)) ?? '')),
  );
  assert.deepEqual(
    stored.map((t) => [t.type, t.cron, t.tz, t.misfire, t.limit]),
    [
      ['cron', '0 30 3 * * *', 'Asia/Tokyo', 'skip', 0],
      ['cron', '@hourly', 'Europe/Berlin', undefined, 3],
      ['timer', undefined, undefined, undefined, 1],
    ],
  );
  writeFileSync(file, '{"type":"cron","cron":"@daily"}\n{"type":"cron","cron":"0 99 * * *"}\n');
  const bad = await kt('add', '--file', file);
  oneErrorLine(bad, /1 bad line\(s\), nothing added: .*cron\.jsonl:2: cron "0 99 \* \* \*" is invalid/);
  assert.equal(await redis.client.hlen(pool), 3);
});

test("list's window takes now, +15m and dates besides unix timestamps", async () => {
  const { kt, add, json } = setup();
  const soon = await add('-time=+30m', '-command=true');
  await add('-time=+2h', '-command=true');
  const year = new Date().getUTCFullYear() + 1;
  const late = await add(`-time=${year}-12-24T18:00`, '-command=true');
  const kids = async (...args: string[]) =>
    (await json('list', ...args)).tasks.map((t: { kid: string }) => t.kid);
  assert.deepEqual(await kids('-starttime=now', '-endtime=+1h'), [soon]);
  assert.deepEqual(await kids(`-starttime=${year}-12-24T18:00`), [late]);
  assert.deepEqual(await kids(`-starttime=${year}-12-24T17:00:00Z`, `-endtime=${year}-12-24T18:00+01:00`), [
    late,
  ]);
  assert.equal((await kids('-endtime=now')).length, 0);
  oneErrorLine(
    await kt('list', '-starttime=soon'),
    /starttime "soon" is invalid; expected a unix timestamp, now, \+15m, or a date/,
  );
  oneErrorLine(await kt('list', '-starttime=+2h', '-endtime=now'), /starttime \d+(\.\d+)? is after endtime/);
});

test('count, status and list build no Intl date format (~30 ms of ICU), even with [task] timezone set', async () => {
  const { config, add } = setup();
  await add('-type=cron', '-cron=@daily', '-command=true');
  const probe = join(config, '..', 'count-intl.cjs');
  writeFileSync(
    probe,
    `let made = 0;
const Real = Intl.DateTimeFormat;
Intl.DateTimeFormat = new Proxy(Real, { construct: (t, a) => (made++, new t(...a)), apply: (t, s, a) => (made++, t(...a)) });
process.on('exit', () => process.stderr.write('DateTimeFormat made: ' + made + '\\n'));\n`,
  );
  for (const args of [['count'], ['status'], ['list']]) {
    const res = await runCli([...args, '--config', config], { env: { NODE_OPTIONS: `--require ${probe}` } });
    assert.ok(res.code === 0 || res.code === 3, res.stderr);
    assert.match(res.stderr, /DateTimeFormat made: 0\n/, args[0]);
  }
});
