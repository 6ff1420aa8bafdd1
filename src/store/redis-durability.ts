// Whether Redis keeps what ktimer wrote (docs/fleet.md, "Redis memory and persistence"), asked of
// every master of a Cluster (shards live on all of them):
// - memory: with a maxmemory and any policy but noeviction, Redis deletes keys to make room: a
//   task, a fire's lease or a run record gone without a word, so a run may be lost or happen twice;
// - disk: without AOF, a restarted Redis comes back as of its last snapshot: tasks added since
//   are gone, and runs fired since fire again.
// `init` and the daemon say so when it may not.
import { Cluster } from 'ioredis';
import type { RedisClient } from './script.js';

/** What each master says of its memory and persistence (INFO memory, INFO persistence). */
export interface Durability {
  /** The masters that may evict keys. */
  evicting: EvictionRisk[];
  /** The masters (host:port) without AOF. */
  withoutAof: string[];
}

/** A server that may evict: where, and its settings as INFO memory gives them. */
export interface EvictionRisk {
  /** host:port */
  node: string;
  policy: string;
  /** maxmemory, as INFO writes it (100.00M). */
  maxmemory: string;
}

/** Where the fleet's docs say what to set. */
const DOCS = 'docs/fleet.md#redis-memory-and-persistence';

export async function durabilityOf(client: RedisClient): Promise<Durability> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  const out: Durability = { evicting: [], withoutAof: [] };
  // Every section of every master asked at once: one round trip (two sections, for Redis 6.2).
  const infos = await Promise.all(
    nodes.map(async (node) => ({
      node,
      info: (await Promise.all([node.info('memory'), node.info('persistence')])).join(''),
    })),
  );
  for (const { node, info } of infos) {
    const field = (name: string) => new RegExp(`^${name}:(\\S*)`, 'm').exec(info)?.[1];
    const { host, port } = node.options;
    const where = `${host ?? '?'}:${port ?? '?'}`;
    const policy = field('maxmemory_policy');
    // No maxmemory (0, Redis's default on 64 bits): nothing is ever evicted, whatever the policy.
    if (policy !== undefined && policy !== 'noeviction' && Number(field('maxmemory') ?? 0) > 0)
      out.evicting.push({ node: where, policy, maxmemory: field('maxmemory_human') ?? '?' });
    if (field('aof_enabled') === '0') out.withoutAof.push(where);
  }
  return out;
}

/** One line for the operator: what may happen, where, and what to set. */
export function evictionWarning(risks: readonly EvictionRisk[]): string {
  const where = risks.map((r) => `${r.node} (maxmemory ${r.maxmemory}, maxmemory-policy ${r.policy})`);
  return (
    `Redis at ${where.join(', ')} may evict keys when full: a task, a lease or a run record could ` +
    `vanish, and a run be lost or happen twice; set maxmemory-policy noeviction (${DOCS})`
  );
}

/** The same for masters without AOF. */
export function noAofWarning(nodes: readonly string[]): string {
  return (
    `Redis at ${nodes.join(', ')} keeps no AOF (appendonly no): restarted, it comes back as of its ` +
    `last snapshot, if any, without the tasks added since and with the runs fired since to fire again; set appendonly yes (${DOCS})`
  );
}
