// Human output: local ISO times and the task table of `list`.
import type { TaskWithKid } from '../tasks/task.js';
import { oneLine } from '../text.js';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** 2026-11-23T23:45:01.123+01:00: local time with its offset, so it reads and sorts right. */
export function localIso(ms: number): string {
  const d = new Date(ms);
  const offsetMin = -d.getTimezoneOffset();
  const sign = offsetMin >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

export function taskTable(tasks: readonly TaskWithKid[]): string {
  const header = ['KID', 'TYPE', 'TIME', 'LIMIT', 'RUNS', 'NEXT RUN', 'COMMAND'];
  const rows = tasks.map((t) => [
    t.kid,
    t.type,
    String(t.time),
    String(t.limit),
    String(t.run_num),
    localIso(t.run_nexttime * 1000),
    oneLine(t.command, 60),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
