// When a task runs, for all three types, as pure functions of the task and "now": the first run
// of a new task, the run times a cron task carries ahead (and their refill), and the upcoming
// run times that `ktimer next` shows. The claim (store/lua/claim.lua) follows the same rules in
// Redis: a ticker's grid is src/runs/grid.ts, which both use.
import { MAX_CATCH_UP } from '../runs/fire.js';
import { nextSlotMs, periodMsOf } from '../runs/grid.js';
import { msOfSec, secOfMs as toSec } from '../runs/units.js';
import { cronTimesAfter, cronTimesUpTo, cronTimesWithin } from './cron.js';
import type { Misfire, Task, TaskSpec, TaskType } from './task.js';
import { usageError } from '../errors.js';
import { parseTaskSpec, type TaskInput, type TaskRules } from './task-rules.js';

/** Run times a cron task carries after its next one; the claim asks for more below CRON_LOW_WATER. */
export const CRON_AHEAD = 10;
export const CRON_LOW_WATER = 3;

/**
 * When a timer or ticker with `time` first runs: a delay up to task_max_day days, else an
 * absolute unix timestamp that lies ahead and within task_max_day days (timers only).
 */
export function firstRunMs(type: TaskType, time: number, maxDay: number, nowMs: number): number {
  const maxDelaySec = maxDay * 86400;
  if (time <= maxDelaySec) return nowMs + time * 1000;
  if (type !== 'timer') {
    throw usageError(
      `time ${time} is invalid for a ${type}: it is the interval in seconds, at most ${maxDelaySec} (task_max_day = ${maxDay})`,
    );
  }
  const nowSec = nowMs / 1000;
  if (time <= nowSec) {
    throw usageError(
      `time ${time} is a unix timestamp in the past (now is ${Math.floor(nowSec)}); give a later one or a delay`,
    );
  }
  if (time > nowSec + maxDelaySec) {
    throw usageError(
      `time ${time} lies more than ${maxDay} days ahead (task_max_day); give an earlier timestamp`,
    );
  }
  return time * 1000;
}

/** A new task from user input: its checked spec and its first run (unix ms). */
export function parseNewTask(
  input: TaskInput,
  rules: TaskRules,
  nowMs: number,
): { spec: TaskSpec; nextRunMs: number } {
  const spec = parseTaskSpec(input, rules);
  return { spec, nextRunMs: msOfSec(firstSchedule(spec, rules.maxDay, nowMs).run_nexttime) };
}

/** Where a new task starts: its first run and, for cron, the run times it carries after it. */
export function firstSchedule(
  spec: TaskSpec,
  maxDay: number,
  nowMs: number,
): Pick<Task, 'run_nexttime' | 'runs'> {
  if (spec.type !== 'cron') return { run_nexttime: toSec(firstRunMs(spec.type, spec.time, maxDay, nowMs)) };
  const [first, ...times] = cronTimesAfter(spec.cron ?? '', spec.tz ?? '', nowMs, CRON_AHEAD + 1).map(toSec);
  return { run_nexttime: first ?? 0, runs: times };
}

/** Runs of a task that were not fired, as the daemon logs them. */
export interface Missed {
  policy: Misfire;
  /** The first run not fired, unix ms. */
  firstDueMs: number;
  nextDueMs: number;
  /** How many (a parked cron task's: counted up to MISSED_COUNTED). */
  count: number | null;
  /** The last run not fired, unix ms (a parked cron task's; the claim finds the others'). */
  lastDueMs?: number;
}

/**
 * A parked cron task's missed runs are counted up to this many (a minutely job down for a week
 * is 10,080): a calendar walk on the daemon's thread, once per gap.
 */
export const MISSED_COUNTED = 20_000;

/**
 * A cron task with more run times: topped up to CRON_AHEAD, or, when the claim parked it (it
 * knew no run after those due), scheduled anew from the first run due by its misfire policy:
 * `once` fires that run and goes on after now, `skip` goes on after now, `all` fires the runs
 * due (the latest MAX_CATCH_UP) first. Null when it is not a cron task.
 */
export function refillCron(task: Task, nowMs: number): { task: Task; missed: Missed | null } | null {
  if (task.type !== 'cron' || task.cron === undefined || task.tz === undefined) return null;
  const { cron, tz } = task;
  const carried = task.runs ?? [];
  if (task.parked === undefined) {
    const lastMs = msOfSec(carried.at(-1) ?? task.run_nexttime);
    const more = cronTimesAfter(cron, tz, lastMs, Math.max(0, CRON_AHEAD - carried.length)).map(toSec);
    return { task: { ...task, runs: [...carried, ...more] }, missed: null };
  }
  const firstDueMs = msOfSec(task.parked);
  const future = cronTimesAfter(cron, tz, nowMs, CRON_AHEAD + 1);
  const policy = task.misfire ?? 'once';
  let queue: number[];
  let gap: [first: number, last: number] | null = null;
  let nextDueMs = future[0] ?? 0;
  const lastDue = (atMs: number) => cronTimesUpTo(cron, tz, atMs, 1)[0];
  if (policy === 'all') {
    const due = cronTimesUpTo(cron, tz, nowMs, MAX_CATCH_UP).filter((ms) => ms >= firstDueMs);
    const before = due[0] === undefined ? undefined : lastDue(due[0] - 1);
    if (due.length === MAX_CATCH_UP && before !== undefined && before >= firstDueMs)
      gap = [firstDueMs, before];
    nextDueMs = due[0] ?? nextDueMs;
    queue = [...due, ...future];
  } else if (policy === 'once') {
    // The first run due fires; those after it up to now do not.
    queue = [firstDueMs, ...future];
    const after = cronTimesAfter(cron, tz, firstDueMs, 1)[0];
    if (after !== undefined && after <= nowMs) gap = [after, lastDue(nowMs) ?? after];
  } else {
    queue = [...future];
    gap = [firstDueMs, lastDue(nowMs) ?? firstDueMs];
  }
  const missed = gap && missedOf(cron, tz, policy, gap, nextDueMs);
  const [next, ...times] = queue.map(toSec);
  const { parked: _, ...rest } = task;
  return { task: { ...rest, run_nexttime: next ?? 0, runs: times }, missed };
}

/** A parked cron task's gap of runs not fired, [first, last], counted. */
function missedOf(
  cron: string,
  tz: string,
  policy: Misfire,
  [first, last]: [number, number],
  nextDueMs: number,
): Missed {
  const count = cronTimesWithin(cron, tz, first - 1, last, MISSED_COUNTED).length;
  return { policy, firstDueMs: first, lastDueMs: last, nextDueMs, count: Math.max(count, 1) };
}

/** The next `n` run times of a stored task, unix ms, as far as its limit allows. */
export function upcomingRunTimes(task: Task, n: number): number[] {
  const left = task.type === 'timer' ? 1 : task.limit > 0 ? task.limit - task.run_num : n;
  const count = Math.max(0, Math.min(n, left));
  if (count === 0) return [];
  const nextMs = msOfSec(task.run_nexttime);
  if (task.type === 'timer') return [nextMs];
  if (task.type === 'ticker') {
    const periodMs = periodMsOf(task.time);
    return Array.from({ length: count }, (_, i) => nextMs + i * periodMs);
  }
  const cron = task.cron ?? '';
  const tz = task.tz ?? '';
  // Parked: the next run is not known yet; from the first one due on, as a refill would.
  if (task.parked !== undefined) return [...cronTimesAfter(cron, tz, msOfSec(task.parked) - 1, count)];
  return [nextMs, ...cronTimesAfter(cron, tz, nextMs, count - 1)];
}

/**
 * A paused task resumed at `nowMs` (docs/steering.md): no longer paused, and its next
 * run the first of its own schedule after now, so the runs it missed while paused never fire.
 * A ticker keeps its grid (first due + n x time); a cron task gets its run times from its
 * expression anew. A timer keeps its time if still ahead; one whose time passed while paused
 * fires once, now: it never ran, and a one-shot job held back is still wanted.
 */
export function resumedTask(task: Task, nowMs: number): Task {
  const { paused: _paused, parked: _parked, runs: _runs, ...rest } = task;
  const dueMs = msOfSec(task.run_nexttime);
  if (task.type === 'timer') return { ...rest, run_nexttime: toSec(Math.max(dueMs, Math.ceil(nowMs))) };
  if (task.type === 'ticker') {
    if (dueMs > nowMs) return { ...rest, run_nexttime: task.run_nexttime };
    return { ...rest, run_nexttime: toSec(nextSlotMs(dueMs, nowMs, periodMsOf(task.time))) };
  }
  return { ...rest, ...firstSchedule(task, 0, nowMs) };
}
