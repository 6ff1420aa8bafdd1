// Instants as ISO 8601 text for people: in this machine's zone, in a named IANA zone, in UTC.
// Local time always carries its offset, so it reads and sorts right.

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function compose(w: WallClock, ms: number, offsetMin: number): string {
  const sign = offsetMin >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  return (
    `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}` +
    `.${pad(ms, 3)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

const msOf = (ms: number): number => ((ms % 1000) + 1000) % 1000;

/**
 * 2026-11-23T23:45:01.123+01:00: this machine's local time. Through Date's own zone, not Intl,
 * whose first use costs a one-shot command ~30 ms (`list` of timers and tickers never pays it).
 */
export function localIso(ms: number): string {
  const d = new Date(ms);
  const wall = {
    year: d.getFullYear(),
    month: d.getMonth() + 1,
    day: d.getDate(),
    hour: d.getHours(),
    minute: d.getMinutes(),
    second: d.getSeconds(),
  };
  return compose(wall, d.getMilliseconds(), -d.getTimezoneOffset());
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The same in an IANA zone (a cron task's own); `tz` must be a known zone. */
export function isoInZone(ms: number, tz: string): string {
  let format = formatters.get(tz);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, format);
  }
  const part = Object.fromEntries(format.formatToParts(ms).map((p) => [p.type, Number(p.value)]));
  const wall = {
    year: part.year ?? 0,
    month: part.month ?? 0,
    day: part.day ?? 0,
    hour: part.hour ?? 0,
    minute: part.minute ?? 0,
    second: part.second ?? 0,
  };
  const wallMs = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  const offsetMin = Math.round((wallMs - (ms - msOf(ms))) / 60_000);
  return compose(wall, msOf(ms), offsetMin);
}

/** 2026-11-23T22:45:01.123Z */
export const utcIso = (ms: number): string => new Date(ms).toISOString();

/**
 * Without a zero millisecond part (cron runs fall on whole seconds), and with `minutes` without
 * zero seconds too: 2026-12-24T18:00+01:00.
 */
export function shortIso(iso: string, minutes = false): string {
  const bare = iso.replace(/\.000(?=Z|[+-]\d\d:\d\d$)/, '');
  return minutes ? bare.replace(/(T\d\d:\d\d):00(?=Z|[+-]\d\d:\d\d$)/, '$1') : bare;
}
