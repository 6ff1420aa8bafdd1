// The daemon's side of the store: claim due fires, begin them, keep the leases of those still
// running, and put them on record when they end (lua/claim.lua, begin.lua, renew.lua,
// finish.lua). Each call is one script, one round trip, for a batch.
import { type DurableBegin, type DurableBeginOptions, beginDurably } from './durable-begin.js';
import type { Fire } from './fire-record.js';
import {
  BEGIN,
  type BeginRequest,
  CLAIM,
  type ClaimReply,
  type ClaimRequest,
  FINISH,
  finishedOf,
  rowsOf,
  type Finished,
  type FinishRequest,
  type HistoryRules,
  RENEW,
  type RenewRequest,
} from './fire-scripts.js';
import type { RedisAccess } from './redis-access.js';

export class FireStore {
  /** Claims made, and the last one whose reply was read (ClaimRequest.seq). */
  private claims = 0;
  private claimsRead = 0;

  constructor(
    private readonly redis: RedisAccess,
    /** Replicas that must confirm a begin before its fire runs (redis.wait_replicas). */
    private readonly waitReplicas: number,
    /** What the history keeps ([default] history_*). */
    private readonly history: HistoryRules,
  ) {}

  /**
   * Claims what is due. A claim may begin its fires too (req.beginKeepMs) unless a begin must wait
   * for replicas (then durable-begin.ts begins them); fires it began whose reply is lost come again
   * in the next claim's.
   */
  async claim(req: Omit<ClaimRequest, 'history'>): Promise<ClaimReply> {
    const seq = req.seq ?? { claim: ++this.claims, acked: this.claimsRead };
    const beginKeepMs = this.waitReplicas > 0 ? 0 : req.beginKeepMs;
    const reply = await this.redis.script(CLAIM, { ...req, beginKeepMs, seq, history: this.history });
    this.claimsRead = Math.max(this.claimsRead, seq.claim);
    return reply;
  }

  /** Marks fires started, one round trip; true for each fire whose lease this owner holds. */
  begin(req: BeginRequest): Promise<boolean[]> {
    return req.fires.length === 0 ? Promise.resolve([]) : this.redis.script(BEGIN, req);
  }

  /** Begins fires so that a failover cannot undo it (see durable-begin.ts), retrying while Redis is away. */
  beginDurably(fires: readonly Fire[], options: DurableBeginOptions): Promise<DurableBegin> {
    return beginDurably(this, fires, { ...options, waitReplicas: this.waitReplicas });
  }

  /**
   * WAIT: how many replicas have every write made so far on this shard's connection. WAIT has no
   * key, so a Cluster client would send it to any master: piped behind a read of this shard's fires
   * key, it goes to the master of the shard's slot, the one that took the begins.
   */
  replicasConfirming(count: number, timeoutMs: number): Promise<number> {
    return this.redis.call(async (client) => {
      const replies = await client
        .pipeline()
        .exists(this.redis.keys.fires)
        .call('WAIT', count, timeoutMs)
        .exec();
      const [err, confirmed] = replies?.[1] ?? [new Error('WAIT got no reply'), 0];
      if (err) throw err;
      return Number(confirmed);
    });
  }

  /** Keeps the leases of fires still running until `deadlineMs`: per fire, whether it was kept. */
  renew(req: RenewRequest): Promise<boolean[]> {
    return req.fires.length === 0 ? Promise.resolve([]) : this.redis.script(RENEW, req);
  }

  /** Puts ended fires on record, once each (recorded: this owner held it), retries where asked. */
  async finish(req: Omit<FinishRequest, 'history'>): Promise<Finished[]> {
    if (req.runs.length === 0) return [];
    const full = { ...req, history: this.history };
    const rows = rowsOf(full);
    return finishedOf(await this.redis.script(FINISH, { ...full, rows }), rows);
  }
}

/**
 * What the daemon sees of the fires: one shard's FireStore, or every shard's (sharded-fires.ts).
 * Not WAIT: only a shard's own beginDurably asks it, of the master that took its begins.
 */
export type FireStoreApi = Omit<FireStore, 'replicasConfirming'>;
