// The fleet as Redis holds it (docs/fleet.md): its name, which every daemon and command checks
// before it reads a task; its daemons, each saying every second that it is alive and what it is
// (lua/heartbeat.lua; `ktimer daemons`); and the label sets its tasks wait in (the placement
// registry, lua/include/placement.lua), to tell which tasks no live daemon may run.
import type { RedisAccess } from './redis-access.js';
import { transaction } from './redis-access.js';
import { HEARTBEAT } from './fleet-scripts.js';

/** A daemon says it is alive this often, */
export const HEARTBEAT_MS = 1000;
/** is live while heard of within this, */
export const DAEMON_LIVE_MS = 5000;
/** and forgotten once silent this long (it died: `ktimer daemons` shows it gone until then). */
export const DAEMON_FORGET_MS = 60_000;

/** What a daemon says of itself at each heartbeat. */
export interface DaemonRecord {
  /** [daemon] name: the HOST of the runs it records. */
  name: string;
  /** The machine's host name. */
  host: string;
  pid: number;
  /** What it holds, host:<name> included, sorted. */
  labels: string[];
  version: string;
  /** When it started, unix ms. */
  started_ms: number;
  /** Its loop's last claim, unix ms (Redis clock); null before the first. */
  last_claim_ms: number | null;
  /** Runs it has under way. */
  running: number;
  /** Digests of its [task] and [notify] settings. */
  settings: { task: string; notify: string };
}

/** A daemon of the registry, and when it was last heard of (unix ms). */
export interface SeenDaemon extends DaemonRecord {
  owner: string;
  seen_ms: number;
}

/** A label set some tasks or runs wait in: its labels, tasks scheduled, runs handed out. */
export interface LabelSetLoad {
  labels: string[];
  scheduled: number;
  pending: number;
}

export class FleetStore {
  constructor(
    private readonly redis: RedisAccess,
    /** Every schedule shard's keys (the home ones alone with one shard): label sets live in each. */
    private readonly shards: readonly RedisAccess[] = [redis],
  ) {}

  /**
   * The fleet's name and shard count as Redis holds them: `name` is written first (`written`) when
   * it holds none, with `shards` beside it when more than 1 (absent: 1, the layout of before).
   */
  async nameHeld(name: string, shards = 1): Promise<{ held: string; written: boolean; shards: number }> {
    const key = this.redis.keys.fleet;
    const [written, held, count] = await this.redis.call((c) =>
      transaction(c, (m) => m.hsetnx(key, 'name', name).hget(key, 'name').hget(key, 'shards')),
    );
    if (written === 1 && shards > 1) await this.redis.call((c) => c.hset(key, 'shards', shards));
    const recorded = written === 1 ? shards : typeof count === 'string' ? Number(count) : 1;
    return { held: typeof held === 'string' ? held : name, written: written === 1, shards: recorded };
  }

  /** Records the fleet's shard count (`ktimer reshard`): 1 is recorded as none. */
  async recordShards(shards: number): Promise<void> {
    const key = this.redis.keys.fleet;
    await this.redis.call((c) => (shards > 1 ? c.hset(key, 'shards', shards) : c.hdel(key, 'shards')));
  }

  /** A daemon says it is alive, and what it is; daemons silent for DAEMON_FORGET_MS are forgotten. */
  async beat(owner: string, record: DaemonRecord, nowMs: number): Promise<void> {
    const json = JSON.stringify(record);
    await this.redis.script(HEARTBEAT, { owner, json, nowMs, forgetBeforeMs: nowMs - DAEMON_FORGET_MS });
  }

  /** A daemon that stops leaves the registry at once. */
  async leave(owner: string): Promise<void> {
    const { daemons, daemonsSeen } = this.redis.keys;
    await this.redis.call((c) => transaction(c, (m) => m.hdel(daemons, owner).zrem(daemonsSeen, owner)));
  }

  /** The daemons heard of lately, and now on the server's clock (unix ms): one round trip. */
  async daemons(): Promise<{ nowMs: number; daemons: SeenDaemon[] }> {
    const { daemons, daemonsSeen } = this.redis.keys;
    const [time, records, seen] = await this.redis.call((c) =>
      Promise.all([c.time(), c.hgetall(daemons), c.zrange(daemonsSeen, 0, -1, 'WITHSCORES')]),
    );
    const out: SeenDaemon[] = [];
    for (let i = 0; i < seen.length; i += 2) {
      const owner = seen[i] as string;
      const record = decodeDaemon(records[owner]);
      if (record) out.push({ ...record, owner, seen_ms: Number(seen[i + 1]) });
    }
    return { nowMs: Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000), daemons: out };
  }

  /** The label sets in use (tasks scheduled in them, or runs waiting), with their loads: every shard's, summed. */
  async labelSets(): Promise<LabelSetLoad[]> {
    const loads = new Map<string, LabelSetLoad>();
    for (const part of await Promise.all(this.shards.map(labelSetsOf)))
      for (const l of part) {
        const key = l.labels.join(',');
        const had = loads.get(key);
        loads.set(
          key,
          had ? { ...had, scheduled: had.scheduled + l.scheduled, pending: had.pending + l.pending } : l,
        );
      }
    return [...loads.values()];
  }
}

/** One shard's label sets in use, with their loads. */
async function labelSetsOf(redis: RedisAccess): Promise<LabelSetLoad[]> {
  const { placement, placedSchedule, placedPending } = redis.keys;
  const sets = await redis.call((c) => c.zrange(placement, 0, -1));
  if (sets.length === 0) return [];
  const counts = await redis.call((c) =>
    Promise.all(sets.flatMap((s) => [c.zcard(placedSchedule + s), c.zcard(placedPending + s)])),
  );
  return sets.map((s, i) => ({
    labels: s.split(','),
    scheduled: counts[2 * i] ?? 0,
    pending: counts[2 * i + 1] ?? 0,
  }));
}

/** A daemon's record as a heartbeat wrote it, or null when it is not one. */
function decodeDaemon(json: string | undefined): DaemonRecord | null {
  let v: unknown;
  try {
    v = JSON.parse(json ?? '');
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const { name, host, pid, labels, version, started_ms, last_claim_ms, running, settings } = v as Record<
    string,
    unknown
  >;
  const digests = settings as { task?: unknown; notify?: unknown } | null | undefined;
  if (
    typeof name !== 'string' ||
    typeof host !== 'string' ||
    typeof version !== 'string' ||
    typeof pid !== 'number' ||
    typeof started_ms !== 'number' ||
    typeof running !== 'number' ||
    !(last_claim_ms === null || typeof last_claim_ms === 'number') ||
    !Array.isArray(labels) ||
    !labels.every((l): l is string => typeof l === 'string') ||
    typeof digests?.task !== 'string' ||
    typeof digests.notify !== 'string'
  )
    return null;
  return {
    name,
    host,
    pid,
    labels,
    version,
    started_ms,
    last_claim_ms,
    running,
    settings: { task: digests.task, notify: digests.notify },
  };
}
