// A Redis Cluster of private masters on loopback (no replicas), for the benchmarks that measure
// how the work spreads over masters; started and destroyed by the benchmark itself.
import { execFileSync } from 'node:child_process';
import { Cluster } from 'ioredis';
import { waitFor } from '../../test/helpers/wait.js';
import { RedisServer } from './setup.js';

export class RedisCluster {
  private constructor(readonly masters: RedisServer[]) {}

  /** `count` masters sharing the 16,384 slots evenly (redis-cli --cluster create), state ok. */
  static async start(count: number): Promise<RedisCluster> {
    const masters: RedisServer[] = [];
    try {
      for (let i = 0; i < count; i++)
        masters.push(
          await RedisServer.start({
            args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
          }),
        );
      execFileSync(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...masters.map((n) => `127.0.0.1:${n.port}`),
          '--cluster-replicas',
          '0',
          '--cluster-yes',
        ],
        { stdio: 'ignore' },
      );
      for (const n of masters) {
        const c = n.client();
        await waitFor(async () => /cluster_state:ok/.test(String(await c.call('CLUSTER', 'INFO'))), {
          what: `cluster_state:ok on ${n.port}`,
          timeoutMs: 20_000,
        });
        c.disconnect();
      }
    } catch (e) {
      for (const n of masters) await n.destroy();
      throw e;
    }
    return new RedisCluster(masters);
  }

  /** conf.ini's `redis.cluster` seeds. */
  get seeds(): string {
    return this.masters.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  /** A cluster client; the caller disconnects it. */
  client(): Cluster {
    const c = new Cluster(this.masters.map((n) => ({ host: '127.0.0.1', port: n.port })));
    c.on('error', () => {});
    return c;
  }

  /** The master (of `masters`) that serves `key`'s slot. */
  async masterOf(key: string): Promise<RedisServer> {
    const first = this.masters[0];
    if (first === undefined) throw new Error('a cluster without masters');
    const c = first.client();
    const slot = Number(await c.call('CLUSTER', 'KEYSLOT', key));
    const ranges = (await c.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    c.disconnect();
    const port = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
    const master = this.masters.find((n) => n.port === port);
    if (master === undefined) throw new Error(`no master serves slot ${slot} (${key})`);
    return master;
  }

  async destroy(): Promise<void> {
    for (const n of this.masters) await n.destroy();
  }
}
