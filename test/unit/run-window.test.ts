// `next --from --until -n` (issue 25 item 7): run times far ahead, as pure functions of the task
// and the window. The window that starts at the next run is schedule.ts's upcomingRunTimes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KtimerError } from '../../src/errors.js';
import { MAX_RUNS_AHEAD, parseRunWindow, runTimesInWindow } from '../../src/tasks/run-window.js';
import { upcomingRunTimes } from '../../src/tasks/schedule.js';
import type { Task } from '../../src/tasks/task.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000', '');
const base = { time: 0, limit: 0, command: 'x', run_num: 0, run_lasttime: 0 };
const daily: Task = {
  ...base,
  type: 'cron',
  cron: '0 30 2 * * *',
  tz: 'Europe/Berlin',
  misfire: 'once',
  run_nexttime: at('2026-12-02T01:30:00Z') / 1000,
};
const usage = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(
    fn,
    (err: unknown) => err instanceof KtimerError && err.code === 'usage' && pattern.test(err.message),
  );

test("in December, a daily 02:30 in Berlin shows March's DST change: 03:00 on the day 02:30 does not exist", () => {
  const { times, more } = runTimesInWindow(daily, { fromMs: at('2027-03-27T00:00:00+01:00'), n: 3 });
  assert.deepEqual(times.map(iso), ['2027-03-27T01:30:00Z', '2027-03-28T01:00:00Z', '2027-03-29T00:30:00Z']);
  assert.equal(more, true);
});

test('without a window: the next runs, as upcomingRunTimes (and `next`) give them', () => {
  for (const task of [
    daily,
    {
      ...base,
      type: 'ticker' as const,
      time: 300,
      misfire: 'once' as const,
      run_nexttime: 1_800_000_000.25,
      limit: 7,
      run_num: 2,
    },
    { ...base, type: 'timer' as const, time: 60, limit: 1, run_nexttime: 1_800_000_000 },
  ])
    assert.deepEqual(runTimesInWindow(task, { n: 10 }).times, upcomingRunTimes(task, 10), task.type);
});

test('until bounds the runs; more says whether runs follow within it', () => {
  const window = { fromMs: at('2027-01-01T00:00:00Z'), untilMs: at('2027-01-03T01:30:00Z'), n: 10 };
  assert.deepEqual(runTimesInWindow(daily, window), {
    times: [at('2027-01-01T01:30:00Z'), at('2027-01-02T01:30:00Z'), at('2027-01-03T01:30:00Z')],
    more: false,
  });
  assert.equal(runTimesInWindow(daily, { ...window, n: 2 }).more, true);
  // A yearly job over ten years ends at until, not at n.
  const yearly = { ...daily, cron: '0 0 0 1 1 *', run_nexttime: at('2026-12-31T23:00:00Z') / 1000 };
  assert.equal(
    runTimesInWindow(yearly, { untilMs: at('2036-06-01T00:00:00Z'), n: MAX_RUNS_AHEAD }).times.length,
    10,
  );
});

test('a ticker keeps its grid from its next run; a timer shows its one run if in the window', () => {
  const ticker: Task = {
    ...base,
    type: 'ticker',
    time: 3600,
    misfire: 'once',
    run_nexttime: at('2027-01-01T00:10:00Z') / 1000,
  };
  assert.deepEqual(runTimesInWindow(ticker, { fromMs: at('2027-06-01T12:00:00Z'), n: 2 }).times.map(iso), [
    '2027-06-01T12:10:00Z',
    '2027-06-01T13:10:00Z',
  ]);
  const timer: Task = {
    ...base,
    type: 'timer',
    time: 60,
    limit: 1,
    run_nexttime: at('2027-01-01T00:00:00Z') / 1000,
  };
  assert.deepEqual(runTimesInWindow(timer, { fromMs: at('2026-01-01T00:00:00Z'), n: 5 }).times, [
    at('2027-01-01T00:00:00Z'),
  ]);
  assert.deepEqual(runTimesInWindow(timer, { fromMs: at('2027-01-01T00:00:01Z'), n: 5 }).times, []);
  assert.deepEqual(runTimesInWindow(timer, { untilMs: at('2026-12-31T00:00:00Z'), n: 5 }).times, []);
});

test('runs before the window use up the limit', () => {
  const limited = { ...daily, limit: 10, run_num: 3 }; // 7 runs left: Dec 2 .. Dec 8
  assert.deepEqual(runTimesInWindow(limited, { fromMs: at('2026-12-07T00:00:00Z'), n: 5 }).times.map(iso), [
    '2026-12-07T01:30:00Z',
    '2026-12-08T01:30:00Z',
  ]);
  assert.deepEqual(runTimesInWindow(limited, { fromMs: at('2027-01-01T00:00:00Z'), n: 5 }), {
    times: [],
    more: false,
  });
  const ticker: Task = { ...base, type: 'ticker', time: 60, limit: 5, misfire: 'once', run_nexttime: 1000 };
  assert.deepEqual(
    runTimesInWindow(ticker, { fromMs: 1_000_000 + 180_000, n: 5 }).times,
    [1_180_000, 1_240_000],
  );
  const minutely = { ...daily, cron: '0 * * * * *', limit: 1_000_000_000 };
  usage(
    () => runTimesInWindow(minutely, { fromMs: at('2030-01-01T00:00:00Z'), n: 5 }),
    /limit cannot be counted that far ahead/,
  );
});

test('a parked cron task starts from its first run due, as a refill would', () => {
  const parked = {
    ...daily,
    parked: at('2026-11-30T01:30:00Z') / 1000,
    run_nexttime: at('2026-12-05T00:00:00Z') / 1000,
  };
  assert.deepEqual(runTimesInWindow(parked, { n: 2 }).times, upcomingRunTimes(parked, 2));
});

test('--from, --until and -n as typed: dates in the zone, +delays, now, unix seconds; checked', () => {
  const now = at('2026-12-01T12:00:00Z');
  assert.deepEqual(parseRunWindow({ from: '2027-03-27', until: '+120d', n: '1000' }, 'Europe/Berlin', now), {
    fromMs: at('2027-03-26T23:00:00Z'),
    untilMs: now + 120 * 86_400_000,
    n: 1000,
  });
  assert.deepEqual(parseRunWindow({ from: 'now', until: '1800000000' }, 'UTC', now), {
    fromMs: now,
    untilMs: 1_800_000_000_000,
    n: 10,
  });
  usage(
    () => parseRunWindow({ n: '1001' }, 'UTC', now),
    /n "1001" is invalid; expected a whole number from 1 to 1000/,
  );
  usage(() => parseRunWindow({ from: '+2d', until: '+1d' }, 'UTC', now), /until lies before from/);
  usage(() => parseRunWindow({ from: 'tomorrow' }, 'UTC', now), /from "tomorrow" is invalid/);
});
