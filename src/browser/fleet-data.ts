// The fleet page's data: the daemons (the `daemons` action, DaemonRow), each with the p99 of its
// firing lateness from the runs stream.
import { call } from './api.js';
import type { DaemonRow, RunSummary } from './types.js';

/** A daemon as the page shows it: its row, its lateness p99, and whether it has gone quiet. */
export interface FleetMember {
  row: DaemonRow;
  /** The 99th percentile of its runs' lateness (ms) among the latest runs; null when none. */
  p99Ms: number | null;
  runsSeen: number;
  /** Gone, or its last claim is older than QUIET_MS. */
  quiet: boolean;
}

/** A daemon whose last claim is older than this has gone quiet (its loop claims every second or so). */
export const QUIET_MS = 10_000;
const RUNS_READ = 1000;

export function p99(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? null;
}

export async function loadFleet(): Promise<FleetMember[]> {
  const [daemons, runs] = await Promise.all([
    call<DaemonRow[]>('daemons'),
    call<RunSummary[]>('runs', { n: String(RUNS_READ) }),
  ]);
  // A run's host is the [daemon] name of the daemon that ran it (issue 24).
  const lateness = new Map<string, number[]>();
  for (const r of runs.data)
    if (r.lateness_ms !== undefined) lateness.set(r.host, [...(lateness.get(r.host) ?? []), r.lateness_ms]);
  return daemons.data.map((row) => {
    const late = lateness.get(row.name) ?? lateness.get(row.host) ?? [];
    const claimAge = row.last_claim_age_ms ?? row.seen_age_ms;
    return {
      row,
      p99Ms: p99(late),
      runsSeen: late.length,
      quiet: row.state === 'gone' || claimAge > QUIET_MS,
    };
  });
}
