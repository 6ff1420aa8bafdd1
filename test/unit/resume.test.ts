// resumedTask, the pure rule of where a paused task goes on (README "Pause and resume"): the
// next run of its own schedule after now, with no catch-up; a timer that passed fires once, now.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstSchedule, resumedTask } from '../../src/tasks/schedule.js';
import type { Task } from '../../src/tasks/task.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const base = { command: 'true', run_num: 4, run_lasttime: T0 / 1000 - 60 };

test('a ticker keeps its grid: the first slot after now, never one before', () => {
  const ticker: Task = {
    ...base,
    type: 'ticker',
    time: 7,
    limit: 0,
    run_nexttime: (T0 + 123) / 1000,
    paused: 1,
  };
  const at = (nowMs: number) => resumedTask(ticker, nowMs).run_nexttime * 1000;
  assert.equal(at(T0), T0 + 123, 'paused briefly: its next slot is still ahead');
  assert.equal(at(T0 + 123), T0 + 7123, 'a slot due exactly now is passed: it was due while paused');
  assert.equal(at(T0 + 7_000_000), T0 + 7_000_123, 'a thousand slots missed, none made up');
  for (const nowMs of [T0 + 1, T0 + 50_000, T0 + 86_400_000 + 0.5]) {
    const next = at(nowMs);
    assert.ok(next > nowMs && next - nowMs <= 7000, `after ${nowMs}: within one interval`);
    assert.equal((next - (T0 + 123)) % 7000, 0, 'on the grid');
  }
  const resumed = resumedTask(ticker, T0 + 50_000);
  assert.equal(resumed.paused, undefined);
  assert.deepEqual([resumed.run_num, resumed.run_lasttime, resumed.time], [4, base.run_lasttime, 7]);
});

test('a timer keeps a time still ahead; one that passed while paused is due now', () => {
  const timer: Task = {
    ...base,
    type: 'timer',
    time: 60,
    limit: 1,
    run_nexttime: (T0 + 60_000) / 1000,
    paused: 1,
  };
  assert.equal(resumedTask(timer, T0 + 1000).run_nexttime, (T0 + 60_000) / 1000);
  assert.equal(resumedTask(timer, T0 + 3_600_000.4).run_nexttime, (T0 + 3_600_001) / 1000);
});

test('a cron task gets its runs from its expression after now, in its zone; parked is dropped', () => {
  const spec = {
    type: 'cron' as const,
    time: 0,
    limit: 0,
    command: 'true',
    cron: '0 30 3 * * *',
    tz: 'Europe/Berlin',
    misfire: 'once' as const,
  };
  const cron: Task = { ...spec, ...base, ...firstSchedule(spec, 100, T0), parked: T0 / 1000, paused: 1 };
  const nowMs = Date.parse('2026-12-10T12:00:00Z');
  const resumed = resumedTask(cron, nowMs);
  assert.equal(resumed.run_nexttime * 1000, Date.parse('2026-12-11T02:30:00Z'), '03:30 in Berlin (CET)');
  assert.equal(resumed.runs?.[0], Date.parse('2026-12-12T02:30:00Z') / 1000);
  assert.equal(resumed.runs?.length, 10);
  assert.equal(resumed.parked, undefined);
  assert.equal(resumed.paused, undefined);
  assert.equal(resumed.run_num, 4);
});
