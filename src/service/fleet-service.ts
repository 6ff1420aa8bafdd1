// The fleet as people see it (docs/fleet.md): its live daemons (`ktimer daemons`, the web API's
// daemons action), which labels none of them holds (add warns of a task that waits for one), and
// the tasks waiting for a daemon with their labels (check, list, /metrics).
import type { Config } from '../config/config.js';
import { covers } from '../labels.js';
import { DAEMON_LIVE_MS, type FleetStore, type SeenDaemon } from '../store/open-store.js';

/** A daemon as `ktimer daemons` shows it (its --json, and the web API's daemons action). */
export interface DaemonView {
  name: string;
  host: string;
  pid: number;
  labels: string[];
  version: string;
  /** When it started, unix seconds. */
  started: number;
  /** live: heard of within DAEMON_LIVE_MS; gone: silent since (it died), shown until forgotten. */
  state: 'live' | 'gone';
  /** Since it was last heard of, ms. */
  seen_age_ms: number;
  /** Since its loop last claimed, ms; null before its first claim. */
  last_claim_age_ms: number | null;
  /** Runs it has under way. */
  running: number;
  /** Digests of its [task] and [notify] settings. */
  settings: { task: string; notify: string };
  /** Whether those differ from the fleet's usual ones (the most live daemons', the first started's on a tie). */
  settings_differ: boolean;
  /** Which sections differ: task, notify. */
  settings_differ_in: ('task' | 'notify')[];
  /** Its id in leases and run records: name:pid:tag. */
  owner: string;
}

/** A label set that tasks or runs wait in while no live daemon holds all of it. */
export interface Unplaced {
  labels: string[];
  /** Tasks scheduled in it. */
  tasks: number;
  /** Runs handed out (by hand, retries, queued) that wait in it. */
  runs: number;
}

export interface FleetServiceDeps {
  config: Config;
  fleet: () => Promise<FleetStore>;
}

export class FleetService {
  constructor(private readonly deps: FleetServiceDeps) {}

  /** The fleet's daemons, live ones first, each by name. */
  async daemons(): Promise<{ fleet: string; daemons: DaemonView[] }> {
    const { nowMs, daemons } = await (await this.deps.fleet()).daemons();
    return { fleet: this.deps.config.redis.fleet, daemons: daemonViews(daemons, nowMs) };
  }

  /** The labels of the live daemons, one list per daemon. */
  async liveLabels(): Promise<string[][]> {
    const { daemons } = await this.daemons();
    return daemons.filter((d) => d.state === 'live').map((d) => d.labels);
  }

  /** Why no live daemon may run a task needing `on` (in words), or null when one may. */
  async noDaemonFor(on: readonly string[]): Promise<string | null> {
    if (on.length === 0) return null;
    return whyNoDaemon(on, await this.liveLabels());
  }

  /** The label sets whose tasks or runs wait for a daemon: none live holds all of its labels. */
  async unplaced(): Promise<Unplaced[]> {
    const [sets, live] = await Promise.all([(await this.deps.fleet()).labelSets(), this.liveLabels()]);
    return sets
      .filter((s) => !live.some((held) => covers(held, s.labels)))
      .map((s) => ({ labels: s.labels, tasks: s.scheduled, runs: s.pending }));
  }
}

/** Why none of the daemons holding `live` (one list each) may run what needs `on`, or null. */
export function whyNoDaemon(on: readonly string[], live: readonly (readonly string[])[]): string | null {
  if (live.some((held) => covers(held, on))) return null;
  if (live.length === 0)
    return `no daemon is live to hold the label${on.length > 1 ? 's' : ''} ${on.join(',')}`;
  const missing = on.filter((l) => !live.some((held) => held.includes(l)));
  if (missing.length === 0) return `no live daemon holds all of the labels ${on.join(',')}`;
  return `no live daemon holds the label${missing.length > 1 ? 's' : ''} ${missing.join(',')}`;
}

/** The daemons as shown: state, ages, and whose settings differ from the fleet's usual ones. */
export function daemonViews(seen: readonly SeenDaemon[], nowMs: number): DaemonView[] {
  const views = seen.map((d): DaemonView => {
    const state = nowMs - d.seen_ms <= DAEMON_LIVE_MS ? 'live' : 'gone';
    return {
      name: d.name,
      host: d.host,
      pid: d.pid,
      labels: d.labels,
      version: d.version,
      started: d.started_ms / 1000,
      state,
      seen_age_ms: Math.max(0, nowMs - d.seen_ms),
      last_claim_age_ms: d.last_claim_ms === null ? null : Math.max(0, nowMs - d.last_claim_ms),
      running: d.running,
      settings: d.settings,
      settings_differ: false,
      settings_differ_in: [],
      owner: d.owner,
    };
  });
  views.sort((a, b) => (a.state === b.state ? a.started - b.started : a.state === 'live' ? -1 : 1));
  const live = views.filter((v) => v.state === 'live');
  for (const section of ['task', 'notify'] as const) {
    const usual = mostCommon(live.map((v) => v.settings[section]));
    for (const v of live)
      if (v.settings[section] !== usual) {
        v.settings_differ = true;
        v.settings_differ_in.push(section);
      }
  }
  return views.sort((a, b) =>
    a.state === b.state ? a.name.localeCompare(b.name) : a.state === 'live' ? -1 : 1,
  );
}

/** The value most often found; on a tie, the first found of them. */
function mostCommon(values: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | undefined;
  for (const [v, n] of counts) if (best === undefined || n > (counts.get(best) ?? 0)) best = v;
  return best;
}
