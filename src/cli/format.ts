// Human output of tasks: the tables of `list` and `next`, and the schedule in words beside the
// stored fields (get, list --json).
import type { NextRuns } from '../service/task-service.js';
import { localIso } from '../tasks/iso-time.js';
import { msOfSec, scheduleInWords } from '../tasks/schedule-words.js';
import type { TaskWithKid } from '../tasks/task.js';
import { oneLine } from '../text.js';

/** Runs made, of how many: `3/5`, or `3` without end. */
export const runsInWords = (t: TaskWithKid): string =>
  t.type === 'timer' ? `${t.run_num}/1` : t.limit > 0 ? `${t.run_num}/${t.limit}` : String(t.run_num);

/**
 * When it runs next, local time. A parked cron task's run_nexttime is only when the daemon looks
 * again: its next run is being computed.
 */
export const nextRunInWords = (t: TaskWithKid): string =>
  t.parked !== undefined ? 'computing' : localIso(msOfSec(t.run_nexttime));

/** The task as stored, with its schedule in words (the JSON of get and list). */
export const withSchedule = (t: TaskWithKid): TaskWithKid & { schedule: string } => ({
  ...t,
  schedule: scheduleInWords(t),
});

/** Columns padded to their widest cell, two spaces apart; the last one is not padded. */
function table(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function taskTable(tasks: readonly TaskWithKid[]): string {
  const rows = tasks.map((t) => [
    t.kid,
    t.type,
    oneLine(scheduleInWords(t), 60),
    runsInWords(t),
    nextRunInWords(t),
    oneLine(t.command, 60),
  ]);
  return table(['KID', 'TYPE', 'SCHEDULE', 'RUNS', 'NEXT RUN', 'COMMAND'], rows);
}

/** `ktimer next`: the schedule in words, then one run a line, local and UTC. */
export function nextTable(next: NextRuns): string {
  const rows = next.runs.map((r) => [r.local, r.utc]);
  const end = next.more ? [] : [next.runs.length === 0 ? 'no runs ahead.' : 'no runs after these.'];
  return [oneLine(next.schedule, 120), table([`LOCAL (${next.tz})`, 'UTC'], rows), ...end].join('\n');
}
