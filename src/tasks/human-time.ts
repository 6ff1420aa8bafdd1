// Times as people write them on the command line and in the web API: `+90s`, `+15m`, `+2h`,
// `+1d` (from now), or an ISO 8601 date-time (in its own offset, or else in a time zone).
// Plain numbers keep their old meaning, which the caller decides (seconds, or a timestamp).
import { usageError } from '../errors.js';
import { oneLine } from '../text.js';
import { localTimeMs } from './cron.js';

const UNIT_SEC = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
const DELAY = /^\+(\d{1,9})([smhd])$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:?\d{2})?$/;

export type HumanTime = { delaySec: number } | { atMs: number };

/** A delay (`+90s`) or an instant (ISO 8601); null when `value` is neither (a plain number, say). */
export function parseHumanTime(name: string, value: string, tz: string): HumanTime | null {
  const text = value.trim();
  const delay = DELAY.exec(text);
  if (delay) return { delaySec: Number(delay[1]) * UNIT_SEC[delay[2] as keyof typeof UNIT_SEC] };
  const iso = ISO.exec(text);
  if (!iso) return null;
  const [, y, mo, d, h, mi, s = '00', offset] = iso;
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (
    date.getUTCMonth() !== Number(mo) - 1 ||
    date.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  )
    throw usageError(`${name} "${oneLine(value, 43)}" is not a real date and time`);
  const local = `${y}-${mo}-${d}T${h}:${mi}:${s}`;
  if (offset === undefined) return { atMs: localTimeMs(local, tz) };
  const zone = offset === 'Z' ? 'Z' : `${offset.slice(0, 3)}:${offset.slice(-2)}`;
  return { atMs: Date.parse(`${local}${zone}`) };
}

/**
 * A bound of `list`'s window: a unix timestamp in seconds (as ever), `now`, `+15m` (from now) or
 * a date. Checked here, before any I/O; `windowSec` then places it on the clock.
 */
export function parseWindowTime(name: string, value: string, tz: string): HumanTime {
  const text = value.trim();
  if (text === 'now') return { delaySec: 0 };
  if (/^\d{1,16}$/.test(text)) return { atMs: Number(text) * 1000 };
  const human = parseHumanTime(name, text, tz);
  if (human === null)
    throw usageError(
      `${name} "${oneLine(value, 43)}" is invalid; expected a unix timestamp, now, +15m, or a date such as 2026-12-24T18:00`,
    );
  return human;
}

/** Unix seconds of a window bound, "now" being `nowMs`. */
export const windowSec = (time: HumanTime, nowMs: number): number =>
  'atMs' in time ? time.atMs / 1000 : nowMs / 1000 + time.delaySec;
