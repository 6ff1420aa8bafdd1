// How times, durations and results read on the page: one format for every time, with its zone
// named (`2026-12-07 14:03:05 CET`), in this browser's zone or UTC as the header's switch says
// (kept in localStorage), and relative times where they help ("in 4m", "12s ago").
import type { RunSummary } from './types.js';

export type ZoneMode = 'local' | 'utc';
const ZONE_KEY = 'ktimer-zone';

function storedMode(): ZoneMode {
  try {
    return localStorage.getItem(ZONE_KEY) === 'utc' ? 'utc' : 'local';
  } catch {
    return 'local';
  }
}

let mode: ZoneMode = storedMode();
const formats = new Map<string, Intl.DateTimeFormat>();

export const zoneMode = (): ZoneMode => mode;

export function setZoneMode(next: ZoneMode): void {
  mode = next;
  try {
    localStorage.setItem(ZONE_KEY, next);
  } catch {
    // kept for this page only
  }
}

/** The zone times are shown in: this browser's (its IANA name) or UTC. */
export const shownZone = (): string =>
  mode === 'utc' ? 'UTC' : Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

function formatIn(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    formats.set(zone, f);
  }
  return f;
}

/** Unix ms as `2026-12-07 14:03:05 CET`, in `zone` (default: the zone shown). */
export function timeOfMs(ms: number | undefined, zone: string = shownZone()): string {
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) return '';
  const parts = Object.fromEntries(
    formatIn(zone)
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  const name = zone === 'UTC' ? 'UTC' : (parts.timeZoneName ?? zone);
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${name}`;
}

export const timeOfSec = (sec: number | undefined, zone?: string): string =>
  sec === undefined ? '' : timeOfMs(sec * 1000, zone);

/** How long, in words: 850ms, 12s, 4m 10s, 2h 5m, 3d 4h. */
export function spanOf(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(abs)}ms`;
  const s = Math.floor(abs / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? ` ${s % 60}s` : ''}`;
  if (s < 86_400)
    return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)}m` : ''}`;
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600) ? ` ${Math.floor((s % 86_400) / 3600)}h` : ''}`;
}

/** "in 4m", "12s ago", "now". */
export function relativeOf(ms: number, nowMs: number = Date.now()): string {
  const d = ms - nowMs;
  if (Math.abs(d) < 1000) return 'now';
  return d > 0 ? `in ${spanOf(d)}` : `${spanOf(d)} ago`;
}

export function ms(value: number | undefined): string {
  if (value === undefined) return '';
  if (value < 1000) return `${Math.round(value * 10) / 10} ms`;
  return `${Math.round(value / 100) / 10} s`;
}

/** What ended a run: its exit code, signal or HTTP status. */
export function endOf(run: Pick<RunSummary, 'exit_code' | 'signal' | 'http_status'>): string {
  if (run.signal !== undefined) return `signal ${run.signal}`;
  if (run.http_status !== undefined) return `HTTP ${run.http_status}`;
  if (run.exit_code !== undefined) return `exit ${run.exit_code}`;
  return '';
}

/**
 * Why a run failed, in a few words: timed out, its error (TLS, connection, spawn), its HTTP
 * status, signal or exit code.
 */
export function whyFailed(r: {
  timed_out?: boolean | undefined;
  error?: string | undefined;
  exit_code?: number | undefined;
  signal?: string | undefined;
  http_status?: number | undefined;
}): string {
  const why: string[] = [];
  if (r.timed_out) why.push('timed out');
  if (r.error !== undefined && r.error !== '')
    why.push(r.error.length > 80 ? `${r.error.slice(0, 79)}…` : r.error);
  const end = endOf(r);
  if (end !== '' && !(r.timed_out && r.signal !== undefined)) why.push(end);
  return why.join(', ');
}

/** The kid's first 8 characters: enough to tell tasks apart on a screen. */
/** `n` of a thing, as a summary counts it: "1 run", "3 runs". */
export const counted = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

export const shortKid = (kid: string): string => kid.slice(0, 8);
