// A task's schedule in words, as `list`, `get` and `next` show it: `cron 0 30 3 * * *
// Europe/Berlin`, `every 5s` (`every 15m`, `every 2h` when whole), `at 2026-12-24T18:00+01:00`.
import { msOfSec } from '../runs/units.js';
import { localIso, shortIso } from './iso-time.js';
import type { Task } from './task.js';

const UNITS: [suffix: string, sec: number][] = [
  ['d', 86_400],
  ['h', 3600],
  ['m', 60],
];

/** 5s, 90s, 15m, 2h, 1d: the largest unit that divides it whole. */
export function intervalInWords(sec: number): string {
  const unit = UNITS.find(([, size]) => sec >= size && sec % size === 0);
  return unit ? `${sec / unit[1]}${unit[0]}` : `${sec}s`;
}

// Unix seconds with millisecond precision (run_* fields) as whole ms (1.005 * 1000 is 1004.99...).
export { msOfSec };

export function scheduleInWords(task: Task): string {
  if (task.type === 'cron') return `cron ${task.cron ?? ''} ${task.tz ?? ''}`;
  if (task.type === 'ticker') return `every ${intervalInWords(task.time)}`;
  // A timer: when, in this machine's zone (as list's NEXT RUN).
  return `at ${shortIso(localIso(msOfSec(task.run_nexttime)), true)}`;
}
