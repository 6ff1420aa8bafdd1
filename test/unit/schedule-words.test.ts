// A task's schedule in words and its times as ISO text, as list, get and next show them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextTable, runsInWords, taskTable } from '../../src/cli/format.js';
import { type TaskView, withSchedule } from '../../src/service/task-service.js';
import { isoInZone, localIso, shortIso, utcIso } from '../../src/tasks/iso-time.js';
import { intervalInWords, msOfSec, scheduleInWords } from '../../src/tasks/schedule-words.js';
import type { TaskWithKid } from '../../src/tasks/task.js';

const task = (over: Partial<TaskWithKid>): TaskWithKid => ({
  kid: 'a'.repeat(32),
  type: 'ticker',
  time: 5,
  limit: 0,
  command: 'true',
  run_num: 0,
  run_lasttime: 0,
  run_nexttime: Date.parse('2026-12-24T17:00:00Z') / 1000,
  ...over,
});

test('intervals in the largest whole unit', () => {
  assert.deepEqual([5, 59, 60, 90, 900, 3600, 5400, 7200, 86_400, 90_000, 172_800].map(intervalInWords), [
    '5s',
    '59s',
    '1m',
    '90s',
    '15m',
    '1h',
    '90m',
    '2h',
    '1d',
    '25h',
    '2d',
  ]);
});

test('the schedule in words: cron with its zone, every N for tickers, at a local time for timers', () => {
  const cron = task({ type: 'cron', time: 0, cron: '0 30 3 * * *', tz: 'Europe/Berlin' });
  assert.equal(scheduleInWords(cron), 'cron 0 30 3 * * * Europe/Berlin');
  assert.equal(scheduleInWords(task({ time: 5 })), 'every 5s');
  assert.equal(scheduleInWords(task({ time: 900 })), 'every 15m');
  assert.equal(scheduleInWords(task({ time: 7200 })), 'every 2h');
  // A timer at this machine's local time (the test runs in any zone): minutes when whole.
  const at = Date.parse('2026-12-24T17:00:00Z');
  const timer = scheduleInWords(task({ type: 'timer', limit: 1, run_nexttime: at / 1000 }));
  assert.equal(timer, `at ${shortIso(localIso(at), true)}`);
  assert.match(timer, /^at 2026-12-2\dT\d\d:00[+-]\d\d:\d\d$/);
  assert.equal(Date.parse(timer.slice(3)), at);
  const odd = scheduleInWords(task({ type: 'timer', limit: 1, run_nexttime: 1763941387.279 }));
  assert.match(odd, /:07\.279[+-]\d\d:\d\d$/, 'milliseconds kept');
});

test('ISO times in a zone carry its offset on both sides of a DST change; UTC ends in Z', () => {
  const berlin = (utc: string) => isoInZone(Date.parse(utc), 'Europe/Berlin');
  assert.equal(berlin('2026-03-29T00:59:59.500Z'), '2026-03-29T01:59:59.500+01:00');
  assert.equal(berlin('2026-03-29T01:00:00Z'), '2026-03-29T03:00:00.000+02:00');
  // 02:30 happens twice on 2026-10-25: the offset tells them apart.
  assert.equal(berlin('2026-10-25T00:30:00Z'), '2026-10-25T02:30:00.000+02:00');
  assert.equal(berlin('2026-10-25T01:30:00Z'), '2026-10-25T02:30:00.000+01:00');
  assert.equal(
    isoInZone(Date.parse('2026-12-24T17:00:00Z'), 'Asia/Kolkata'),
    '2026-12-24T22:30:00.000+05:30',
  );
  assert.equal(
    isoInZone(Date.parse('2026-03-08T07:00:00Z'), 'America/New_York'),
    '2026-03-08T03:00:00.000-04:00',
  );
  assert.equal(utcIso(Date.parse('2026-12-24T17:00:00Z')), '2026-12-24T17:00:00.000Z');
  assert.equal(shortIso('2026-12-24T17:00:00.000Z'), '2026-12-24T17:00:00Z');
  assert.equal(shortIso('2026-12-24T18:00:00.000+01:00', true), '2026-12-24T18:00+01:00');
  assert.equal(shortIso('2026-12-24T18:00:05.000+01:00', true), '2026-12-24T18:00:05+01:00');
  assert.equal(shortIso('2026-12-24T18:00:00.250+01:00', true), '2026-12-24T18:00:00.250+01:00');
  assert.equal(msOfSec(1763941387.279), 1763941387279);
});

test("list's table: SCHEDULE, RUNS (made/limit), LAST (how and when) and NEXT (in how long) columns", () => {
  const now = msOfSec(1796000000);
  const rows: TaskView[] = [
    {
      ...task({ time: 900, limit: 5, run_num: 3, run_nexttime: 1796000250 }),
      last_result: 'ok',
      last_ok: true,
      last_started: 1795999880,
    },
    {
      ...task({ time: 60, limit: 0, run_num: 7, run_nexttime: 1796000000 }),
      last_result: 'failed',
      last_ok: false,
      last_exit: 7,
      last_started: 1795999995,
    },
    task({ type: 'timer', limit: 1, run_nexttime: 1796003723 }),
    task({ type: 'cron', time: 0, cron: '*/5 * * * *', tz: 'UTC', parked: 1796000000 }),
  ];
  assert.deepEqual(rows.map(runsInWords), ['3/5', '7', '0/1', '0']);
  const lines = taskTable(rows, now).split('\n');
  assert.match(lines[0] ?? '', /^KID +NAME +TYPE +SCHEDULE +RUNS +LAST +NEXT +COMMAND$/);
  assert.match(lines[1] ?? '', /^a{32} {2}— {5}ticker {2}every 15m +3\/5 +ok 2m 0s ago +in 4m 10s +true$/);
  assert.match(lines[2] ?? '', / exit 7 5s ago +due +true$/);
  assert.match(lines[3] ?? '', / 0\/1 +— +in 1h 2m +true$/);
  assert.match(lines[4] ?? '', /^a{32} {2}— +cron +cron \*\/5 \* \* \* \* UTC +0 +— +computing +true$/);
  assert.equal(withSchedule(rows[0] as TaskWithKid).schedule, 'every 15m');
});

test("next's table: the schedule, then local and UTC a line; the end of the runs said", () => {
  const runs = [Date.parse('2026-03-28T02:30:00Z'), Date.parse('2026-03-29T01:30:00Z')].map((ms) => ({
    unix_ms: ms,
    utc: shortIso(utcIso(ms)),
    local: shortIso(isoInZone(ms, 'Europe/Berlin')),
  }));
  const next = {
    kid: 'a'.repeat(32),
    schedule: 'cron 0 30 3 * * * Europe/Berlin',
    tz: 'Europe/Berlin',
    runs,
  };
  assert.equal(
    nextTable({ ...next, more: true }),
    [
      'cron 0 30 3 * * * Europe/Berlin',
      'LOCAL (Europe/Berlin)      UTC',
      '2026-03-28T03:30:00+01:00  2026-03-28T02:30:00Z',
      '2026-03-29T03:30:00+02:00  2026-03-29T01:30:00Z',
    ].join('\n'),
  );
  assert.match(nextTable({ ...next, more: false }), /\nno runs after these\.$/);
  assert.match(nextTable({ ...next, runs: [], more: false }), /\nno runs ahead\.$/);
});
