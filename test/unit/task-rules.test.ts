// The pure task rules of README "Tasks", with "now" passed in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KtimerError } from '../../src/errors.js';
import { newKid, normalizeKid } from '../../src/tasks/kid.js';
import { decodeTask, encodeTask } from '../../src/tasks/task.js';
import { firstRunMs, parseNewTask } from '../../src/tasks/schedule.js';
import { parseTaskSpec, parseTaskUpdate, type TaskRules } from '../../src/tasks/task-rules.js';

const NOW = 1_800_000_000_000;
const rules: TaskRules = {
  maxDay: 100,
  defaultTimer: 'echo -e Hello Ktimer',
  defaultTicker: 'date --rfc-3339=ns',
  timezone: 'Europe/Berlin',
};
const usage = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(
    fn,
    (err: unknown) => err instanceof KtimerError && err.code === 'usage' && pattern.test(err.message),
  );

test('defaults: a timer in 5 s, limit 1, the [task] default command', () => {
  const { spec, nextRunMs } = parseNewTask({}, rules, NOW);
  assert.deepEqual(spec, { type: 'timer', time: 5, limit: 1, command: 'echo -e Hello Ktimer' });
  assert.equal(nextRunMs, NOW + 5000);
  const ticker = parseNewTask({ type: 'ticker' }, rules, NOW);
  assert.deepEqual(ticker.spec, { type: 'ticker', time: 5, limit: 0, command: 'date --rfc-3339=ns' });
});

test('a missing command without a [task] default is an error', () => {
  usage(
    () => parseNewTask({}, { ...rules, defaultTimer: '' }, NOW),
    /command is missing and \[task\] default_timer is empty/,
  );
});

test('time: a delay up to task_max_day days, an absolute timestamp beyond', () => {
  assert.equal(firstRunMs('timer', 100 * 86400, 100, NOW), NOW + 100 * 86400 * 1000);
  const at = NOW / 1000 + 3600;
  assert.equal(firstRunMs('timer', at, 100, NOW), at * 1000);
  usage(() => firstRunMs('timer', NOW / 1000 - 1, 100, NOW), /unix timestamp in the past/);
  usage(() => firstRunMs('timer', 100 * 86400 + 1, 100, NOW), /in the past/);
  usage(() => firstRunMs('timer', NOW / 1000 + 101 * 86400, 100, NOW), /more than 100 days ahead/);
  usage(() => firstRunMs('ticker', at, 100, NOW), /invalid for a ticker: it is the interval/);
  assert.equal(firstRunMs('timer', 5, 1, NOW), NOW + 5000);
});

test('time: whole seconds above 0 in plain digits only', () => {
  for (const bad of [
    '0',
    '-5',
    '5.0',
    '5.5',
    '+5',
    '1e3',
    '',
    ' ',
    'abc',
    '0x10',
    '99999999999999999999',
    '５',
  ]) {
    usage(() => parseNewTask({ time: bad }, rules, NOW), /^time ".*" is invalid/);
  }
  assert.equal(parseNewTask({ time: '007' }, rules, NOW).spec.time, 7);
});

test('type: timer, ticker or cron', () => {
  for (const bad of ['Timer', 'TICKER', 'CRON', 'calendar', '', 'timer '])
    usage(() => parseNewTask({ type: bad }, rules, NOW), /type ".*" is invalid/);
});

test('limit: ticker any whole number >= 0; timer 0 or 1', () => {
  assert.equal(parseNewTask({ type: 'ticker', limit: '0' }, rules, NOW).spec.limit, 0);
  assert.equal(parseNewTask({ type: 'ticker', limit: '1000' }, rules, NOW).spec.limit, 1000);
  assert.equal(parseNewTask({ limit: '0' }, rules, NOW).spec.limit, 0);
  assert.equal(parseNewTask({ limit: '1' }, rules, NOW).spec.limit, 1);
  usage(() => parseNewTask({ limit: '2' }, rules, NOW), /invalid for a timer/);
  for (const bad of ['-1', '1.5', 'x', ''])
    usage(() => parseNewTask({ type: 'ticker', limit: bad }, rules, NOW), /^limit/);
});

test('command: trimmed, not empty, at most 4096 characters, no NUL; URLs valid, kt_post a JSON object', () => {
  assert.equal(parseNewTask({ command: '  ls -l  ' }, rules, NOW).spec.command, 'ls -l');
  usage(() => parseNewTask({ command: '   ' }, rules, NOW), /command is empty/);
  assert.equal(parseNewTask({ command: 'x'.repeat(4096) }, rules, NOW).spec.command.length, 4096);
  usage(() => parseNewTask({ command: 'x'.repeat(4097) }, rules, NOW), /4097 characters long; at most 4096/);
  usage(() => parseNewTask({ command: 'echo \0' }, rules, NOW), /NUL/);
  assert.equal(
    parseNewTask({ command: 'https://example.com/a?b=1' }, rules, NOW).spec.command,
    'https://example.com/a?b=1',
  );
  usage(() => parseNewTask({ command: 'http://[bad' }, rules, NOW), /not a valid one/);
  parseNewTask({ command: 'http://h/x?kt_post={"a":1}' }, rules, NOW);
  usage(() => parseNewTask({ command: 'http://h/x?kt_post=[1]' }, rules, NOW), /kt_post/);
  usage(() => parseNewTask({ command: 'http://h/x?kt_post=nope' }, rules, NOW), /kt_post/);
  assert.equal(parseNewTask({ command: 'echo ünïcødé 日本' }, rules, NOW).spec.command, 'echo ünïcødé 日本');
});

const stored = {
  type: 'ticker' as const,
  time: 10,
  limit: 5,
  command: 'date',
  run_num: 2,
  run_lasttime: 1,
  run_nexttime: 1_800_000_020,
};

test('update keeps unspecified fields, and reschedules only for a new type, time, cron or zone', () => {
  const cmd = parseTaskUpdate({ command: 'ls' }, stored, rules);
  assert.deepEqual(cmd.spec, { type: 'ticker', time: 10, limit: 5, command: 'ls' });
  assert.equal(cmd.reschedule, false);
  assert.equal(parseTaskUpdate({ time: '30' }, stored, rules).reschedule, true);
  assert.equal(parseTaskUpdate({ time: '+10s' }, stored, rules).reschedule, false, 'the same interval');
  const type = parseTaskUpdate({ type: 'timer' }, stored, rules);
  assert.deepEqual(type.spec, { type: 'timer', time: 10, limit: 1, command: 'date' });
  assert.equal(type.reschedule, true);
  usage(() => parseTaskUpdate({}, stored, rules), /nothing to update/);
  usage(() => parseTaskUpdate({ limit: '2' }, stored, rules), /not above the 2 runs/);
  assert.equal(parseTaskUpdate({ limit: '0' }, stored, rules).spec.limit, 0);
  const toCron = parseTaskUpdate({ type: 'cron', cron: '@daily' }, stored, rules);
  assert.deepEqual(toCron.spec, {
    type: 'cron',
    time: 0,
    limit: 0,
    command: 'date',
    cron: '@daily',
    tz: 'Europe/Berlin',
  });
  usage(() => parseTaskUpdate({ type: 'cron' }, stored, rules), /needs -cron/);
  const cron = { ...stored, ...toCron.spec };
  assert.equal(parseTaskUpdate({ tz: 'UTC' }, cron, rules).reschedule, true);
  assert.equal(parseTaskUpdate({ misfire: 'skip' }, cron, rules).reschedule, false);
  usage(() => parseTaskUpdate({ time: '60' }, cron, rules), /-time is not for a cron task/);
});

test('cron: -cron needed and checked, -tz or [task] timezone, no -time; -cron and -misfire only where they apply', () => {
  const spec = parseTaskSpec({ type: 'cron', cron: ' 0  30 3 * * * ', command: 'x' }, rules);
  assert.deepEqual(spec, {
    type: 'cron',
    time: 0,
    limit: 0,
    command: 'x',
    cron: '0 30 3 * * *',
    tz: 'Europe/Berlin',
  });
  assert.equal(
    parseTaskSpec({ type: 'cron', cron: '@hourly', tz: 'America/New_York' }, rules).tz,
    'America/New_York',
  );
  assert.equal(parseTaskSpec({ type: 'cron', cron: '@hourly', misfire: 'all' }, rules).misfire, 'all');
  assert.equal(parseTaskSpec({ type: 'cron', cron: '@hourly', limit: '3' }, rules).limit, 3);
  usage(() => parseTaskSpec({ type: 'cron' }, rules), /a cron task needs -cron/);
  usage(
    () => parseTaskSpec({ type: 'cron', cron: '@hourly', time: '5' }, rules),
    /-time is not for a cron task/,
  );
  usage(() => parseTaskSpec({ type: 'cron', cron: '61 * * * *' }, rules), /cron "61 \* \* \* \*" is invalid/);
  usage(
    () => parseTaskSpec({ type: 'cron', cron: '@hourly', tz: 'Nowhere/Land' }, rules),
    /time zone "Nowhere\/Land" is unknown/,
  );
  usage(() => parseTaskSpec({ cron: '@hourly' }, rules), /-cron is for -type=cron only/);
  usage(() => parseTaskSpec({ type: 'ticker', tz: 'UTC' }, rules), /-tz is for -type=cron/);
  usage(() => parseTaskSpec({ misfire: 'skip' }, rules), /-misfire is for tickers and cron tasks/);
  usage(
    () => parseTaskSpec({ type: 'ticker', misfire: 'sometimes' }, rules),
    /misfire "sometimes" is invalid; expected once, skip, all/,
  );
  assert.equal(parseTaskSpec({ type: 'ticker', misfire: 'skip' }, rules).misfire, 'skip');
});

test('-time as people write it: +90s, +15m, +2h, +1d, or a date (its own offset, else -tz or [task] timezone)', () => {
  const first = (input: Parameters<typeof parseNewTask>[0]) => parseNewTask(input, rules, NOW).nextRunMs;
  assert.equal(first({ time: '+90s' }), NOW + 90_000);
  assert.equal(first({ time: '+15m' }), NOW + 900_000);
  assert.equal(first({ time: '+2h' }), NOW + 7_200_000);
  assert.equal(first({ type: 'ticker', time: '+1d' }), NOW + 86_400_000, 'a ticker every day');
  assert.equal(parseTaskSpec({ type: 'ticker', time: '+5m' }, rules).time, 300);
  const day = new Date(NOW + 3 * 86_400_000).toISOString().slice(0, 10); // three days on, UTC
  assert.equal(first({ time: `${day}T18:00Z` }), Date.parse(`${day}T18:00:00Z`));
  assert.equal(first({ time: `${day}T18:00:30+05:30` }), Date.parse(`${day}T12:30:30Z`));
  assert.equal(first({ time: `${day}T18:00`, tz: 'UTC' }), Date.parse(`${day}T18:00:00Z`));
  const berlin = first({ time: `${day}T18:00` }); // rules.timezone
  assert.ok(berlin === Date.parse(`${day}T17:00:00Z`) || berlin === Date.parse(`${day}T16:00:00Z`));
  usage(() => first({ time: '+0s' }), /a delay must be above 0/);
  usage(() => first({ time: '+101d' }), /more than 100 days ahead/);
  usage(() => first({ time: '2020-01-01T00:00Z' }), /in the past/);
  usage(() => first({ time: `${day}T25:00` }), /not a real date and time/);
  usage(() => first({ time: '2027-02-30T10:00' }), /not a real date and time/);
  usage(() => first({ type: 'ticker', time: `${day}T18:00Z` }), /a ticker's -time is its interval/);
  usage(() => first({ time: '+5x' }), /^time "\+5x" is invalid/);
});

test('kid: UUIDv4 as 32 lowercase hex digits; dashed and upper case accepted on input', () => {
  const kid = newKid();
  assert.match(kid, /^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
  assert.notEqual(newKid(), kid);
  assert.equal(normalizeKid('7D411EEB-079E-47E8-A662-82919D04BE90'), '7d411eeb079e47e8a66282919d04be90');
  assert.equal(normalizeKid(' 7d411eeb079e47e8a66282919d04be90 '), '7d411eeb079e47e8a66282919d04be90');
  for (const bad of [
    '',
    '123',
    'g'.repeat(32),
    '7d411eeb079e47e8a66282919d04be9',
    '7d41-1eeb079e47e8a66282919d04be90',
    '../x',
  ]) {
    usage(() => normalizeKid(bad), /kid ".*" is invalid/);
  }
});

test('stored JSON round-trips; anything else is corrupt, naming the kid', () => {
  const task = { ...stored, misfire: 'once' as const };
  assert.deepEqual(decodeTask('k', encodeTask(task)), task);
  assert.deepEqual(Object.keys(JSON.parse(encodeTask(task))), [
    'type',
    'time',
    'limit',
    'command',
    'run_num',
    'run_lasttime',
    'run_nexttime',
  ]);
  const cron = { ...task, type: 'cron' as const, time: 0, cron: '@daily', tz: 'UTC', runs: [1.5, 2.5] };
  assert.deepEqual(decodeTask('c', encodeTask(cron)), cron);
  const { runs: _, ...noRuns } = cron;
  assert.deepEqual(decodeTask('c', encodeTask({ ...cron, misfire: 'all', runs: [], parked: 3 })), {
    ...noRuns,
    misfire: 'all',
    parked: 3,
  });
  assert.equal(JSON.parse(encodeTask({ ...cron, misfire: 'skip' })).misfire, 'skip', 'stored when not once');
  assert.equal(JSON.parse(encodeTask(task)).misfire, undefined, 'the default is not stored');
  for (const bad of [
    '{',
    '[]',
    'null',
    '{"type":"x"}',
    JSON.stringify({ ...task, time: '5' }),
    JSON.stringify({ ...task, misfire: 'never' }),
    JSON.stringify({ ...cron, cron: 5 }),
    JSON.stringify({ ...cron, runs: ['x'] }),
  ]) {
    assert.throws(
      () => decodeTask('abc', bad),
      (e: unknown) =>
        e instanceof KtimerError && e.code === 'corrupt' && /task abc holds corrupt data/.test(e.message),
    );
  }
});

test('-overlap: allow, skip or queue; allow (the default) is not stored; update sets and clears it', () => {
  assert.equal(parseTaskSpec({ overlap: 'skip' }, rules).overlap, 'skip');
  assert.equal(parseTaskSpec({ overlap: 'queue' }, rules).overlap, 'queue');
  assert.equal('overlap' in parseTaskSpec({ overlap: 'allow' }, rules), false);
  assert.equal('overlap' in parseTaskSpec({}, rules), false);
  for (const bad of ['', 'Skip', 'never', 'queue ', '1'])
    usage(
      () => parseTaskSpec({ overlap: bad }, rules),
      /overlap ".*" is invalid; expected allow, skip, queue/,
    );
  const skipping = { ...stored, overlap: 'skip' as const };
  assert.equal(parseTaskUpdate({ command: 'ls' }, skipping, rules).spec.overlap, 'skip', 'kept');
  assert.equal(parseTaskUpdate({ overlap: 'queue' }, skipping, rules).spec.overlap, 'queue');
  assert.equal('overlap' in parseTaskUpdate({ overlap: 'allow' }, skipping, rules).spec, false);
  assert.equal(parseTaskUpdate({ overlap: 'allow' }, skipping, rules).reschedule, false);
  usage(() => parseTaskUpdate({ overlap: 'nope' }, skipping, rules), /overlap "nope" is invalid/);
  const task = { ...stored, ...parseTaskSpec({ type: 'ticker', overlap: 'queue' }, rules) };
  assert.equal(decodeTask('k', encodeTask(task)).overlap, 'queue', 'round-trips');
  assert.doesNotMatch(encodeTask({ ...task, overlap: 'allow' }), /overlap/);
});

test('-retries and -retry_delay: whole numbers in range, the delay 10 s by default, never without retries', () => {
  assert.deepEqual(pick(parseTaskSpec({ retries: '3' }, rules)), { retries: 3, retry_delay: 10 });
  assert.deepEqual(pick(parseTaskSpec({ retries: '2', retry_delay: '30' }, rules)), {
    retries: 2,
    retry_delay: 30,
  });
  assert.deepEqual(pick(parseTaskSpec({ retries: '100', retry_delay: '3600' }, rules)), {
    retries: 100,
    retry_delay: 3600,
  });
  assert.deepEqual(pick(parseTaskSpec({ retries: '0' }, rules)), {}, '0: no retries, nothing stored');
  assert.deepEqual(pick(parseTaskSpec({}, rules)), {});
  for (const bad of ['-1', '1.5', 'two', '', '1e2', '+3'])
    usage(
      () => parseTaskSpec({ retries: bad }, rules),
      /retries ".*" is invalid; expected a whole number from 0 to 100/,
    );
  usage(
    () => parseTaskSpec({ retries: '101' }, rules),
    /retries 101 is invalid; expected a whole number from 0 to 100/,
  );
  for (const bad of ['0', '-5', '2.5', 'ten', ''])
    usage(
      () => parseTaskSpec({ retries: '1', retry_delay: bad }, rules),
      /retry_delay ".*" is invalid; expected whole seconds from 1 to 3600/,
    );
  usage(() => parseTaskSpec({ retries: '1', retry_delay: '3601' }, rules), /retry_delay 3601 is invalid/);
  usage(() => parseTaskSpec({ retry_delay: '5' }, rules), /retry_delay needs retries; give -retries=N too/);
  usage(
    () => parseTaskSpec({ retries: '0', retry_delay: '5' }, rules),
    /retry_delay needs retries; give -retries=N too/,
  );
  const task = { ...stored, ...parseTaskSpec({ type: 'ticker', retries: '2', retry_delay: '7' }, rules) };
  assert.deepEqual(pick(decodeTask('k', encodeTask(task))), { retries: 2, retry_delay: 7 }, 'round-trips');
});

test('update: -retries and -retry_delay over the stored ones; -retries=0 removes both', () => {
  const retrying = { ...stored, retries: 3, retry_delay: 20 };
  assert.deepEqual(pick(parseTaskUpdate({ command: 'ls' }, retrying, rules).spec), {
    retries: 3,
    retry_delay: 20,
  });
  assert.deepEqual(pick(parseTaskUpdate({ retries: '5' }, retrying, rules).spec), {
    retries: 5,
    retry_delay: 20,
  });
  assert.deepEqual(pick(parseTaskUpdate({ retry_delay: '60' }, retrying, rules).spec), {
    retries: 3,
    retry_delay: 60,
  });
  const removed = parseTaskUpdate({ retries: '0' }, retrying, rules);
  assert.deepEqual(pick(removed.spec), {}, '-retries=0 takes retries and delay away');
  assert.equal(removed.reschedule, false);
  assert.doesNotMatch(encodeTask({ ...retrying, ...removed.spec, retries: undefined }), /retr/);
  usage(
    () => parseTaskUpdate({ retries: '0', retry_delay: '5' }, retrying, rules),
    /retry_delay needs retries/,
  );
  // A task without retries: a delay alone is refused; retries get the default delay.
  usage(
    () => parseTaskUpdate({ retry_delay: '5' }, stored, rules),
    /retry_delay needs retries; give -retries=N too/,
  );
  assert.deepEqual(pick(parseTaskUpdate({ retries: '1' }, stored, rules).spec), {
    retries: 1,
    retry_delay: 10,
  });
  usage(() => parseTaskUpdate({ retries: 'x' }, stored, rules), /retries "x" is invalid/);
  usage(
    () => parseTaskUpdate({ retries: '1', retry_delay: '0' }, stored, rules),
    /retry_delay "0" is invalid/,
  );
});

const pick = (spec: { retries?: number | undefined; retry_delay?: number | undefined }) =>
  Object.fromEntries(
    Object.entries({ retries: spec.retries, retry_delay: spec.retry_delay }).filter(
      ([, v]) => v !== undefined,
    ),
  );

test('where and how it runs: -on, -cwd, -env, -user, -output_max, -notify and -group, stored only when given', () => {
  const spec = parseTaskSpec(
    {
      type: 'ticker',
      time: '60',
      command: 'echo hi',
      on: 'eu,db,eu',
      cwd: '/srv',
      env: ['B=x=y', 'A=1'],
      user: 'backup',
      output_max: '8k',
      notify: 'off',
      group: 'nightly',
    },
    rules,
  );
  assert.deepEqual(
    { on: spec.on, cwd: spec.cwd, env: spec.env, user: spec.user, max: spec.output_max, notify: spec.notify },
    { on: ['db', 'eu'], cwd: '/srv', env: { A: '1', B: 'x=y' }, user: 'backup', max: 8192, notify: 'off' },
  );
  assert.equal(spec.group, 'nightly');
  const task = { ...spec, run_num: 0, run_lasttime: 0, run_nexttime: 100 };
  assert.deepEqual(decodeTask('k', encodeTask(task)), { ...task, misfire: 'once' });
  // -notify=on is the default: not stored; none given: none stored.
  const plain = parseTaskSpec({ command: 'true', notify: 'on' }, rules);
  assert.deepEqual(Object.keys(plain).sort(), ['command', 'limit', 'time', 'type']);
  assert.doesNotMatch(
    encodeTask({ ...plain, run_num: 0, run_lasttime: 0, run_nexttime: 1 }),
    /on|env|cwd|group/,
  );
  for (const [input, message] of [
    [{ on: 'db,,eu' }, /on "db,,eu" has an empty label/],
    [{ cwd: 'srv' }, /cwd "srv" is not an absolute path/],
    [{ env: ['1A=x'] }, /env name "1A" is invalid/],
    [{ env: ['NOVALUE'] }, /env "NOVALUE" is invalid; expected NAME=VALUE/],
    [{ user: 'ro ot' }, /user "ro ot" is invalid/],
    [{ output_max: '17M' }, /output_max "17M" is invalid/],
    [{ notify: 'maybe' }, /notify "maybe" is invalid; expected on or off/],
    [{ group: '9x' }, /group "9x" is invalid/],
  ] as const) {
    assert.throws(() => parseTaskSpec({ command: 'true', ...input }, rules), message);
    assert.throws(() => parseTaskUpdate(input, task, rules), message);
  }
});

test('update of the run fields: given replaces, empty removes, not given keeps', () => {
  const task = {
    ...parseTaskSpec(
      { type: 'ticker', time: '60', command: 'x', on: 'db', cwd: '/srv', env: ['A=1', 'B=2'], user: 'u1' },
      rules,
    ),
    group: 'g',
    output_max: 100,
    notify: 'off' as const,
    run_num: 3,
    run_lasttime: 0,
    run_nexttime: 100,
  };
  const kept = parseTaskUpdate({ command: 'y' }, task, rules).spec;
  assert.deepEqual(
    [kept.on, kept.cwd, kept.env, kept.user, kept.output_max, kept.notify, kept.group],
    [['db'], '/srv', { A: '1', B: '2' }, 'u1', 100, 'off', 'g'],
  );
  const replaced = parseTaskUpdate({ env: ['C=3'], on: 'eu,db' }, task, rules);
  assert.deepEqual(
    [replaced.spec.env, replaced.spec.on, replaced.reschedule],
    [{ C: '3' }, ['db', 'eu'], false],
  );
  const removed = parseTaskUpdate(
    { on: '', cwd: '', env: [''], user: '', output_max: '', notify: 'on', group: '' },
    task,
    rules,
  ).spec;
  for (const field of ['on', 'cwd', 'env', 'user', 'output_max', 'notify', 'group'] as const)
    assert.equal(removed[field], undefined, field);
});
