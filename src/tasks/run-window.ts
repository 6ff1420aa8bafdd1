// `ktimer next KID --from DATE --until DATE -n N` (issue 25 item 7): a task's run times far
// ahead, so December can see what March's DST change does to a daily job. Pure: the stored task
// and the window in, the run times out, as `next` and the claim would have them (schedule.ts's
// upcomingRunTimes is the window that starts at the next run).
import { usageError } from '../errors.js';
import { periodMsOf } from '../runs/grid.js';
import { msOfSec } from '../runs/units.js';
import { cronTimesWithin } from './cron.js';
import { parseWindowTime, windowSec } from './human-time.js';
import type { Task } from './task.js';
import { parseWhole } from './task-rules.js';

/** `next -n` at most, with --from and --until as without. */
export const MAX_RUNS_AHEAD = 1000;
/**
 * Runs a limit is counted over before the window: a task with a limit, looked at far ahead,
 * has its earlier runs counted first (they use up the limit). More is refused, not guessed.
 */
export const MAX_RUNS_COUNTED = 100_000;

export interface RunWindow {
  /** The first run shown is at or after this (unix ms); none: the task's next run. */
  fromMs?: number;
  /** No run shown is after this (unix ms). */
  untilMs?: number;
  n: number;
}

/** --from, --until and -n as typed (a day, a date, `+30d`, `now`, unix seconds), checked; `now` is nowMs. */
export function parseRunWindow(
  input: { from?: string | undefined; until?: string | undefined; n?: string | undefined },
  tz: string,
  nowMs: number,
  defaultN = 10,
): RunWindow {
  const what = `a whole number from 1 to ${MAX_RUNS_AHEAD}`;
  const n = input.n === undefined ? defaultN : parseWhole('n', input.n, 1, what);
  if (n > MAX_RUNS_AHEAD) throw usageError(`n "${n}" is invalid; expected ${what}`);
  // A day alone (`--from 2027-03-27`) is its start, in the zone.
  const at = (name: string, value: string | undefined) =>
    value === undefined
      ? undefined
      : Math.round(
          windowSec(
            parseWindowTime(name, value.replace(/^\s*(\d{4}-\d{2}-\d{2})\s*$/, '$1T00:00'), tz),
            nowMs,
          ) * 1000,
        );
  const window: RunWindow = { n };
  const fromMs = at('from', input.from);
  const untilMs = at('until', input.until);
  if (fromMs !== undefined) window.fromMs = fromMs;
  if (untilMs !== undefined) window.untilMs = untilMs;
  if (fromMs !== undefined && untilMs !== undefined && untilMs < fromMs)
    throw usageError('until lies before from; give an until after the from');
  return window;
}

/**
 * The run times of `task` in the window, unix ms, at most `n`, and whether more follow within
 * it. Runs before the window that the task would make count against its limit.
 */
export function runTimesInWindow(task: Task, window: RunWindow): { times: number[]; more: boolean } {
  const untilMs = window.untilMs ?? Number.POSITIVE_INFINITY;
  const left =
    task.type === 'timer' ? 1 : task.limit > 0 ? task.limit - task.run_num : Number.POSITIVE_INFINITY;
  const times =
    task.type === 'cron' ? cronRuns(task, window, untilMs, left) : gridRuns(task, window, untilMs, left);
  return { times: times.slice(0, window.n), more: times.length > window.n };
}

/** A timer's one run, or a ticker's grid from its next run: n + 1 of them, the one more says "more". */
function gridRuns(task: Task, { fromMs, n }: RunWindow, untilMs: number, left: number): number[] {
  const nextMs = msOfSec(task.run_nexttime);
  if (task.type === 'timer') return nextMs >= (fromMs ?? nextMs) && nextMs <= untilMs ? [nextMs] : [];
  const periodMs = periodMsOf(task.time);
  const first = fromMs === undefined || fromMs <= nextMs ? 0 : Math.ceil((fromMs - nextMs) / periodMs);
  const times: number[] = [];
  for (let i = first; i < left && times.length <= n; i++) {
    const ms = nextMs + i * periodMs;
    if (ms > untilMs) break;
    times.push(ms);
  }
  return times;
}

function cronRuns(task: Task, { fromMs, n }: RunWindow, untilMs: number, left: number): number[] {
  const cron = task.cron ?? '';
  const tz = task.tz ?? '';
  // Parked: the next run is not known yet; from the first one due on, as a refill would.
  const startMs = msOfSec(task.parked ?? task.run_nexttime);
  const after = Math.max(startMs, fromMs ?? startMs) - 1;
  let room = left;
  if (Number.isFinite(left) && after >= startMs) {
    const before = cronTimesWithin(cron, tz, startMs - 1, after, Math.min(left, MAX_RUNS_COUNTED));
    if (before.length === MAX_RUNS_COUNTED && left > MAX_RUNS_COUNTED)
      throw usageError(
        `this task's limit cannot be counted that far ahead (over ${MAX_RUNS_COUNTED} runs before it); give an earlier from`,
      );
    room = left - before.length;
  }
  return cronTimesWithin(cron, tz, after, untilMs, Math.min(n + 1, room));
}
