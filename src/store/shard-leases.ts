// Schedule shards as a daemon sees them (docs/shards.md): their leases (lua/shard_lease.lua, a key
// in each shard's own slot), who holds each, the label sets each shard's placed tasks wait in, and
// a claim on the shards a daemon holds.
import type { ClaimRequest } from './fire-scripts.js';
import type { FireStoreApi } from './fire-store.js';
import { SHARD_LEASE } from './fleet-scripts.js';
import type { RedisAccess } from './redis-access.js';
import { type ShardClaimReply, ShardedFireStore } from './sharded-fires.js';

/** A claim on some shards, those in `held` as their holder (ShardedFireStore.claimOn). */
export type ShardClaimer = (
  shards: readonly number[],
  req: Omit<ClaimRequest, 'history'>,
  held: ReadonlySet<number>,
) => Promise<ShardClaimReply>;

export class ShardLeases {
  constructor(
    /** Each shard's keys on the one client, shard 0 first. */
    private readonly shards: readonly RedisAccess[],
    private readonly claimer: ShardClaimer,
  ) {}

  /** How many shards the fleet has ([redis] shards). */
  get count(): number {
    return this.shards.length;
  }

  private at(shard: number): RedisAccess {
    const access = this.shards[shard];
    if (!access) throw new RangeError(`no shard ${shard}`);
    return access;
  }

  /** Takes or keeps shard `shard`'s lease for `leaseMs` (or lets it go): whether `owner` holds it now. */
  keep(shard: number, owner: string, leaseMs: number, take: boolean): Promise<boolean> {
    return this.at(shard).script(SHARD_LEASE, { owner, leaseMs, take });
  }

  /** Each shard's holder (an owner id), null where none. */
  holders(): Promise<(string | null)[]> {
    return Promise.all(this.shards.map((s) => s.call((c) => c.get(s.keys.shardLease))));
  }

  /** The label sets a shard's placed tasks and runs wait in (its registry). */
  labelSets(shard: number): Promise<string[]> {
    const s = this.at(shard);
    return s.call((c) => c.zrange(s.keys.placement, 0, -1));
  }

  /**
   * A claim on these shards only (ShardedFireStore.claimOn); those in `held` are claimed as their
   * holder, fenced by their lease: the reply's `refused` names those whose lease is gone.
   */
  claimOn(
    shards: readonly number[],
    req: Omit<ClaimRequest, 'history'>,
    held: ReadonlySet<number>,
  ): Promise<ShardClaimReply> {
    return this.claimer(shards, req, held);
  }
}

/**
 * The claim over shards of `fires`: ShardedFireStore's own; with one shard, the FireStore's claim,
 * never fenced (there is no lease to hold).
 */
export function claimerOf(fires: FireStoreApi): ShardClaimer {
  if (fires instanceof ShardedFireStore) return (on, req, held) => fires.claimOn(on, req, held);
  return async (shards, req) =>
    shards.length === 0
      ? { nextDueMs: null, dueLeft: null, poller: false, entries: [], refused: [] }
      : { ...(await fires.claim(req)), refused: [] };
}
