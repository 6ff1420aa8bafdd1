// The pure task rules of README "Tasks", with "now" passed in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KtimerError } from '../../src/errors.js';
import { newKid, normalizeKid } from '../../src/tasks/kid.js';
import { decodeTask, encodeTask } from '../../src/tasks/task.js';
import { firstRunMs, parseNewTask, parseTaskUpdate, type TaskRules } from '../../src/tasks/task-rules.js';

const NOW = 1_800_000_000_000;
const rules: TaskRules = {
  maxDay: 100,
  defaultTimer: 'echo -e Hello Ktimer',
  defaultTicker: 'date --rfc-3339=ns',
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

test('type: timer or ticker', () => {
  for (const bad of ['Timer', 'TICKER', 'cron', '', 'timer '])
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

test('update keeps unspecified fields and the next run unless time or type changes', () => {
  const cmd = parseTaskUpdate({ command: 'ls' }, stored, rules, NOW);
  assert.deepEqual(cmd.spec, { type: 'ticker', time: 10, limit: 5, command: 'ls' });
  assert.equal(cmd.nextRunMs, 1_800_000_020_000);
  const time = parseTaskUpdate({ time: '30' }, stored, rules, NOW);
  assert.equal(time.nextRunMs, NOW + 30_000);
  const type = parseTaskUpdate({ type: 'timer' }, stored, rules, NOW);
  assert.deepEqual(type.spec, { type: 'timer', time: 10, limit: 1, command: 'date' });
  assert.equal(type.nextRunMs, NOW + 10_000);
  usage(() => parseTaskUpdate({}, stored, rules, NOW), /nothing to update/);
  usage(() => parseTaskUpdate({ limit: '2' }, stored, rules, NOW), /not above the 2 runs/);
  assert.equal(parseTaskUpdate({ limit: '0' }, stored, rules, NOW).spec.limit, 0);
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
  const task = { ...stored };
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
  for (const bad of ['{', '[]', 'null', '{"type":"x"}', JSON.stringify({ ...task, time: '5' })]) {
    assert.throws(
      () => decodeTask('abc', bad),
      (e: unknown) =>
        e instanceof KtimerError && e.code === 'corrupt' && /task abc holds corrupt data/.test(e.message),
    );
  }
});
