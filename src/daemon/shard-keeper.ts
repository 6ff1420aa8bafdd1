// Which schedule shards this daemon claims (docs/shards.md), with [redis] shards > 1. Daemons
// share the shards by leases (lua/shard_lease.lua: a key in each shard's own slot, renewed every
// second, SHARD_LEASE_MS long): each takes up to its share, ceil(K / live daemons), renews what it
// holds and lets go of what is past its share, so a daemon that joins gets shards within a second
// or two and a dead one's are taken over once their leases run out. Every script is safe with
// several claimers, so a lease changing hands never doubles a run; the lease spreads the work and
// the Redis CPU of claims that find nothing. It is also a fence: a claim on a shard it holds
// carries the lease (lua/include/claim-fence.lua), so a daemon paused past its lease while another
// took the shard is refused at its next claim, and drops the shard at once.
//
// Placement works within each shard: a shard's holder may lack a label set's labels, so a daemon
// also claims every shard it does not hold whose registry has a label set it may run.
import { covers } from '../labels.js';
import type { ClaimReply, ClaimRequest, ShardLeases } from '../store/open-store.js';

/** How long a shard's lease lasts unless renewed: a dead daemon's shards wait this long at most. */
export const SHARD_LEASE_MS = 5000;
/** How often the leases are looked at (after a claim, when this long has passed). */
export const SHARD_TICK_MS = 1000;

export interface ShardKeeperDeps {
  shards: ShardLeases;
  owner: string;
  labels: readonly string[];
  /** How many daemons of the fleet are alive now (this one included). */
  liveDaemons: () => Promise<number>;
  nowMs: () => number;
  /** A shard taken, let go, or found taken by another at a claim (refused by its fence). */
  onChange?: (event: ShardEvent, shard: number) => void;
}

export type ShardEvent = 'taken' | 'let_go' | 'refused';

export class ShardKeeper {
  private mine = new Set<number>();
  /** Shards held by others whose placed work this daemon may run. */
  private placed = new Set<number>();
  private lastTickMs = -Infinity;
  /** Look at the leases before the next claim: none yet, or the last look failed. */
  private mustLook = true;
  /** The look started after a claim, under way while its fires are handed out. */
  private looking: Promise<void> | null = null;

  constructor(private readonly deps: ShardKeeperDeps) {}

  /** The shards this daemon claims now, in order. */
  claimable(): number[] {
    return [...new Set([...this.mine, ...this.placed])].sort((a, b) => a - b);
  }

  /** The shards whose lease it holds. */
  held(): number[] {
    return [...this.mine].sort((a, b) => a - b);
  }

  /**
   * The scheduler's claim: on the shards it may claim, those it holds fenced by their lease (a
   * shard whose fence refused is dropped at once); then the leases looked at, when due. The look
   * comes after the claim, so a claim after a pause goes out as the daemon stood and its fence,
   * not a look just made, keeps it off shards lost meanwhile. The look is not awaited: the
   * claim's fires are handed out while it runs, and the next claim waits for it. The first claim,
   * and one after a look that failed, look first (a failure then is the claim's, the reply in hand
   * never lost).
   */
  async claim(req: Omit<ClaimRequest, 'history'>): Promise<ClaimReply> {
    await this.looking;
    if (this.mustLook) await this.tick();
    const reply = await this.deps.shards.claimOn(this.claimable(), req, new Set(this.mine));
    for (const s of reply.refused) if (this.mine.delete(s)) this.deps.onChange?.('refused', s);
    if (this.deps.nowMs() - this.lastTickMs >= SHARD_TICK_MS) {
      // A look that fails leaves mustLook set: it is made again, and fails, before the next claim.
      this.looking = this.tick()
        .catch(() => undefined)
        .finally(() => {
          this.looking = null;
        });
    }
    return reply;
  }

  /** Renews, lets go of and takes leases toward this daemon's share; finds placed work elsewhere. */
  async tick(): Promise<void> {
    this.lastTickMs = this.deps.nowMs();
    this.mustLook = true;
    const { shards, owner } = this.deps;
    const [holders, live] = await Promise.all([shards.holders(), this.deps.liveDaemons()]);
    const share = Math.ceil(shards.count / Math.max(1, live));
    const mine = holders.flatMap((h, i) => (h === owner ? [i] : []));
    const keep = mine.slice(0, share);
    for (const s of mine.slice(share)) await this.set(s, false);
    const free = holders.flatMap((h, i) => (h === null ? [i] : []));
    const want = [...keep, ...free.slice(0, Math.max(0, share - keep.length))];
    const got = await Promise.all(want.map((s) => shards.keep(s, owner, SHARD_LEASE_MS, true)));
    const next = new Set(want.filter((_, i) => got[i]));
    for (const s of next) if (!this.mine.has(s)) this.deps.onChange?.('taken', s);
    for (const s of this.mine) if (!next.has(s)) this.deps.onChange?.('let_go', s);
    this.mine = next;
    this.placed = await this.placedElsewhere();
    this.mustLook = false;
  }

  /** Lets go of every lease (a daemon that stops): others take its shards at their next tick. */
  async leave(): Promise<void> {
    // A look under way could take a lease after this lets them go.
    await this.looking;
    await Promise.all([...this.mine].map((s) => this.set(s, false)));
    this.mine.clear();
  }

  private async set(shard: number, take: boolean): Promise<void> {
    await this.deps.shards.keep(shard, this.deps.owner, SHARD_LEASE_MS, take);
  }

  private async placedElsewhere(): Promise<Set<number>> {
    const { shards, labels } = this.deps;
    const others = Array.from({ length: shards.count }, (_, i) => i).filter((i) => !this.mine.has(i));
    const sets = await Promise.all(others.map((i) => shards.labelSets(i)));
    return new Set(others.filter((_, j) => (sets[j] ?? []).some((set) => covers(labels, set.split(',')))));
  }
}
