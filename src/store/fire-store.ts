// The daemon's side of the store: claim due fires, begin them, forget them once started
// (lua/claim.lua, begin.lua, finish.lua). Each call is one script, one round trip; the ids of
// fires started since the last claim ride along with the next claim.
import { type DurableBegin, type DurableBeginOptions, beginDurably } from './durable-begin.js';
import type { Fire } from './fire-record.js';
import {
  BEGIN,
  type BeginRequest,
  CLAIM,
  type ClaimReply,
  type ClaimRequest,
  FINISH,
} from './fire-scripts.js';
import type { RedisAccess } from './redis-access.js';

export class FireStore {
  /** Fires started since the last claim: the next claim removes their records. */
  private startedIds: string[] = [];

  constructor(
    private readonly redis: RedisAccess,
    /** Replicas that must confirm a begin before its fire runs (redis.wait_replicas). */
    private readonly waitReplicas: number,
  ) {}

  /** A begun fire's command has started: its record can go (with the next claim). */
  started(id: string): void {
    this.startedIds.push(id);
  }

  async claim(req: Omit<ClaimRequest, 'started'>): Promise<ClaimReply> {
    const started = this.startedIds;
    this.startedIds = [];
    try {
      return await this.redis.script(CLAIM, { ...req, started });
    } catch (err) {
      // Not delivered: the next claim takes them.
      this.startedIds = started.concat(this.startedIds);
      throw err;
    }
  }

  /** Marks fires started, one round trip; true for each fire whose lease this owner holds. */
  begin(req: BeginRequest): Promise<boolean[]> {
    return req.fires.length === 0 ? Promise.resolve([]) : this.redis.script(BEGIN, req);
  }

  /** Begins fires so that a failover cannot undo it (see durable-begin.ts), retrying while Redis is away. */
  beginDurably(fires: readonly Fire[], options: DurableBeginOptions): Promise<DurableBegin> {
    return beginDurably(this, fires, { ...options, waitReplicas: this.waitReplicas });
  }

  /** WAIT: how many replicas have every write made so far on this connection. */
  replicasConfirming(count: number, timeoutMs: number): Promise<number> {
    return this.redis.call(async (client) => Number(await client.call('WAIT', count, timeoutMs)));
  }

  /** Forgets the started fires now (at shutdown, when no claim will follow). */
  async finishStarted(owner: string): Promise<number> {
    const ids = this.startedIds;
    this.startedIds = [];
    return ids.length === 0 ? 0 : this.redis.script(FINISH, { owner, ids });
  }
}
