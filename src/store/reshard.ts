// `ktimer reshard --to K` (docs/shards.md): moves every task, with its schedule or paused entry,
// name, group entries, last run, history, outputs, failure streak, and the names of tasks that
// left, from the shards of the fleet's count to those of K, then records K. Done while no daemon
// runs and no run is handed out, so nothing fires meanwhile. Each item is written on its new
// shard, then deleted from its old one: a reshard that dies half-way leaves items on both, and
// running it again finishes the move (an item found on its old shard is moved again, over its
// copy). The runs stream of a shard that a reshard down removes is not carried over (the history
// of each task is).
import type { Cluster, Redis } from 'ioredis';
import { labelSetKey } from '../labels.js';
import { kidOfFireId } from '../runs/ids.js';
import type { StoreKeys } from './keys.js';
import type { RedisAccess } from './redis-access.js';
import type { RedisClient } from './script.js';
import { shardOf } from './shards.js';

export interface ReshardCount {
  from: number;
  to: number;
  tasks: number;
  /** Tasks that change shard. */
  moving: number;
}

/** Glob characters escaped, for SCAN MATCH prefix*. */
const glob = (prefix: string): string => `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;

export class Resharder {
  constructor(
    private readonly from: readonly RedisAccess[],
    private readonly to: readonly RedisAccess[],
  ) {}

  private target(kid: string): RedisAccess {
    return this.to[shardOf(kid, this.to.length)] as RedisAccess;
  }

  private moves(old: RedisAccess, kid: string): RedisAccess | null {
    const t = this.target(kid);
    return t.keys.pool === old.keys.pool ? null : t;
  }

  /** How many tasks there are, and how many would change shard. */
  async count(): Promise<ReshardCount> {
    let tasks = 0;
    let moving = 0;
    for (const old of this.from)
      await scanHash(old, old.keys.pool, (kid) => {
        tasks++;
        if (this.moves(old, kid)) moving++;
        return Promise.resolve();
      });
    return { from: this.from.length, to: this.to.length, tasks, moving };
  }

  /** Runs handed out (pending, leased, running, queued) on any shard: a reshard waits for none. */
  async handedOut(): Promise<number> {
    const counts = await Promise.all(
      this.from.map((s) => s.call((c) => Promise.all([c.hlen(s.keys.fires), c.hlen(s.keys.queued)]))),
    );
    return counts.flat().reduce((a, b) => a + b, 0);
  }

  /** Moves everything to its shard of the new count; how many tasks moved. */
  async run(): Promise<number> {
    let moved = 0;
    for (const old of this.from) {
      await scanHash(old, old.keys.pool, async (kid, raw) => {
        const to = this.moves(old, kid);
        if (to) {
          await moveTask(old, to, kid, raw);
          moved++;
        }
      });
      await this.moveHistory(old);
    }
    return moved;
  }

  /** Every task's history, live or gone: lists, last runs, outputs, streaks, ended names. */
  private async moveHistory(old: RedisAccess): Promise<void> {
    const k = old.keys;
    await scanHash(old, k.last, async (kid, raw) => {
      const to = this.moves(old, kid);
      if (to)
        await both(
          old,
          to,
          (c) => c.hset(to.keys.last, kid, raw),
          (c) => c.hdel(k.last, kid),
        );
    });
    const byKid = (prefix: string, kidOf: (rest: string) => string) =>
      scanKeys(old, prefix, async (key) => {
        const rest = key.slice(prefix.length);
        const to = this.moves(old, kidOf(rest));
        if (to) await moveKey(old, to, key, pick(to.keys, k, prefix) + rest);
      });
    await byKid(k.history, (kid) => kid);
    await byKid(k.streak, (kid) => kid);
    await byKid(k.output, kidOfFireId);
    await scanKeys(old, k.endedName, async (key) => {
      const kid = await old.call((c) => c.get(key));
      const to = kid === null ? null : this.moves(old, kid);
      if (to) await moveKey(old, to, key, to.keys.endedName + key.slice(k.endedName.length));
    });
  }
}

/** The key of `to` that plays the part `prefix` plays in `from` (history, streak, output). */
function pick(to: StoreKeys, from: StoreKeys, prefix: string): string {
  if (prefix === from.history) return to.history;
  if (prefix === from.streak) return to.streak;
  return to.output;
}

/** One task from shard `old` to `to`: written there first, then taken out of `old`. */
async function moveTask(old: RedisAccess, to: RedisAccess, kid: string, raw: string): Promise<void> {
  const k = old.keys;
  const t = to.keys;
  const task = JSON.parse(raw) as { name?: string; group?: string; on?: string[] };
  const set = task.on && task.on.length > 0 ? labelSetKey(task.on) : '';
  const [scheduled, paused, placed] = await old.call((c) =>
    Promise.all([
      c.zscore(k.schedule, kid),
      c.zscore(k.paused, kid),
      set === '' ? null : c.zscore(k.placedSchedule + set, kid),
    ]),
  );
  await to.call(async (c) => {
    await c.hset(t.pool, kid, raw);
    if (scheduled !== null) await c.zadd(t.schedule, scheduled, kid);
    if (paused !== null) await c.zadd(t.paused, paused, kid);
    if (placed !== null) {
      await c.zadd(t.placedSchedule + set, placed, kid);
      await c.zadd(t.placement, 'LT', Math.floor(Number(placed) * 1000), set);
    }
    if (task.name !== undefined) await c.hset(t.names, task.name, kid);
    if (task.group !== undefined) await c.sadd(t.group + task.group, kid);
  });
  await old.call(async (c) => {
    await c.hdel(k.pool, kid);
    await c.zrem(k.schedule, kid);
    await c.zrem(k.paused, kid);
    if (set !== '') await c.zrem(k.placedSchedule + set, kid);
    if (task.name !== undefined && (await c.hget(k.names, task.name)) === kid)
      await c.hdel(k.names, task.name);
    if (task.group !== undefined) await c.srem(k.group + task.group, kid);
  });
}

/** A key copied whole (DUMP, RESTORE with its time to live) to `toKey`, then deleted; output bytes counted on their new shard. */
async function moveKey(old: RedisAccess, to: RedisAccess, key: string, toKey: string): Promise<void> {
  const [dumped, pttl, len] = await old.call((c) =>
    Promise.all([c.dumpBuffer(key), c.pttl(key), key.startsWith(old.keys.output) ? c.strlen(key) : 0]),
  );
  // DUMP of a key gone meanwhile replies nil, whatever its typing says.
  const dump: unknown = dumped;
  if (!(dump instanceof Buffer)) return;
  await to.call((c) => c.restore(toKey, Math.max(0, pttl), dump, 'REPLACE'));
  if (len > 0) await to.call((c) => c.incrby(to.keys.outputBytes, len));
  await old.call(async (c) => {
    await c.del(key);
    if (len > 0) await c.decrby(old.keys.outputBytes, len);
  });
}

async function both(
  old: RedisAccess,
  to: RedisAccess,
  write: (c: RedisClient) => Promise<unknown>,
  drop: (c: RedisClient) => Promise<unknown>,
): Promise<void> {
  await to.call(write);
  await old.call(drop);
}

async function scanHash(
  s: RedisAccess,
  key: string,
  each: (field: string, value: string) => Promise<void>,
): Promise<void> {
  let cursor = '0';
  do {
    const [next, flat] = await s.call((c) => c.hscan(key, cursor, 'COUNT', 500));
    for (let i = 0; i + 1 < flat.length; i += 2) await each(flat[i] as string, flat[i + 1] as string);
    cursor = next;
  } while (cursor !== '0');
}

/** Every key under `prefix` (a Cluster: on each master, where the shard's keys are). */
async function scanKeys(s: RedisAccess, prefix: string, each: (key: string) => Promise<void>): Promise<void> {
  const nodes: (Redis | Cluster)[] = 'nodes' in s.client ? s.client.nodes('master') : [s.client];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await s.call(() => node.scan(cursor, 'MATCH', glob(prefix), 'COUNT', 1000));
      for (const key of keys) await each(key);
      cursor = next;
    } while (cursor !== '0');
  }
}
