// A private Redis Cluster on loopback for a test file (and bench/shards.ts): `masters` redis-servers
// with the slots split evenly, each with `replicas` replicas, made by `redis-cli --cluster create`;
// and a manual failover of one master to its replica. Never a mock: the daemons talk to real nodes.
import { execFileSync } from 'node:child_process';
import { Cluster } from 'ioredis';
import { RedisServer } from './redis-server.js';
import { waitFor } from './wait.js';

/** One line of CLUSTER NODES: a node's id, port, role and (a replica's) master id. */
interface NodeLine {
  id: string;
  port: number;
  master: boolean;
  masterId: string;
}

export class RedisCluster {
  private constructor(readonly nodes: RedisServer[]) {}

  /** The nodes (with no replicas, every one a master), state ok, replicas in sync. */
  static async start(opts: { masters: number; replicas: number }): Promise<RedisCluster> {
    const count = opts.masters * (1 + opts.replicas);
    const nodes = await Promise.all(
      Array.from({ length: count }, () =>
        // Replicas sync at once (the default waits 5 s to batch diskless syncs).
        RedisServer.start({
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--repl-diskless-sync-delay',
            '0',
          ],
        }),
      ),
    );
    const cluster = new RedisCluster(nodes);
    try {
      await cluster.create(opts);
    } catch (e) {
      await cluster.destroy();
      throw e;
    }
    return cluster;
  }

  private async create(opts: { masters: number; replicas: number }): Promise<void> {
    execFileSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...this.nodes.map((n) => `127.0.0.1:${n.port}`),
        '--cluster-replicas',
        String(opts.replicas),
        '--cluster-yes',
      ],
      { stdio: 'ignore' },
    );
    // Every node agrees the cluster is whole, and every replica has its master's data.
    await waitFor(async () => (await this.each((c) => c.call('CLUSTER', 'INFO'))).every(isOk), {
      what: 'cluster_state:ok on every node',
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    await waitFor(async () => (await this.replicasInSync()) === opts.masters * opts.replicas, {
      what: 'every replica in sync',
      timeoutMs: 30_000,
      intervalMs: 100,
    });
  }

  /** The seed list for conf.ini's redis.cluster. */
  get seeds(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  /** A cluster client (ioredis follows MOVED); the caller disconnects it. */
  client(): Cluster {
    const client = new Cluster(this.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })));
    client.on('error', () => {});
    return client;
  }

  /** The node serving each port, as CLUSTER NODES says (asked of the first node that answers). */
  async topology(): Promise<NodeLine[]> {
    for (const n of this.nodes) {
      if (!n.running) continue;
      const c = n.client();
      try {
        return parseNodes((await c.call('CLUSTER', 'NODES')) as string);
      } finally {
        c.disconnect();
      }
    }
    throw new Error('no cluster node answers');
  }

  /** The port of the master serving `slot` now. */
  async masterOf(slot: number): Promise<number> {
    const c = this.nodes[0]?.client();
    try {
      const slots = (await c?.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      const owner = slots.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
      if (owner === undefined) throw new Error(`no master serves slot ${slot}`);
      return owner;
    } finally {
      c?.disconnect();
    }
  }

  /**
   * A manual failover (CLUSTER FAILOVER, sent to a replica of the master on `masterPort`): the
   * master stops writes, its replica catches up and takes over. Resolves once every node sees the
   * replica as the master of those slots: the new master's port, and when (unix ms) the replica
   * said it was master (`promotedMs`) and when every node agreed (`agreedMs`).
   */
  async failover(masterPort: number): Promise<{ port: number; promotedMs: number; agreedMs: number }> {
    const before = await this.topology();
    const old = before.find((n) => n.port === masterPort && n.master);
    const replica = before.find((n) => !n.master && n.masterId === old?.id);
    const server = this.nodes.find((n) => n.port === replica?.port);
    if (!old || !replica || !server) throw new Error(`no master with a replica on port ${masterPort}`);
    const c = server.client();
    try {
      await c.call('CLUSTER', 'FAILOVER');
      await waitFor(async () => /^role:master/m.test(await c.info('replication')), {
        what: `port ${replica.port} to say it is master`,
        timeoutMs: 20_000,
        intervalMs: 20,
      });
    } finally {
      c.disconnect();
    }
    const promotedMs = Date.now();
    const sees = (text: unknown): boolean => {
      const nodes = parseNodes(String(text));
      return (
        nodes.find((n) => n.id === replica.id)?.master === true &&
        nodes.find((n) => n.id === old.id)?.master === false
      );
    };
    await waitFor(async () => (await this.each((n) => n.call('CLUSTER', 'NODES'))).every(sees), {
      what: `every node to see ${replica.port} take over from ${masterPort}`,
      timeoutMs: 20_000,
      intervalMs: 50,
    });
    return { port: replica.port, promotedMs, agreedMs: Date.now() };
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.destroy()));
  }

  /** How many replicas say their link to their master is up. */
  private async replicasInSync(): Promise<number> {
    const infos = await this.each((c) => c.info('replication'));
    return infos.filter((i) => /role:slave/.test(i) && /master_link_status:up/.test(i)).length;
  }

  private async each<T>(fn: (c: ReturnType<RedisServer['client']>) => Promise<T>): Promise<T[]> {
    return Promise.all(
      this.nodes.map(async (n) => {
        const c = n.client();
        try {
          return await fn(c);
        } finally {
          c.disconnect();
        }
      }),
    );
  }
}

const isOk = (info: unknown): boolean => typeof info === 'string' && /cluster_state:ok/.test(info);

function parseNodes(text: string): NodeLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const [id = '', addr = '', flags = '', masterId = ''] = line.split(' ');
      return {
        id,
        port: Number(/:(\d+)@/.exec(addr)?.[1] ?? 0),
        master: flags.split(',').includes('master'),
        masterId,
      };
    });
}
