// Task names and per-task timeouts as pure rules: what a name may be (never a kid, never a fire
// id), what a KID argument names, -timeout's range, the stored JSON, and when a fire may run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KtimerError } from '../../src/errors.js';
import { fireTimeoutMs } from '../../src/runner/runner-result.js';
import { changedTask } from '../../src/service/add-tasks.js';
import { isTaskName, parseName, parseTaskRef } from '../../src/tasks/task-name.js';
import { decodeTask, encodeTask, type Task } from '../../src/tasks/task.js';
import { parseTaskSpec, parseTaskUpdate, reschedules, type TaskRules } from '../../src/tasks/task-rules.js';

const rules: TaskRules = { maxDay: 100, defaultTimer: 'true', defaultTicker: 'date', timezone: 'UTC' };
const usage = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(
    fn,
    (err: unknown) => err instanceof KtimerError && err.code === 'usage' && pattern.test(err.message),
  );
const KID = '7d411eeb079e47e8a66282919d04be90';

test('a name: a letter, then letters, digits, . _ -, at most 64; never in the form of a kid', () => {
  for (const ok of ['a', 'backup', 'Nightly.Report_2-b', `x${'9'.repeat(63)}`, 'deadbeef', 'f'.repeat(31)])
    assert.equal(parseName(ok), ok);
  usage(() => parseName(''), /name is empty/);
  usage(() => parseName('f'.repeat(32)), /has the form of a kid/);
  usage(() => parseName('F'.repeat(32)), /has the form of a kid/);
  usage(() => parseName('7d411eeb-079e-47e8-a662-82919d04be90'), /has the form of a kid/);
  for (const bad of ['1st', '-x', '_x', 'a:1', 'a b', 'a/b', 'é', `a${'b'.repeat(64)}`, ' a'])
    usage(() => parseName(bad), /is invalid; expected a letter/);
  assert.equal(isTaskName(`${KID}:3`), false, 'a fire id is no name');
});

test('a KID argument: a kid (either spelling, any case) or a name; anything else a usage error', () => {
  assert.deepEqual(parseTaskRef(KID.toUpperCase()), { kid: KID });
  assert.deepEqual(parseTaskRef(' 7d411eeb-079e-47e8-a662-82919d04be90 '), { kid: KID });
  assert.deepEqual(parseTaskRef('backup'), { name: 'backup' });
  usage(() => parseTaskRef('123'), /kid "123" is invalid; expected 32 hex digits .* or a task name/);
  usage(() => parseTaskRef(`${KID}:1`), /is invalid/);
});

test('-timeout: whole seconds 1..604800 on add; on update 0 takes it away', () => {
  assert.equal(parseTaskSpec({ timeout: '30' }, rules).timeout, 30);
  assert.equal(parseTaskSpec({ timeout: '604800' }, rules).timeout, 604_800);
  for (const bad of ['0', '-1', '1.5', '1e3', '', 'x', '604801'])
    usage(
      () => parseTaskSpec({ timeout: bad }, rules),
      /timeout .*is invalid; expected whole seconds from 1/,
    );
  const current: Task = {
    type: 'ticker',
    time: 5,
    limit: 0,
    command: 'date',
    run_num: 2,
    run_lasttime: 1,
    run_nexttime: 2,
    name: 'n',
    timeout: 9,
  };
  const kept = parseTaskUpdate({ limit: '3' }, current, rules).spec;
  assert.deepEqual([kept.name, kept.timeout], ['n', 9], 'not given: kept');
  const gone = parseTaskUpdate({ timeout: '0', name: '' }, current, rules);
  assert.deepEqual([gone.spec.name, gone.spec.timeout, gone.reschedule], [undefined, undefined, false]);
  usage(() => parseTaskUpdate({ timeout: '604801' }, current, rules), /timeout 604801 is invalid/);
  usage(() => parseTaskUpdate({ name: 'a:b' }, current, rules), /name "a:b" is invalid/);
});

test('stored JSON: name and timeout last, only when given; a task without them is stored as before', () => {
  const timer: Task = {
    type: 'timer',
    time: 5,
    limit: 1,
    command: 'true',
    run_num: 0,
    run_lasttime: 0,
    run_nexttime: 9,
  };
  assert.equal(
    encodeTask(timer),
    '{"type":"timer","time":5,"limit":1,"command":"true","run_num":0,"run_lasttime":0,"run_nexttime":9}',
  );
  const named = { ...timer, name: 'x', timeout: 3 };
  assert.match(encodeTask(named), /"run_nexttime":9,"name":"x","timeout":3\}$/);
  assert.deepEqual(decodeTask(KID, encodeTask(named)), named);
  assert.throws(() => decodeTask(KID, JSON.stringify({ ...timer, timeout: 0 })), { code: 'corrupt' });
  assert.throws(() => decodeTask(KID, JSON.stringify({ ...timer, name: 5 })), { code: 'corrupt' });
});

test('a replaced task keeps its run count; its runs too unless its schedule changed', () => {
  const current: Task = {
    type: 'ticker',
    time: 60,
    limit: 0,
    command: 'a',
    run_num: 4,
    run_lasttime: 100,
    run_nexttime: 160,
  };
  const spec = parseTaskSpec({ type: 'ticker', time: '60', command: 'b', name: 'n' }, rules);
  assert.equal(reschedules(spec, current), false);
  assert.deepEqual(changedTask(spec, current, null), {
    ...spec,
    run_num: 4,
    run_lasttime: 100,
    run_nexttime: 160,
    runs: undefined,
    parked: undefined,
    paused: undefined,
  });
  const moved = parseTaskSpec({ type: 'ticker', time: '30' }, rules);
  assert.equal(reschedules(moved, current), true);
  assert.equal(changedTask(moved, current, { run_nexttime: 500 }).run_nexttime, 500);
});

test('how long a fire may run: its own timeout, shell or URL; else task_timeout, at most 30 s for a URL', () => {
  assert.equal(fireTimeoutMs('shell', 5, 60_000), 5000);
  assert.equal(fireTimeoutMs('url', 120, 60_000), 120_000, 'a URL task may be given more than 30 s');
  assert.equal(fireTimeoutMs('shell', undefined, 60_000), 60_000);
  assert.equal(fireTimeoutMs('shell', undefined, 0), 0, 'no limit');
  assert.equal(fireTimeoutMs('url', undefined, 60_000), 30_000);
  assert.equal(fireTimeoutMs('url', undefined, 0), 30_000);
  assert.equal(fireTimeoutMs('url', undefined, 10_000), 10_000);
});
