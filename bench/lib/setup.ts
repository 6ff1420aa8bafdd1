// What every benchmark needs: a private Redis, a URL sink, ktimer daemons and BullMQ, all on
// this machine and started by the benchmark itself.
import { createServer, type Server } from 'node:http';
import type { Cluster, Redis } from 'ioredis';
import { byShard, shardKeyNames, shardOf } from '../../src/store/shards.js';
import { taskKeys, writeTestConfig } from '../../test/helpers/cli.js';
import { TestDaemon } from '../../test/helpers/daemon.js';
import { freePort, RedisServer } from '../../test/helpers/redis-server.js';
import { storedTask, storeTasks } from '../../test/helpers/stored-tasks.js';

export { freePort, RedisServer, TestDaemon, writeTestConfig };

/** Records when each kid's call arrived (unix ms, sink clock = Redis clock on this machine). */
export class Sink {
  readonly arrivals = new Map<string, number>();
  count = 0;
  private server: Server | undefined;
  port = 0;
  private waiters: { n: number; resolve: () => void }[] = [];

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const at = Date.now();
      const kid = new URL(req.url ?? '/', 'http://x').searchParams.get('kid') ?? '?';
      if (!this.arrivals.has(kid)) this.arrivals.set(kid, at);
      this.count++;
      for (const w of this.waiters) if (this.count >= w.n) w.resolve();
      res.end('ok');
    });
    this.server.keepAliveTimeout = 60_000;
    this.server.maxConnections = 10_000;
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', 1024, r));
    this.port = (this.server.address() as { port: number }).port;
  }

  url(path = '/hit'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  reset(): void {
    this.arrivals.clear();
    this.count = 0;
  }

  /** Resolves once `n` calls arrived, or rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs: number): Promise<void> {
    if (this.count >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`sink got ${this.count} of ${n} calls in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}

/** conf.ini's three task keys of each of `shards` shards under `prefix` (writeTestConfig's names). */
export function shardTaskKeys(
  prefix: string,
  shards: number,
): { pool: string; trun: string; lock: string }[] {
  const home = taskKeys(prefix);
  return shardKeyNames({ pool: home.pool, trun: home.schedule, lock: `${prefix}:tasks:lock` }, shards);
}

/**
 * Writes tasks into ktimer's Redis layout (the daemon cannot tell them from added ones), each on
 * its kid's shard of `shards` (a fleet of that many schedule shards, docs/shards.md), as `add`
 * places it.
 */
export async function seedKtimer(
  client: Redis | Cluster,
  prefix: string,
  tasks: { kid: string; command: string; dueSec: number; type?: 'timer' | 'ticker'; time?: number }[],
  shards = 1,
): Promise<void> {
  const keys = shardTaskKeys(prefix, shards);
  for (const [shard, group] of byShard(tasks, (t) => shardOf(t.kid, shards))) {
    const at = keys[shard];
    if (at === undefined) throw new Error(`no keys for shard ${shard} of ${shards}`);
    await storeTasks(
      client,
      { pool: at.pool, schedule: at.trun },
      group.map(({ item: t }) => [
        t.kid,
        storedTask({
          type: t.type ?? 'timer',
          time: t.time ?? 5,
          command: t.command,
          run_nexttime: t.dueSec,
        }),
      ]),
    );
  }
}

export const kidOf = (n: number, tag = 'k'): string => `${tag}${n.toString(16).padStart(31, '0')}`;

export async function redisNowMs(client: Redis): Promise<number> {
  const [s, us] = await client.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

/**
 * The lateness runs' load under `prefix`: `pending` timers far ahead, then `count` URL timers
 * calling the sink, due evenly over `spreadMs` from `leadMs` after the pending ones are stored
 * (storing 100,000 takes seconds: a lead counted from before it left the first fires due before
 * the daemon was up, late by however long the seeding overran), each on its kid's shard of
 * `shards` (default 1). Returns the due times (ms).
 */
export async function seedDueTimers(
  redis: RedisServer,
  sink: Sink,
  prefix: string,
  o: { count: number; pending: number; leadMs: number; spreadMs: number; shards?: number },
): Promise<number[]> {
  const client = redis.client();
  const farFrom = await redisNowMs(client);
  await seedKtimer(
    client,
    prefix,
    Array.from({ length: o.pending }, (_, i) => ({
      kid: kidOf(i, 'f'),
      command: 'true',
      dueSec: farFrom / 1000 + 86_400 + i,
    })),
    o.shards,
  );
  const now = await redisNowMs(client);
  const due = Array.from(
    { length: o.count },
    (_, i) => now + o.leadMs + Math.floor((o.spreadMs * i) / o.count),
  );
  await seedKtimer(
    client,
    prefix,
    due.map((d, i) => ({ kid: kidOf(i, 'd'), command: sink.url('/k'), dueSec: d / 1000 })),
    o.shards,
  );
  client.disconnect();
  return due;
}
