// Runs in words for the tables of history, runs and list: how a run ended, and when, as a person
// reads it (`exit 7 5s ago`).
import type { RunSummary } from '../store/open-store.js';
import type { LastRunFields } from '../service/task-service.js';

/** `ok`, `exit 7`, `http 503`, `killed SIGTERM`, `lost`, `skipped`, `missed 12`, `failed`. */
export function outcomeInWords(
  r: Pick<RunSummary, 'result' | 'exit_code' | 'http_status' | 'signal' | 'missed'>,
): string {
  if (r.result === 'lost' || r.result === 'skipped') return r.result;
  if (r.result === 'missed') return r.missed === undefined ? 'missed' : `missed ${r.missed}`;
  if (r.result === 'ok') return 'ok';
  if (r.http_status !== undefined) return `http ${r.http_status}`;
  if (r.signal !== undefined) return `killed ${r.signal}`;
  if (r.exit_code !== undefined) return `exit ${r.exit_code}`;
  return 'failed';
}

/** What started a run: `schedule`, `manual`, `retry 2` (its attempt). */
export const triggerInWords = (r: Pick<RunSummary, 'trigger' | 'attempt'>): string =>
  r.trigger === 'retry' ? `retry ${r.attempt ?? ''}`.trim() : (r.trigger ?? 'schedule');

/** A span as people say it: `45s`, `4m 10s`, `2h 5m`, `3d 4h`. */
export function spanInWords(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** list's LAST column: `ok 2m ago`, `exit 7 5s ago`, or — when nothing is on record. */
export function lastInWords(t: LastRunFields, nowMs: number): string {
  if (t.last_result === undefined) return '—';
  const outcome = outcomeInWords({
    result: t.last_result,
    exit_code: t.last_exit,
    http_status: t.last_http,
    signal: t.last_signal,
  });
  return t.last_started === undefined
    ? outcome
    : `${outcome} ${spanInWords(nowMs - t.last_started * 1000)} ago`;
}

/** A duration in ms, short: `850 ms`, `12.3 s`. */
export const durationInWords = (ms: number | undefined): string =>
  ms === undefined ? '' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
