// The daemon's side of the store, and the run history, with K > 1 schedule shards
// (docs/shards.md): one FireStore and HistoryStore per shard behind facades with their methods. A
// claim runs on every shard the daemon holds at once (each one script, one slot); a
// fire is begun, renewed and finished on its kid's shard. History reads of one task go to its
// shard; the runs of every task are the shards' streams merged by their ids.
import { kidOfFireId } from '../runs/ids.js';
import type { FireState } from '../runs/fire.js';
import type { DurableBegin, DurableBeginOptions } from './durable-begin.js';
import type { Fire } from './fire-record.js';
import type {
  BeginRequest,
  ClaimReply,
  ClaimRequest,
  Finished,
  FinishRequest,
  RenewRequest,
} from './fire-scripts.js';
import type { FireStore, FireStoreApi } from './fire-store.js';
import type { HistoryStore, HistoryStoreApi, RunsQuery } from './history-store.js';
import type { RunningFire } from './running-fires.js';
import { compareIds as compareStreamIds } from './run-feed.js';
import type { RunRecord, RunSummary } from './run-record.js';
import { byShard, perShard, shardOf } from './shards.js';

/**
 * How long a shard's claim that left nothing due stands for it, for claims that have no room to
 * give it (ShardedFireStore.claimOn): the scheduler's own bound, a claim at least every second.
 */
export const QUIET_MS = 1000;

export class ShardedFireStore implements FireStoreApi {
  /** Each shard's last claim reply that left nothing due, and the "now" it was made at. */
  private readonly quiet = new Map<number, { atMs: number; reply: ClaimReply }>();

  constructor(private readonly shards: readonly FireStore[]) {}

  private sOf = (fireId: string): number => shardOf(kidOfFireId(fireId), this.shards.length);

  private at(shard: number): FireStore {
    return this.shards[shard] as FireStore;
  }

  /** A claim on every shard (`claimOn` the ones a daemon holds). */
  claim(req: Omit<ClaimRequest, 'history'>): Promise<ClaimReply> {
    return this.claimOn(
      this.shards.map((_, i) => i),
      req,
    );
  }

  /**
   * Claims on `shards` at once (one round trip), each with its part of the room; then, in turn,
   * those that had more due than their part, with the room the others left. One reply: their
   * entries, the earliest time left, what is still due. A shard whose part is no room is skipped
   * while its last claim, under QUIET_MS ago, left nothing due before now: it would hand out
   * nothing, and the scheduler claims again within QUIET_MS. Shards in `held` are claimed as their
   * holder (ClaimRequest.fenced): those whose lease is gone are refused, and named in `refused`.
   */
  async claimOn(
    shards: readonly number[],
    req: Omit<ClaimRequest, 'history'>,
    held: ReadonlySet<number> = new Set(),
  ): Promise<ShardClaimReply> {
    const merged = new MergedClaims(req);
    const claimAt = async (shard: number, room: Room) => {
      const reply = await this.at(shard).claim({
        ...req,
        ...room,
        ...(held.has(shard) ? { fenced: true } : {}),
      });
      if (reply.dueLeft === null && !reply.fenced) this.quiet.set(shard, { atMs: req.nowMs, reply });
      else this.quiet.delete(shard);
      return reply;
    };
    const claimed: number[] = [];
    const parts = shards.map((_, i) => splitRoom(req, shards.length, i));
    shards.forEach((shard, i) => {
      const part = parts[i] as Room;
      const quiet = part.maxShell + part.maxUrl === 0 ? this.quietReply(shard, req.nowMs) : null;
      if (quiet) merged.take(shard, { ...quiet, entries: [] });
      else claimed.push(i);
    });
    const firsts = await Promise.all(claimed.map((i) => claimAt(shards[i] as number, parts[i] as Room)));
    firsts.forEach((reply, j) => merged.take(shards[claimed[j] as number] as number, reply));
    for (const shard of shards) {
      if (!merged.hasMore(shard)) continue;
      merged.take(shard, await claimAt(shard, merged.room));
    }
    return merged.reply();
  }

  /** `shard`'s last claim reply, if made under QUIET_MS before `nowMs` and nothing was due before it. */
  private quietReply(shard: number, nowMs: number): ClaimReply | null {
    const q = this.quiet.get(shard);
    if (q === undefined || nowMs - q.atMs >= QUIET_MS || nowMs < q.atMs) return null;
    return q.reply.nextDueMs === null || q.reply.nextDueMs > nowMs ? q.reply : null;
  }

  begin(req: BeginRequest): Promise<boolean[]> {
    return perShard(
      req.fires,
      (f) => this.sOf(f.id),
      (s, fires) => this.at(s).begin({ ...req, fires }),
    );
  }

  /** Each shard's fires begun durably (the replicas of its master confirming), as one answer. */
  async beginDurably(fires: readonly Fire[], options: DurableBeginOptions): Promise<DurableBegin> {
    const allowed: boolean[] = new Array<boolean>(fires.length).fill(false);
    const out: DurableBegin = { allowed, undone: [], unconfirmed: 0, replicas: 0, leaseUntilMs: Infinity };
    await Promise.all(
      [...byShard(fires, (f) => this.sOf(f.id))].map(async ([shard, part]) => {
        const got = await this.at(shard).beginDurably(
          part.map((p) => p.item),
          options,
        );
        part.forEach((p, i) => (allowed[p.index] = got.allowed[i] ?? false));
        out.undone.push(...got.undone);
        out.unconfirmed += got.unconfirmed;
        out.replicas = got.replicas;
        out.leaseUntilMs = Math.min(out.leaseUntilMs, got.leaseUntilMs);
      }),
    );
    if (out.leaseUntilMs === Infinity) out.leaseUntilMs = 0;
    return out;
  }

  renew(req: RenewRequest): Promise<boolean[]> {
    return perShard(
      req.fires,
      (f) => this.sOf(f.id),
      (s, fires) => this.at(s).renew({ ...req, fires }),
    );
  }

  finish(req: Omit<FinishRequest, 'history'>): Promise<Finished[]> {
    return perShard(
      req.runs,
      (r) => this.sOf(r.fire.id),
      (s, runs) => this.at(s).finish({ ...req, runs }),
    );
  }
}

/** A claim over several shards (ShardedFireStore.claimOn): one reply, and the shards that refused it. */
export interface ShardClaimReply extends ClaimReply {
  /** Shards claimed as their holder whose fence refused the claim: another daemon holds them now. */
  refused: number[];
}

type Room = Pick<ClaimRequest, 'maxShell' | 'maxUrl'>;

/** Part i of `room` over n shards: an even split, the first ones taking what is left over. */
function splitRoom(room: Room, n: number, i: number): Room {
  const part = (r: number) => Math.floor(r / n) + (i < r % n ? 1 : 0);
  return { maxShell: part(room.maxShell), maxUrl: part(room.maxUrl) };
}

/** The shards' claim replies merged as they come, and the room they leave. */
class MergedClaims {
  private readonly out: ShardClaimReply = {
    nextDueMs: null,
    dueLeft: null,
    poller: false,
    entries: [],
    refused: [],
  };
  private readonly left = new Map<number, ClaimReply['dueLeft']>();
  room: Room;

  constructor(req: Room) {
    this.room = { maxShell: req.maxShell, maxUrl: req.maxUrl };
  }

  take(shard: number, reply: ClaimReply): void {
    const out = this.out;
    if (reply.fenced) out.refused.push(shard);
    out.entries.push(...reply.entries);
    out.poller ||= reply.poller;
    if (reply.nextDueMs !== null) out.nextDueMs = Math.min(out.nextDueMs ?? Infinity, reply.nextDueMs);
    this.left.set(shard, reply.dueLeft);
    for (const e of reply.entries) {
      if (e.kind !== 'fire') continue;
      if (e.fire.kind === 'url') this.room.maxUrl--;
      else this.room.maxShell--;
    }
    this.room = { maxShell: Math.max(0, this.room.maxShell), maxUrl: Math.max(0, this.room.maxUrl) };
  }

  /** Whether `shard` had more due than its part, and room is left for it. */
  hasMore(shard: number): boolean {
    return this.left.get(shard) != null && this.room.maxShell + this.room.maxUrl > 0;
  }

  reply(): ShardClaimReply {
    const states = [...this.left.values()];
    this.out.dueLeft = states.includes('more') ? 'more' : states.includes('room') ? 'room' : null;
    return this.out;
  }
}

export class ShardedHistoryStore implements HistoryStoreApi {
  constructor(private readonly shards: readonly HistoryStore[]) {}

  private of(kid: string): HistoryStore {
    return this.shards[shardOf(kid, this.shards.length)] as HistoryStore;
  }

  ofTask(kid: string, count: number): Promise<RunRecord[]> {
    return this.of(kid).ofTask(kid, count);
  }

  byFireId(fireId: string): Promise<RunRecord | null> {
    return this.of(kidOfFireId(fireId)).byFireId(fireId);
  }

  handedOut(fireId: string): Promise<boolean> {
    return this.of(kidOfFireId(fireId)).handedOut(fireId);
  }

  stateOf(fireId: string): Promise<FireState | null> {
    return this.of(kidOfFireId(fireId)).stateOf(fireId);
  }

  async running(kid?: string): Promise<RunningFire[]> {
    if (kid !== undefined) return this.of(kid).running(kid);
    const all = (await Promise.all(this.shards.map((s) => s.running()))).flat();
    return all.sort((a, b) => (a.started_ms ?? a.due_ms) - (b.started_ms ?? b.due_ms));
  }

  /** Every shard's stream read newest first, merged by stream id (the time each was put on record). */
  async runs(q: RunsQuery): Promise<RunSummary[]> {
    return (await this.runsWithIds(q)).map((r) => r.summary);
  }

  runsWithIds(q: RunsQuery): Promise<{ id: string; summary: RunSummary }[]> {
    return Promise.all(this.shards.map((s) => s.runsWithIds(q))).then((all) =>
      all
        .flat()
        .sort((a, b) => compareStreamIds(b.id, a.id))
        .slice(0, q.count),
    );
  }
}
