// The task form's checks, made in the page before anything is sent: every field at once, each
// error for its own field (the server checks again, as add and update do; a message it gives is
// put at the field it names). A schedule that does not pass them is not sent for a preview.

export const FIELDS = [
  'name',
  'type',
  'time',
  'cron',
  'tz',
  'limit',
  'misfire',
  'timeout',
  'overlap',
  'retries',
  'retry_delay',
  'command',
] as const;
export type FieldName = (typeof FIELDS)[number];
export type Values = Record<FieldName, string>;
export type FieldErrors = Partial<Record<FieldName, string>>;

const NAME = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;
const NICKNAMES = ['@yearly', '@monthly', '@weekly', '@daily', '@hourly'];

function whole(value: string, min: number, max: number, what: string): string | null {
  if (value === '') return null;
  const n = Number(value);
  return /^\d+$/.test(value) && n >= min && n <= max ? null : `${what}: a whole number from ${min} to ${max}`;
}

export function isZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Errors of the fields that say when the task runs (the preview's). */
export function scheduleErrors(v: Values, dueMs: number | null, nowMs: number): FieldErrors {
  const e: FieldErrors = {};
  if (v.type === 'timer') {
    if (dueMs === null) e.time = 'Give the date and time it runs at';
    else if (dueMs < nowMs - 1000) e.time = 'This time is in the past; give one to come';
  } else if (v.type === 'ticker') {
    const bad =
      v.time === '' ? 'Give the interval in seconds' : whole(v.time, 1, 31_536_000, 'Interval in seconds');
    if (bad) e.time = bad;
  } else {
    const fields = v.cron
      .trim()
      .split(/\s+/)
      .filter((f) => f !== '').length;
    if (v.cron.trim() === '') e.cron = 'Give a cron expression';
    else if (
      v.cron.trim().startsWith('@')
        ? !NICKNAMES.includes(v.cron.trim().toLowerCase())
        : fields < 5 || fields > 6
    )
      e.cron =
        'Give 5 fields (minute hour day month weekday), 6 with seconds first, or @hourly, @daily, @weekly, @monthly, @yearly';
    if (v.tz !== '' && !isZone(v.tz))
      e.tz = `Unknown time zone "${v.tz.slice(0, 40)}"; give an IANA name such as Europe/Berlin`;
  }
  if (v.type !== 'timer') {
    const bad = whole(v.limit, 0, 1_000_000_000, 'Limit');
    if (bad) e.limit = bad;
  }
  return e;
}

/** Every field's error, all at once. */
export function formErrors(v: Values, dueMs: number | null, nowMs: number): FieldErrors {
  const e = scheduleErrors(v, dueMs, nowMs);
  if (v.name !== '' && !NAME.test(v.name))
    e.name = 'A name is a letter, then letters, digits, . _ or - (at most 64 characters)';
  const checks: [FieldName, number, number, string][] = [
    ['timeout', 1, 604_800, 'Timeout in seconds'],
    ['retries', 0, 100, 'Retries'],
    ['retry_delay', 1, 3600, 'Retry delay in seconds'],
  ];
  for (const [f, min, max, what] of checks) {
    const bad = whole(v[f], min, max, what);
    if (bad) e[f] = bad;
  }
  if (v.command === '') e.command = 'Give a shell command or an http(s) URL';
  return e;
}

/** The field a message of the server is about (its messages begin with the parameter's name). */
export function fieldOfMessage(message: string): FieldName | null {
  const m = message.toLowerCase();
  if (m.startsWith('time zone') || m.startsWith('tz ')) return 'tz';
  return FIELDS.find((f) => m.startsWith(`${f} `) || m.startsWith(`${f}:`) || m.startsWith(`-${f}`)) ?? null;
}

/** A datetime-local value (`2026-12-24T18:00:05`) as unix ms, read in this browser's zone or UTC. */
export function dueMsOf(value: string, utc: boolean): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return null;
  const ms = new Date(utc ? `${value}Z` : value).getTime();
  return Number.isFinite(ms) ? ms : null;
}

/** Unix ms as a datetime-local value, to the second, in this browser's zone or UTC. */
export function dateValueOf(ms: number, utc: boolean): string {
  const d = new Date(Math.round(ms / 1000) * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const [y, mo, da, hh, mi, ss] = utc
    ? [
        d.getUTCFullYear(),
        d.getUTCMonth() + 1,
        d.getUTCDate(),
        d.getUTCHours(),
        d.getUTCMinutes(),
        d.getUTCSeconds(),
      ]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
  return `${y}-${pad(mo)}-${pad(da)}T${pad(hh)}:${pad(mi)}:${pad(ss)}`;
}
