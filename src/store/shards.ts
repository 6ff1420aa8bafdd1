// Schedule shards (issue 28, docs/shards.md): a fleet's tasks split over K shards, each a full
// set of the per-task keys under a hash tag of its own, so Redis Cluster spreads them over its
// masters while every one-task script stays on one slot. Shard 0 is the home keys (K = 1 is the
// layout of before, byte for byte); what a task's shard is, and each shard's key names, live here.
import calculateSlot from 'cluster-key-slot';
import type { Config } from '../config/config.js';

/** Redis Cluster's slot count: a shard's tag is chosen by the slot it falls in. */
const SLOTS = 16384;

/**
 * The shard of a kid (a task's) or of a name (where a named task lives: `add` draws its kid there,
 * so a name and its task share one slot and the add stays one script). FNV-1a, 32 bits: stable
 * across versions and machines, and spread evenly over random kids.
 */
export function shardOf(id: string, shards: number): number {
  if (shards <= 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shards;
}

type BaseKeys = Config['keys'];

/**
 * conf.ini's three key names for each shard, shard 0 first (the home keys, unchanged). A key with a
 * hash tag `{T}` gets `{T.sI-N}` on shard I, N the first whose slot falls in the I-th K-th of the
 * slots after the home tag's: each K-th of the slots holds one shard, so a Cluster whose masters
 * split the slots evenly gets K / masters shards each (K a multiple of the masters). A key without
 * a tag (one Redis, Sentinel) gets `:sI` after its name.
 */
export function shardKeyNames(keys: BaseKeys, shards: number): BaseKeys[] {
  const out: BaseKeys[] = [keys];
  for (let i = 1; i < shards; i++) {
    const tag = shardTag(keys.lock, i, shards);
    const rename = (name: string): string => (tag === null ? `${name}:s${i}` : name.replace(TAG, `{${tag}}`));
    out.push({ ...keys, pool: rename(keys.pool), trun: rename(keys.trun), lock: rename(keys.lock) });
  }
  return out;
}

/** The hash tag Redis Cluster hashes: the first `{...}` with something inside. */
const TAG = /\{([^}]+)\}/;

function shardTag(lockKey: string, shard: number, shards: number): string | null {
  const home = TAG.exec(lockKey)?.[1];
  if (home === undefined) return null;
  // The home tag's K-th is shard 0's; shard I takes the I-th after it, in its middle half (clear
  // of a boundary a Cluster's even split may put a slot off).
  const span = SLOTS / shards;
  const kth = (Math.floor(calculateSlot(home) / span) + shard) % shards;
  const from = Math.ceil(kth * span + span / 4);
  const within = Math.max(1, Math.floor(span / 2));
  for (let n = 0; ; n++) {
    const tag = `${home}.s${shard}-${n}`;
    if ((calculateSlot(tag) - from + SLOTS) % SLOTS < within) return tag;
  }
}

/** Items grouped by shard, each with its index in `items` (to put replies back in order). */
export function byShard<T>(
  items: readonly T[],
  shardOfItem: (item: T) => number,
): Map<number, { item: T; index: number }[]> {
  const groups = new Map<number, { item: T; index: number }[]>();
  items.forEach((item, index) => {
    const s = shardOfItem(item);
    const group = groups.get(s) ?? [];
    group.push({ item, index });
    groups.set(s, group);
  });
  return groups;
}

/**
 * Runs `fn` on each shard's part of `items`, the shards at once (their commands go out together on
 * the one client: one round trip, not one a shard), and puts their replies, one per item, back in
 * the items' order.
 */
export async function perShard<T, R>(
  items: readonly T[],
  shardOfItem: (item: T) => number,
  fn: (shard: number, part: T[]) => Promise<R[]>,
): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  await Promise.all(
    [...byShard(items, shardOfItem)]
      .sort(([a], [b]) => a - b)
      .map(async ([shard, group]) => {
        const replies = await fn(
          shard,
          group.map((g) => g.item),
        );
        group.forEach((g, i) => {
          out[g.index] = replies[i] as R;
        });
      }),
  );
  return out;
}
