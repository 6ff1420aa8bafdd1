// When tasks run, as pure functions of the task and "now": first runs, the runs a cron task
// carries and their refill by misfire policy, and the upcoming runs `ktimer next` shows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CRON_AHEAD, firstSchedule, refillCron, upcomingRunTimes } from '../../src/tasks/schedule.js';
import type { Task } from '../../src/tasks/task.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const sec = (ms: number) => ms / 1000;
const min = 60_000;

const cron = (over: Partial<Task> = {}): Task => ({
  type: 'cron',
  time: 0,
  limit: 0,
  command: 'true',
  cron: '*/5 * * * *',
  tz: 'UTC',
  misfire: 'once',
  run_num: 0,
  run_lasttime: 0,
  run_nexttime: 0,
  ...over,
});

test('a new task: a delay or timestamp for timers and tickers; the next run and 10 more for cron', () => {
  assert.deepEqual(firstSchedule({ type: 'ticker', time: 5, limit: 0, command: 'x' }, 100, T0 + 0.4), {
    run_nexttime: sec(T0 + 5000),
  });
  const first = firstSchedule(cron(), 100, T0 + 1);
  assert.equal(first.run_nexttime, sec(T0 + 5 * min));
  assert.equal(first.runs?.length, CRON_AHEAD);
  assert.equal(first.runs?.[9], sec(T0 + 55 * min));
});

test('refill tops up the runs carried, after the last of them', () => {
  const task = cron({ run_nexttime: sec(T0), runs: [sec(T0 + 5 * min), sec(T0 + 10 * min)] });
  const planned = refillCron(task, T0);
  assert.equal(planned?.missed, null);
  assert.equal(planned?.task.run_nexttime, sec(T0));
  assert.deepEqual(planned?.task.runs?.slice(0, 3), [
    sec(T0 + 5 * min),
    sec(T0 + 10 * min),
    sec(T0 + 15 * min),
  ]);
  assert.equal(planned?.task.runs?.length, CRON_AHEAD);
  assert.equal(refillCron({ ...task, type: 'ticker' }, T0), null, 'only cron tasks');
});

test('a parked task after an hour down: once fires the first run missed, skip none, all each (the latest 100)', () => {
  const now = T0 + 60 * min + 1000; // down from T0 (a run) for an hour
  const parked = cron({ parked: sec(T0), run_nexttime: sec(now + 1000) });
  const once = refillCron(parked, now);
  assert.equal(once?.task.parked, undefined);
  assert.equal(once?.task.run_nexttime, sec(T0), 'the one run fired for the hour');
  assert.equal(once?.task.runs?.[0], sec(T0 + 65 * min), 'then the first run after now');
  assert.deepEqual(once?.missed, {
    policy: 'once',
    firstDueMs: T0 + 5 * min,
    lastDueMs: T0 + 60 * min,
    nextDueMs: T0 + 65 * min,
    count: 12,
  });

  const skip = refillCron({ ...parked, misfire: 'skip' }, now);
  assert.equal(skip?.task.run_nexttime, sec(T0 + 65 * min));
  assert.equal(skip?.missed?.firstDueMs, T0);
  assert.equal(skip?.missed?.count, 13, 'every run of the hour, the first too');

  const all = refillCron({ ...parked, misfire: 'all' }, now);
  assert.equal(all?.task.run_nexttime, sec(T0));
  assert.equal(all?.task.runs?.[11], sec(T0 + 60 * min), '13 runs due, in order');
  assert.equal(all?.task.runs?.[12], sec(T0 + 65 * min));
  assert.equal(all?.missed, null, 'none beyond the 100');

  const secondly = cron({ cron: '* * * * * *', misfire: 'all', parked: sec(T0), run_nexttime: 0 });
  const many = refillCron(secondly, T0 + 150_000);
  assert.equal(many?.task.run_nexttime, sec(T0 + 51_000), 'the latest 100 of 151');
  assert.deepEqual(many?.missed, {
    policy: 'all',
    firstDueMs: T0,
    lastDueMs: T0 + 50_000,
    nextDueMs: T0 + 51_000,
    count: 51,
  });
});

test('upcoming runs: one for a timer, the grid for a ticker, the calendar for cron, within the limit', () => {
  assert.deepEqual(upcomingRunTimes(cron({ type: 'timer', run_nexttime: sec(T0) }), 5), [T0]);
  const ticker = cron({ type: 'ticker', time: 30, limit: 5, run_num: 2, run_nexttime: sec(T0) });
  assert.deepEqual(upcomingRunTimes(ticker, 10), [T0, T0 + 30_000, T0 + 60_000]);
  assert.deepEqual(upcomingRunTimes(cron({ run_nexttime: sec(T0) }), 3), [T0, T0 + 5 * min, T0 + 10 * min]);
  assert.deepEqual(upcomingRunTimes(cron({ parked: sec(T0), run_nexttime: sec(T0 + 9 * min) }), 2), [
    T0,
    T0 + 5 * min,
  ]);
});
