// How times, durations and results read on the page.
import type { RunSummary } from './types.js';

/** Unix seconds as local date and time (the browser's zone), to the second. */
export function timeOfSec(sec: number | undefined): string {
  if (sec === undefined || !Number.isFinite(sec) || sec <= 0) return '';
  const d = new Date(sec * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
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

/** The kid's first 8 characters: enough to tell tasks apart on a screen. */
export const shortKid = (kid: string): string => kid.slice(0, 8);
