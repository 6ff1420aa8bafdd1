// Calendar schedules: cron expressions in an IANA time zone, through croner (expressions, zones
// and DST; no date arithmetic of our own). Pure: "after" is always an argument.
//
// DST, as croner does it and the tests pin: a job at a fixed local time (single values for
// seconds, minutes and hours, such as 02:30) runs once a day: at the first instant after a
// spring-forward gap, and at the first occurrence of a time that happens twice. Other jobs
// (every 15 minutes, hourly) follow the clock in absolute time: no gap, no double.
import { Cron, CronDate } from 'croner';
import { usageError } from '../errors.js';
import { oneLine } from '../text.js';
import { canonicalZone } from '../time-zone.js';

const NICKNAMES = ['@yearly', '@monthly', '@weekly', '@daily', '@hourly'];
const CACHE_MAX = 10_000;
/**
 * Compiled expressions kept: fewer, as each holds croner's year table (10,000 entries, about
 * 80 KiB): 10,000 of them were 800 MB in a daemon with that many distinct expressions.
 */
export const COMPILED_MAX = 500;
const compiled = new Map<string, Cron>();

/** How many compiled expressions are kept now (for the test of the bound). */
export const compiledCount = (): number => compiled.size;

/** An IANA zone name as the platform spells it, or a usage error saying it is unknown. */
export function checkZone(tz: string): string {
  const zone = canonicalZone(tz);
  if (zone === null) {
    throw usageError(
      `time zone "${oneLine(tz, 43)}" is unknown; give an IANA name such as Europe/Berlin or UTC`,
    );
  }
  return zone;
}

/** Expressions found good, by expression and zone: a file of thousands of tasks shares a few. */
const checked = new Set<string>();

/** The expression, checked in `tz`: 5 fields (minutes) or 6 (seconds first), or a nickname. */
export function checkCron(expr: string, tz: string): string {
  const text = expr.trim().replace(/\s+/g, ' ');
  const key = `${text}\u0000${tz}`;
  if (checked.has(key)) return text;
  const fields = text.split(' ').length;
  if (text.startsWith('@') ? !NICKNAMES.includes(text.toLowerCase()) : fields < 5 || fields > 6) {
    throw usageError(
      `cron "${oneLine(expr, 43)}" is invalid: give 5 fields (minute hour day month weekday), ` +
        `6 (second first), or @hourly, @daily, @weekly, @monthly, @yearly`,
    );
  }
  checkZone(tz);
  // Whether it ever runs is a matter of its day and month fields, not of the zone (croner runs a
  // time a DST gap skips at the gap's end): asked on local time, without the zone's Intl
  // conversions, it costs a fraction (a file of thousands of tasks checks each expression).
  const job = cronOf(text, undefined);
  if (job.nextRun(new Date(0)) === null)
    throw usageError(`cron "${oneLine(expr, 43)}" never runs; check its day and month fields`);
  if (checked.size >= CACHE_MAX) checked.clear();
  checked.add(key);
  return text;
}

/**
 * The next `n` run times strictly after `afterMs`, unix ms (fewer if the expression ends). Kept
 * for a while: after a restart, the many tasks sharing an expression ask for the same times.
 */
export function cronTimesAfter(expr: string, tz: string, afterMs: number, n: number): readonly number[] {
  const key = `${expr}\u0000${tz}\u0000${afterMs}\u0000${n}`;
  let times = recent.get(key);
  if (!times) {
    times = cronTimesWithin(expr, tz, afterMs, Number.POSITIVE_INFINITY, n);
    if (recent.size >= CACHE_MAX) recent.delete(recent.keys().next().value as string);
    recent.set(key, times);
  }
  return times;
}

const recent = new Map<string, readonly number[]>();

/**
 * Up to `n` run times after `afterMs` and at or before `untilMs`, unix ms. Not kept (a far look
 * ahead, `next --from`, is asked once): the walk stops at `untilMs` or at `n`, whichever first.
 */
export function cronTimesWithin(
  expr: string,
  tz: string,
  afterMs: number,
  untilMs: number,
  n: number,
): number[] {
  const job = cronOf(expr, tz);
  const times: number[] = [];
  let from = new Date(afterMs);
  while (times.length < n) {
    const next = job.nextRun(from);
    if (!next || next.getTime() > untilMs) break;
    times.push(next.getTime());
    from = next;
  }
  return times;
}

/** Up to `n` run times at or before `atMs`, oldest first, unix ms. */
export function cronTimesUpTo(expr: string, tz: string, atMs: number, n: number): number[] {
  // croner counts a run earlier in the same second as the reference: one ms on includes `atMs`.
  return cronOf(expr, tz)
    .previousRuns(n, new Date(atMs + 1))
    .map((d) => d.getTime())
    .filter((ms) => ms <= atMs)
    .reverse();
}

/**
 * A local date-time (`2026-12-24T18:00:00`, valid calendar date) in `tz`, as unix ms. A time a
 * spring-forward gap skips is read an hour on; one that happens twice, at its first occurrence.
 */
export function localTimeMs(local: string, tz: string): number {
  return new CronDate(local, checkZone(tz)).getDate().getTime();
}

/**
 * Compiled once per expression and zone (undefined: local time, for checks that no zone
 * changes): compiling costs about as much as finding a run.
 */
function cronOf(expr: string, tz: string | undefined): Cron {
  const key = `${expr}\u0000${tz ?? ''}`;
  let job = compiled.get(key);
  if (!job) {
    try {
      job = new Cron(expr, { paused: true, timezone: tz, mode: '5-or-6-parts' });
    } catch (err) {
      const why = (err instanceof Error ? err.message : String(err)).replace(/^CronPattern: /, '');
      throw usageError(`cron "${oneLine(expr, 43)}" is invalid: ${oneLine(why, 120)}`);
    }
    if (compiled.size >= COMPILED_MAX) compiled.delete(compiled.keys().next().value as string);
    compiled.set(key, job);
  }
  return job;
}
