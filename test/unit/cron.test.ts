// Cron expressions in time zones, on the 2026 DST transition days of Berlin and New York: a
// daily job runs exactly once each day (a skipped time at the first instant after the gap, a
// repeated time at its first occurrence), and an hourly job has no gap and no double.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMPILED_MAX, checkCron, checkZone, compiledCount, cronTimesAfter } from '../../src/tasks/cron.js';

const iso = (ms: number) => new Date(ms).toISOString().replace('.000', '');
const at = (text: string) => Date.parse(text);

/** Runs of `expr` in `tz` from `fromIso` (exclusive) to `toIso` (exclusive). */
function runsBetween(expr: string, tz: string, fromIso: string, toIso: string): string[] {
  return cronTimesAfter(expr, tz, at(fromIso) - 1, 100)
    .filter((ms) => ms < at(toIso))
    .map(iso);
}

const DAYS = [
  // zone, local transition day as UTC bounds of that local day, what a daily 02:30 does
  {
    tz: 'Europe/Berlin',
    what: 'spring forward',
    day: ['2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z'],
    daily: ['2026-03-29T01:00:00Z'],
    hours: 23,
  },
  {
    tz: 'Europe/Berlin',
    what: 'fall back',
    day: ['2026-10-24T22:00:00Z', '2026-10-25T23:00:00Z'],
    daily: ['2026-10-25T00:30:00Z'],
    hours: 25,
  },
  {
    tz: 'America/New_York',
    what: 'spring forward',
    day: ['2026-03-08T05:00:00Z', '2026-03-09T04:00:00Z'],
    daily: ['2026-03-08T07:00:00Z'],
    hours: 23,
  },
  {
    tz: 'America/New_York',
    what: 'fall back',
    day: ['2026-11-01T04:00:00Z', '2026-11-02T05:00:00Z'],
    daily: ['2026-11-01T07:30:00Z'],
    hours: 25,
  },
] as const;

for (const d of DAYS) {
  test(`${d.tz}, ${d.what} 2026: a daily 02:30 runs exactly once; an hourly job has no gap and no double`, () => {
    const [from, to] = d.day;
    assert.deepEqual(runsBetween('30 2 * * *', d.tz, from, to), d.daily);
    assert.deepEqual(runsBetween('0 30 2 * * *', d.tz, from, to), d.daily, 'the same with seconds first');
    const hourly = runsBetween('0 * * * *', d.tz, from, to).map(at);
    assert.equal(hourly.length, d.hours, 'one run per hour the day really has');
    for (let i = 1; i < hourly.length; i++)
      assert.equal((hourly[i] as number) - (hourly[i - 1] as number), 3_600_000);
  });
}

test('a time repeated by a fall back runs at its first occurrence only (New York 01:30)', () => {
  assert.deepEqual(
    runsBetween('30 1 * * *', 'America/New_York', '2026-11-01T04:00:00Z', '2026-11-02T05:00:00Z'),
    ['2026-11-01T05:30:00Z'],
  );
});

test('5 or 6 fields, nicknames, names, L and #; the rest is a usage error with the reason', () => {
  const first = (expr: string, tz = 'UTC') =>
    iso(cronTimesAfter(checkCron(expr, tz), tz, at('2026-12-01T00:00:00Z'), 1)[0] as number);
  assert.equal(first('*/15 * * * *'), '2026-12-01T00:15:00Z');
  assert.equal(first('30 * * * * *'), '2026-12-01T00:00:30Z');
  assert.equal(first('@hourly'), '2026-12-01T01:00:00Z');
  assert.equal(first('@daily'), '2026-12-02T00:00:00Z');
  assert.equal(first('@weekly'), '2026-12-06T00:00:00Z', 'Sunday');
  assert.equal(first('@monthly'), '2027-01-01T00:00:00Z');
  assert.equal(first('@yearly'), '2027-01-01T00:00:00Z');
  assert.equal(first('0 9 * DEC MON-FRI'), '2026-12-01T09:00:00Z');
  assert.equal(first('0 0 L * *'), '2026-12-31T00:00:00Z', 'last day of the month');
  assert.equal(first('0 0 * * FRI#2'), '2026-12-11T00:00:00Z', 'second Friday');
  assert.equal(first('0 30 3 * * *', 'Europe/Berlin'), '2026-12-01T02:30:00Z');
  const usage = (expr: string, tz: string, why: RegExp) =>
    assert.throws(
      () => checkCron(expr, tz),
      (err: Error & { code?: string }) => err.code === 'usage' && why.test(err.message),
    );
  usage('* * * *', 'UTC', /give 5 fields/);
  usage('0 0 0 * * * 2027', 'UTC', /give 5 fields/);
  usage('61 * * * *', 'UTC', /minute: 61/);
  usage('@sometimes', 'UTC', /@hourly, @daily/);
  usage('0 0 30 2 *', 'UTC', /never runs/);
  // Whether it runs is asked on local time (no zone's conversions): the zone changes nothing.
  usage('0 0 30 2 *', 'Europe/Berlin', /never runs/);
  assert.equal(
    checkCron('30 2 29 3 *', 'Europe/Berlin'),
    '30 2 29 3 *',
    'in the 2026 spring-forward gap: runs after it',
  );
  usage('* * * * *', 'Mars/Base', /time zone "Mars\/Base" is unknown/);
  assert.equal(checkZone('America/New_York'), 'America/New_York');
  assert.equal(checkZone('europe/berlin'), 'Europe/Berlin', 'stored as the platform spells it');
  // An alias is kept as written (issue 26: "Asia/Kolkata" showed as "Asia/Calcutta").
  assert.equal(checkZone('Asia/Kolkata'), 'Asia/Kolkata');
  assert.equal(checkZone('US/Eastern'), 'US/Eastern');
});

test('compiled expressions kept are bounded (each holds ~80 KiB of croner year table)', () => {
  const after = Date.UTC(2026, 0, 1);
  for (let i = 0; i < COMPILED_MAX + 100; i++) {
    const [next] = cronTimesAfter(`${i % 60} ${Math.floor(i / 60) % 24} * * *`, 'UTC', after, 1);
    assert.ok(next !== undefined && next > after);
  }
  assert.equal(compiledCount(), COMPILED_MAX);
});
