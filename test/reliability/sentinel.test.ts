// Redis Sentinel on loopback (1 master, 1 replica, 3 sentinels, all started here): daemons
// configured with redis.sentinels follow a failover and keep firing; prints how many fires
// were delayed, and checks none was doubled or lost.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { freePort, RedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';
import { lastDueMs, LOST_AFTER_MS, plan, report, seed, settle, Sink, startFleet, tally } from './fleet.js';

class SentinelProcess {
  private proc: ChildProcess | undefined;
  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(masterPort: number): Promise<SentinelProcess> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'ktimer-sentinel-'));
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor mymaster 127.0.0.1 ${masterPort} 2`,
        'sentinel down-after-milliseconds mymaster 1000',
        'sentinel failover-timeout mymaster 5000',
        'sentinel parallel-syncs mymaster 1',
        '',
      ].join('\n'),
    );
    const s = new SentinelProcess(port, dir);
    s.proc = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
    await waitFor(
      async () => {
        const c = new Redis({ port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
        c.on('error', () => {});
        try {
          await c.connect();
          return (await c.call('PING')) === 'PONG';
        } catch {
          return false;
        } finally {
          c.disconnect();
        }
      },
      { what: `sentinel on ${port}` },
    );
    return s;
  }

  client(): Redis {
    const c = new Redis({ port: this.port, maxRetriesPerRequest: 1 });
    c.on('error', () => {});
    return c;
  }

  stop(): void {
    this.proc?.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

let sink: Sink;
const cleanup: (() => Promise<void> | void)[] = [];
before(async () => {
  sink = new Sink();
  await sink.start();
});
after(async () => {
  for (const fn of cleanup.reverse()) await fn();
  await sink.close();
});

test('a Sentinel failover under load: the daemons follow the new master and keep firing', async () => {
  // Replicas sync at once (the default waits 5 s to batch diskless syncs).
  const replication = ['--repl-diskless-sync-delay', '0'];
  const master = await RedisServer.start({ args: replication });
  cleanup.push(() => master.destroy());
  const replica = await RedisServer.start({
    args: [...replication, '--replicaof', '127.0.0.1', String(master.port)],
  });
  cleanup.push(() => replica.destroy());
  const sentinels = await Promise.all([0, 1, 2].map(() => SentinelProcess.start(master.port)));
  cleanup.push(() => {
    for (const s of sentinels) s.stop();
  });
  const s0 = sentinels[0] as SentinelProcess;
  const watcher = s0.client();
  cleanup.push(() => watcher.disconnect());
  const masterPort = async () =>
    Number(((await watcher.call('SENTINEL', 'get-master-addr-by-name', 'mymaster')) as string[])[1]);
  // The sentinels must know the replica before a failover can happen.
  await waitFor(
    async () => ((await watcher.call('SENTINEL', 'replicas', 'mymaster')) as unknown[]).length === 1,
    {
      what: 'sentinels to see the replica',
      timeoutMs: 20_000,
    },
  );

  const client = master.client();
  cleanup.push(() => client.disconnect());
  const nowSec = Number((await client.time())[0]);
  const tasks = plan({
    tag: '5e',
    sinkUrl: sink.url('/sentinel'),
    startSec: nowSec + 4,
    spreadSec: 20,
    timers: 2000,
    tickers: 20,
    tickerEverySec: 2,
    tickerLimit: 5,
  });
  await seed(client, 'sent', tasks);
  const daemons = await startFleet(2, {
    redisPort: master.port,
    prefix: 'sent',
    extra: {
      redis: [
        `redis.sentinels = ${sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}`,
        'redis.sentinel_name = mymaster',
        'redis.wait_replicas = 1',
      ],
    },
  });
  cleanup.push(() => {
    for (const d of daemons) d.kill();
  });

  await waitFor(() => Date.now() > (nowSec + 10) * 1000, { what: 'mid-run', timeoutMs: 20_000 });
  const failoverAt = Date.now();
  await watcher.call('SENTINEL', 'FAILOVER', 'mymaster');
  await waitFor(async () => (await masterPort()) === replica.port, {
    what: 'the replica to become master',
    timeoutMs: 30_000,
  });
  const switchedMs = Date.now() - failoverAt;
  // The old master comes back as a replica of the new one.
  const newMaster = replica.client();
  cleanup.push(() => newMaster.disconnect());
  await waitFor(async () => /connected_slaves:1/.test(await newMaster.info('replication')), {
    what: 'the old master to follow the new one',
    timeoutMs: 30_000,
  });
  const rejoinedMs = Date.now() - failoverAt;

  // Leases the old master held lapse task_lost_after after the switch: any double of theirs by then.
  await settle(sink, tasks, Math.max(lastDueMs(tasks), failoverAt + LOST_AFTER_MS));
  const t = tally(tasks, sink);
  const delayed = tasks.filter((task) => {
    const first = sink.hits.get(task.kid)?.[0];
    return task.type === 'timer' && first !== undefined && first - task.dueSec * 1000 > 1000;
  }).length;
  report('sentinel-failover', {
    switch_ms: switchedMs,
    rejoin_ms: rejoinedMs,
    fired: t.fired,
    expected: t.expected,
    duplicates: t.duplicates,
    lost: t.lost,
    delayed_over_1s: delayed,
    lateness_ms: t.lateness,
  });
  assert.equal(t.duplicates, 0);
  assert.equal(t.lost, 0);
  assert.ok(daemons.every((d) => d.alive()));
  // The command line follows the sentinels too.
  const count = await daemons[0]?.cli(['count']);
  assert.equal(count?.code, 0, count?.stderr);
});
