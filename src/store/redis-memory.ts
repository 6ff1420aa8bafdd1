// Whether Redis may evict ktimer's keys. With a maxmemory and any policy but noeviction, Redis
// deletes keys to make room: a task, a fire's lease or a run record gone without a word, so a run
// may be lost or happen twice. ktimer needs Redis to keep what it acknowledged (docs/fleet.md,
// "Redis's memory"); `init` and the daemon say so when it may not. Every master of a Cluster is
// asked: shards live on all of them.
import { Cluster } from 'ioredis';
import type { RedisClient } from './script.js';

/** A server that may evict: where, and its settings as INFO memory gives them. */
export interface EvictionRisk {
  /** host:port */
  node: string;
  policy: string;
  /** maxmemory, as INFO writes it (100.00M). */
  maxmemory: string;
}

/** The servers (every master of a Cluster) that have a maxmemory and a policy other than noeviction. */
export async function evictionRisks(client: RedisClient): Promise<EvictionRisk[]> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  const risks: EvictionRisk[] = [];
  for (const node of nodes) {
    const info = await node.info('memory');
    const field = (name: string) => new RegExp(`^${name}:(\\S*)`, 'm').exec(info)?.[1];
    const policy = field('maxmemory_policy');
    // No maxmemory (0, Redis's default on 64 bits): nothing is ever evicted, whatever the policy.
    if (policy === undefined || policy === 'noeviction' || Number(field('maxmemory') ?? 0) === 0) continue;
    const { host, port } = node.options;
    risks.push({ node: `${host ?? '?'}:${port ?? '?'}`, policy, maxmemory: field('maxmemory_human') ?? '?' });
  }
  return risks;
}

/** One line for the operator: what may happen, where, and what to set. */
export function evictionWarning(risks: readonly EvictionRisk[]): string {
  const where = risks.map((r) => `${r.node} (maxmemory ${r.maxmemory}, maxmemory-policy ${r.policy})`);
  return (
    `Redis at ${where.join(', ')} may evict keys when full: a task, a lease or a run record could ` +
    'vanish, and a run be lost or happen twice; set maxmemory-policy noeviction ' +
    '(CONFIG SET and redis.conf: docs/fleet.md#redis-memory)'
  );
}
