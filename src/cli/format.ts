// Human output of tasks: the tables of `list` and `next`, and the schedule in words beside the
// stored fields (get, list --json).
import type { DaemonView } from '../service/fleet-service.js';
import type { NextRuns, TaskView } from '../service/task-service.js';
import { hostLabel } from '../labels.js';
import type { RunRecord, RunSummary } from '../store/open-store.js';
import { runOfFireId } from '../runs/ids.js';
import { localIso } from '../tasks/iso-time.js';
import { msOfSec, scheduleInWords } from '../tasks/schedule-words.js';
import type { TaskWithKid } from '../tasks/task.js';
import { oneLine } from '../text.js';
import { durationInWords, lastInWords, outcomeInWords, spanInWords, triggerInWords } from './run-words.js';

/** Runs made, of how many: `3/5`, or `3` without end. */
export const runsInWords = (t: TaskWithKid): string =>
  t.type === 'timer' ? `${t.run_num}/1` : t.limit > 0 ? `${t.run_num}/${t.limit}` : String(t.run_num);

/** The task as stored, with `name` and `timeout` and its schedule in words (the JSON of get and list). */

/** Columns padded to their widest cell, two spaces apart; the last one is not padded. */
export function table(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** list's NEXT column: `in 4m 10s` (`due` when it is, `computing` for a parked cron task). */
export function nextInWords(t: TaskWithKid, nowMs: number): string {
  if (t.paused !== undefined) return 'paused';
  if (t.parked !== undefined) return 'computing';
  const ms = msOfSec(t.run_nexttime) - nowMs;
  return ms <= 0 ? 'due' : `in ${spanInWords(ms)}`;
}

export function taskTable(tasks: readonly TaskView[], nowMs: number): string {
  // GROUP and ON only when a task of the page has one: most fleets use neither.
  const grouped = tasks.some((t) => t.group !== undefined);
  const placed = tasks.some((t) => t.on !== undefined);
  const rows = tasks.map((t) => [
    t.kid,
    t.name === undefined ? '—' : oneLine(t.name, 64),
    ...(grouped ? [t.group ?? '—'] : []),
    ...(placed ? [t.on === undefined ? '—' : `${t.on.join(',')}${t.no_daemon ? ' (no daemon)' : ''}`] : []),
    t.type,
    oneLine(scheduleInWords(t), 60),
    runsInWords(t),
    lastInWords(t, nowMs),
    nextInWords(t, nowMs),
    oneLine(t.command, 60),
  ]);
  const heads = ['KID', 'NAME', ...(grouped ? ['GROUP'] : []), ...(placed ? ['ON'] : [])];
  return table([...heads, 'TYPE', 'SCHEDULE', 'RUNS', 'LAST', 'NEXT', 'COMMAND'], rows);
}

/** `ktimer history`: a task's runs, latest start first. */
export function historyTable(runs: readonly RunRecord[]): string {
  const rows = runs.map((r) => [
    r.result === 'missed' ? '—' : runOfFireId(r.fire_id),
    r.started === undefined ? '' : localIso(r.started * 1000),
    triggerInWords(r),
    outcomeInWords(r),
    durationInWords(r.duration_ms),
    r.lateness_ms === undefined ? '' : `${r.lateness_ms} ms`,
    r.host,
    r.result === 'missed' ? gapInWords(r) : oneLine(r.error ?? '', 60),
  ]);
  return table(['RUN', 'STARTED', 'BY', 'RESULT', 'DURATION', 'LATE', 'HOST', 'ERROR'], rows);
}

/** A missed record's span: `due 10:00:05 .. 10:04:55 (misfire=once)`. */
export function gapInWords(r: Partial<Pick<RunRecord, 'due' | 'last_due' | 'error'>>): string {
  if (r.due === undefined) return '';
  const first = localIso(r.due * 1000);
  const last = r.last_due === undefined || r.last_due === r.due ? '' : ` .. ${localIso(r.last_due * 1000)}`;
  return `due ${first}${last}${r.error ? ` (${oneLine(r.error, 40)})` : ''}`;
}

/** `ktimer runs`: runs of every task, latest start first. */
export function runsTable(runs: readonly RunSummary[]): string {
  const rows = runs.map((r) => [
    r.started === undefined ? '' : localIso(r.started * 1000),
    r.fire_id,
    triggerInWords(r),
    r.result === 'missed' ? `${outcomeInWords(r)}: ${gapInWords(r)}` : outcomeInWords(r),
    durationInWords(r.duration_ms),
    r.host,
  ]);
  return table(['STARTED', 'FIRE', 'BY', 'RESULT', 'DURATION', 'HOST'], rows);
}

/** `ktimer next`: the schedule in words, then one run a line, local and UTC. */
export function nextTable(next: NextRuns): string {
  if (next.paused !== undefined) {
    const since = localIso(Math.round(next.paused * 1000));
    return `${oneLine(next.schedule, 120)}\npaused since ${since}: no runs until \`ktimer resume ${next.kid}\`.`;
  }
  const rows = next.runs.map((r) => [r.local, r.utc]);
  const window = next.until_ms !== undefined;
  const end = next.more
    ? []
    : [
        next.runs.length === 0
          ? `no runs ${window ? 'in that window' : 'ahead'}.`
          : `no runs after these${window ? ' in that window' : ''}.`,
      ];
  return [oneLine(next.schedule, 120), table([`LOCAL (${next.tz})`, 'UTC'], rows), ...end].join('\n');
}

/** `ktimer daemons`: live ones first, each by name; host:<name> goes without saying. */
export function daemonsTable(daemons: readonly DaemonView[]): string {
  const rows = daemons.map((d) => [
    d.name,
    d.state === 'live' ? 'live' : `gone ${spanInWords(d.seen_age_ms)}`,
    d.host,
    String(d.pid),
    d.labels.filter((l) => l !== hostLabel(d.name)).join(',') || '—',
    d.version,
    localIso(Math.round(d.started * 1000)),
    d.last_claim_age_ms === null ? 'not yet' : `${spanInWords(d.last_claim_age_ms)} ago`,
    String(d.running),
    d.settings_differ ? `differ: ${d.settings_differ_in.join(', ')}` : 'same',
  ]);
  return table(
    ['NAME', 'STATE', 'HOST', 'PID', 'LABELS', 'VERSION', 'STARTED', 'CLAIMED', 'RUNNING', 'SETTINGS'],
    rows,
  );
}
