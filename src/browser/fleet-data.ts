// The fleet page's data: the daemons (issue 24's `daemons` action, DaemonRow), each with the
// p99 of its firing lateness from the runs stream. Until the daemon serves `daemons` (its session
// says which features it has), the list is made from what Redis holds already: the
// daemons seen in the latest runs and the runs under way, by host (no labels, version or start).
import { call, type Reply, serves } from './api.js';
import type { DaemonRow, RunningFire, RunSummary } from './types.js';

/** A daemon as the page shows it: its row, its lateness p99, and whether it has gone quiet. */
export interface FleetMember {
  row: DaemonRow;
  /** The 99th percentile of its runs' lateness (ms) among the latest runs; null when none. */
  p99Ms: number | null;
  runsSeen: number;
  /** Its last claim (or, from runs, its last run) is older than QUIET_MS. */
  quiet: boolean;
  /** Made from runs (the daemons action is not there): some fields are unknown. */
  fromRuns: boolean;
  /** Its last claim, or (from runs) its last run's end or a run under way: unix ms. */
  lastSeenMs: number | null;
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
  const lateness = new Map<string, number[]>();
  for (const r of runs.data)
    if (r.lateness_ms !== undefined) lateness.set(r.host, [...(lateness.get(r.host) ?? []), r.lateness_ms]);
  const rows = daemons ? fromDaemons(daemons) : await fromRuns(runs.data);
  return {
    fromRuns: daemons === null,
    members: rows.map(({ row, lastMs, nowMs }) => ({
      row,
      p99Ms: p99(lateness.get(row.name) ?? lateness.get(row.host) ?? []),
      runsSeen: (lateness.get(row.name) ?? lateness.get(row.host) ?? []).length,
      quiet: row.gone === true || lastMs === null || nowMs - lastMs > QUIET_MS,
      fromRuns: daemons === null,
      lastSeenMs: lastMs,
    })),
  };
}

type Dated = { row: DaemonRow; lastMs: number | null; nowMs: number };

function fromDaemons(reply: Reply<DaemonRow[]>): Dated[] {
  const nowMs = typeof reply.now_ms === 'number' ? reply.now_ms : Date.now();
  return reply.data.map((row) => ({ row, lastMs: row.last_claim_ms, nowMs }));
}

/** The adapter: daemons by host, from the latest runs and the runs under way. */
async function fromRuns(runs: readonly RunSummary[]): Promise<Dated[]> {
  const running = (await call<RunningFire[]>('running')).data.filter(
    (f) => f.state === 'started' && f.host !== undefined,
  );
  const byHost = new Map<string, Dated>();
  const nowMs = Date.now();
  const member = (host: string): Dated => {
    let m = byHost.get(host);
    if (!m) {
      m = {
        row: {
          name: host,
          host,
          pid: 0,
          labels: [],
          version: '',
          started_ms: 0,
          last_claim_ms: null,
          running: [],
          differs: [],
        },
        lastMs: null,
        nowMs,
      };
      byHost.set(host, m);
    }
    return m;
  };
  for (const r of runs) {
    const m = member(r.host);
    const at = r.started === undefined ? null : r.started * 1000 + (r.duration_ms ?? 0);
    if (at !== null && (m.lastMs === null || at > m.lastMs)) m.lastMs = at;
  }
  for (const f of running) {
    const m = member(f.host ?? '');
    m.row.running.push(f.fire_id);
    if (f.pid !== undefined) m.row.pid = f.pid;
    m.lastMs = nowMs;
  }
  return [...byHost.values()].sort((a, b) => a.row.name.localeCompare(b.row.name));
}
