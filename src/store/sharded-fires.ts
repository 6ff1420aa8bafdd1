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
import { byShard, perShardInOrder, shardOf } from './shards.js';

export class ShardedFireStore implements FireStoreApi {
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
   * entries, the earliest time left, what is still due.
   */
  async claimOn(shards: readonly number[], req: Omit<ClaimRequest, 'history'>): Promise<ClaimReply> {
    const out: ClaimReply = { nextDueMs: null, dueLeft: null, poller: false, entries: [] };
    const left = new Map<number, ClaimReply['dueLeft']>();
    let room = { maxShell: req.maxShell, maxUrl: req.maxUrl };
    const take = (shard: number, reply: ClaimReply): void => {
      out.entries.push(...reply.entries);
      out.poller ||= reply.poller;
      if (reply.nextDueMs !== null) out.nextDueMs = Math.min(out.nextDueMs ?? Infinity, reply.nextDueMs);
      left.set(shard, reply.dueLeft);
      room = roomLeft(room, reply);
    };
    const n = shards.length;
    const firsts = await Promise.all(
      shards.map((shard, i) =>
        this.at(shard).claim({
          ...req,
          maxShell: partOf(req.maxShell, n, i),
          maxUrl: partOf(req.maxUrl, n, i),
        }),
      ),
    );
    firsts.forEach((reply, i) => take(shards[i] as number, reply));
    for (const shard of shards) {
      if (left.get(shard) === null || room.maxShell + room.maxUrl <= 0) continue;
      take(shard, await this.at(shard).claim({ ...req, ...room }));
    }
    const states = [...left.values()];
    out.dueLeft = states.includes('more') ? 'more' : states.includes('room') ? 'room' : null;
    return out;
  }

  begin(req: BeginRequest): Promise<boolean[]> {
    return perShardInOrder(
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

  /** WAIT on the home shard's master (beginDurably waits on each shard's own). */
  replicasConfirming(count: number, timeoutMs: number): Promise<number> {
    return this.at(0).replicasConfirming(count, timeoutMs);
  }

  renew(req: RenewRequest): Promise<boolean[]> {
    return perShardInOrder(
      req.fires,
      (f) => this.sOf(f.id),
      (s, fires) => this.at(s).renew({ ...req, fires }),
    );
  }

  finish(req: Omit<FinishRequest, 'history'>): Promise<Finished[]> {
    return perShardInOrder(
      req.runs,
      (r) => this.sOf(r.fire.id),
      (s, runs) => this.at(s).finish({ ...req, runs }),
    );
  }
}

/** Shard i's part of `room` over n shards: an even split, the first ones taking what is left over. */
function partOf(room: number, n: number, i: number): number {
  return Math.floor(room / n) + (i < room % n ? 1 : 0);
}

/** The slots a claim's fires took, off the room of the next shard's claim. */
function roomLeft(room: { maxShell: number; maxUrl: number }, reply: ClaimReply): typeof room {
  let { maxShell, maxUrl } = room;
  for (const e of reply.entries) {
    if (e.kind !== 'fire') continue;
    if (e.fire.kind === 'url') maxUrl--;
    else maxShell--;
  }
  return { maxShell: Math.max(0, maxShell), maxUrl: Math.max(0, maxUrl) };
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
