// The fleet page's data: the daemons (issue 24's `daemons` action, DaemonRow), each with the
// p99 of its firing lateness from the runs stream. Until the daemon serves `daemons` (its session
// says which features it has), the list is made from what Redis holds already: the daemons seen
// in the latest runs and the runs under way, by host (no labels, version, start or settings).
import { call, serves } from './api.js';
import type { DaemonRow, RunningFire, RunSummary } from './types.js';

/** A daemon as the page shows it: its row, its lateness p99, and whether it has gone quiet. */
export interface FleetMember {
  row: DaemonRow;
  /** The 99th percentile of its runs' lateness (ms) among the latest runs; null when none. */
  p99Ms: number | null;
  runsSeen: number;
  /** Gone, or its last claim (from runs: its last run) is older than QUIET_MS. */
  quiet: boolean;
  /** Made from runs (the daemons action is not there): labels, version, start and settings are unknown. */
  fromRuns: boolean;
}

/** A daemon whose last claim is older than this has gone quiet (its loop claims every second or so). */
export const QUIET_MS = 10_000;
const RUNS_READ = 1000;

export function p99(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? null;
}

export async function loadFleet(): Promise<{ members: FleetMember[]; fromRuns: boolean }> {
  const [daemons, runs] = await Promise.all([
    serves('daemons') ? call<DaemonRow[]>('daemons') : Promise.resolve(null),
    call<RunSummary[]>('runs', { n: String(RUNS_READ) }),
  ]);
  // A run's host is the [daemon] name of the daemon that ran it (issue 24).
  const lateness = new Map<string, number[]>();
  for (const r of runs.data)
    if (r.lateness_ms !== undefined) lateness.set(r.host, [...(lateness.get(r.host) ?? []), r.lateness_ms]);
  const rows = daemons ? daemons.data : await fromRuns(runs.data);
  return {
    fromRuns: daemons === null,
    members: rows.map((row) => {
      const late = lateness.get(row.name) ?? lateness.get(row.host) ?? [];
      const claimAge = row.last_claim_age_ms ?? row.seen_age_ms;
      return {
        row,
        p99Ms: p99(late),
        runsSeen: late.length,
        quiet: row.state === 'gone' || claimAge > QUIET_MS,
        fromRuns: daemons === null,
      };
    }),
  };
}

/**
 * The adapter: daemons by host, from the latest runs and the runs under way; `seen_age_ms` is the
 * age of its last run's end (now for one under way), `last_claim_age_ms` unknown (null).
 */
async function fromRuns(runs: readonly RunSummary[]): Promise<DaemonRow[]> {
  const running = (await call<RunningFire[]>('running')).data.filter(
    (f) => f.state === 'started' && f.host !== undefined,
  );
  const byHost = new Map<string, DaemonRow & { lastMs: number }>();
  const nowMs = Date.now();
  const member = (host: string) => {
    let m = byHost.get(host);
    if (!m) {
      m = { ...unknownDaemon(host), lastMs: 0 };
      byHost.set(host, m);
    }
    return m;
  };
  for (const r of runs) {
    const m = member(r.host);
    if (r.started !== undefined) m.lastMs = Math.max(m.lastMs, r.started * 1000 + (r.duration_ms ?? 0));
  }
  for (const f of running) {
    const m = member(f.host ?? '');
    m.running++;
    if (f.pid !== undefined) m.pid = f.pid;
    m.lastMs = nowMs;
  }
  return [...byHost.values()]
    .map(({ lastMs, ...row }) => ({ ...row, seen_age_ms: Math.max(0, nowMs - lastMs) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function unknownDaemon(host: string): DaemonRow {
  return {
    name: host,
    host,
    pid: 0,
    labels: [],
    version: '',
    started: 0,
    state: 'live',
    seen_age_ms: 0,
    last_claim_age_ms: null,
    running: 0,
    settings: { task: '', notify: '' },
    settings_differ: false,
    settings_differ_in: [],
    owner: '',
  };
}
