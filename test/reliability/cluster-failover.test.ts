// Schedule shards on a Redis Cluster under chaos (issue 28 item 5): 3 masters each with a replica,
// shards = 6 (two on each master), 3 daemons, 3,000 URL timers and 30 tickers over 14 s, a daemon
// SIGKILLed every 3 s and restarted, and mid-run a manual failover (CLUSTER FAILOVER on the replica)
// of the master holding the home keys and its two shards. Each run exactly once, none lost but
// those a killed daemon had begun, every run on record once, and firing goes on after the failover.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import calculateSlot from 'cluster-key-slot';
import { loadConfig } from '../../src/config/load-config.js';
import { storeKeys } from '../../src/store/keys.js';
import { shardKeyNames, shardOf } from '../../src/store/shards.js';
import { storesOn } from '../helpers/stores.js';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { waitFor } from '../helpers/wait.js';
import {
  afterKills,
  begunByDead,
  checkRecords,
  killInTurn,
  lastDueMs,
  LOST_AFTER_MS,
  plan,
  type PlannedTask,
  report,
  seedShards,
  settle,
  Sink,
  startFleet,
  tally,
} from './fleet.js';

const SHARDS = 6;
const SPREAD_SEC = 14;
const PREFIX = '{kf}';
let cluster: RedisCluster;
let sink: Sink;
const cleanup: (() => Promise<void> | void)[] = [];

before(async () => {
  sink = new Sink();
  await sink.start();
  cluster = await RedisCluster.start({ masters: 3, replicas: 1 });
});
after(async () => {
  for (const fn of cleanup.reverse()) await fn();
  await cluster.destroy();
  await sink.close();
});

test('a 3-master Cluster with replicas, shards = 6, SIGKILL chaos and a master failover mid-run: each run exactly once, firing goes on', async () => {
  const daemons = await startFleet(3, {
    redisPort: 1,
    prefix: PREFIX,
    extra: { redis: [`redis.cluster = ${cluster.seeds}`, `shards = ${SHARDS}`] },
  });
  cleanup.push(() => {
    for (const d of daemons) d.kill();
  });
  const shardKeys = shardKeyNames(loadConfig(daemons[0]!.config).keys, SHARDS);
  const client = cluster.client();
  cleanup.push(() => client.disconnect());

  // The daemons first (idle, the shard count recorded), then the tasks, each on its kid's shard.
  const nowSec = Math.floor(Date.now() / 1000);
  const startMs = (nowSec + 4) * 1000;
  const tasks = plan({
    tag: 'c1a5',
    sinkUrl: sink.url('/cluster'),
    startSec: nowSec + 4,
    spreadSec: SPREAD_SEC,
    timers: 3000,
    tickers: 30,
    tickerEverySec: 2,
    tickerLimit: 5,
  });
  const shardOfTask = new Map(tasks.map((t) => [t.kid, shardOf(t.kid, SHARDS)]));
  await seedShards(client, shardKeys, (kid) => shardOfTask.get(kid) ?? 0, tasks);

  // The master of the home keys (fleet, daemons) and of its shards: failed over mid-run.
  const home = await cluster.masterOf(calculateSlot(shardKeys[0]!.lock));
  const failedShards: number[] = [];
  for (const [shard, keys] of shardKeys.entries())
    if ((await cluster.masterOf(calculateSlot(keys.lock))) === home) failedShards.push(shard);
  const failover = (async () => {
    await waitFor(() => Date.now() > startMs + 8000, { what: 'mid-run', timeoutMs: 20_000 });
    // Who holds those shards then: a daemon just killed leaves them unclaimed until its lease ends.
    const holders = await Promise.all(
      failedShards.map((i) => client.get(storeKeys(shardKeys[i]!).shardLease)),
    );
    const at = Date.now();
    return { at, holders, ...(await cluster.failover(home)) };
  })();

  await waitFor(() => Date.now() > startMs + 1000, { what: 'the first fires', timeoutMs: 10_000 });
  const stopChaos = new AbortController();
  cleanup.push(() => stopChaos.abort());
  const [{ kills, dead, killedAt }, switched] = await Promise.all([
    killInTurn(daemons, startMs + SPREAD_SEC * 1000, { stop: stopChaos.signal }),
    failover,
  ]);
  const locks = shardKeys.map((k) => k.lock);
  let excused = await begunByDead(client, locks, dead);
  await settle(
    sink,
    tasks,
    Math.max(lastDueMs(tasks), afterKills(killedAt), switched.agreedMs + LOST_AFTER_MS),
    () => excused,
    async () => {
      excused = await begunByDead(client, locks, dead);
    },
  );
  excused = await begunByDead(client, locks, dead);
  const t = tally(tasks, sink, excused);

  // Every run on record once, shard by shard.
  const records = { records: 0, duplicates: 0, lost: 0, pending: 0, unrecorded: [] as string[] };
  for (const [shard, keys] of shardKeys.entries()) {
    const r = await checkRecords(
      client,
      keys.lock.slice(0, -':tasks:lock'.length),
      sink,
      tasks.filter((p) => shardOfTask.get(p.kid) === shard),
    );
    records.records += r.records;
    records.duplicates += r.duplicates;
    records.lost += r.lost;
    records.pending += r.pending;
    records.unrecorded.push(...r.unrecorded);
  }

  const onFailed = tasks.filter((p) => failedShards.includes(shardOfTask.get(p.kid) ?? -1));
  // Firing's pause on those shards: the longest wait between their calls spanning the switch (from
  // CLUSTER FAILOVER to the replica saying it is master), beside the other shards' over that time
  // (a killed daemon's shards pause up to a lease, 5 s, too); and when the first call came after.
  const gap = firingGap(onFailed, sink, switched.at, switched.promotedMs);
  const otherGap = firingGap(
    others(tasks, failedShards, shardOfTask),
    sink,
    switched.at,
    switched.promotedMs,
  );
  const firstAfter = Math.min(
    ...onFailed.flatMap((p) => (sink.hits.get(p.kid) ?? []).filter((ms) => ms > switched.promotedMs)),
  );
  const firedAfter = onFailed.filter((p) =>
    (sink.hits.get(p.kid) ?? []).some((ms) => ms > switched.agreedMs),
  ).length;
  const newMaster = cluster.nodes.find((n) => n.port === switched.port)!.client();
  const stats = await newMaster.info('commandstats');
  newMaster.disconnect();
  const scriptsOnNew = Number(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1] ?? 0);
  report('cluster-failover-chaos', {
    masters: 3,
    replicas: 3,
    shards: SHARDS,
    failed_over_shards: failedShards,
    promoted_after_ms: switched.promotedMs - switched.at,
    all_nodes_agree_after_ms: switched.agreedMs - switched.at,
    firing_gap_ms: gap,
    other_shards_gap_ms: otherGap,
    first_fire_after_promotion_ms: firstAfter - switched.promotedMs,
    // A holder of those shards killed before the failover: its shards waited for its lease, not the switch.
    holder_killed_ms_before_failover: switched.holders.map((h) => {
      const killed = killedAt.get(h?.split(':')[1] ?? '');
      return killed !== undefined && killed <= switched.at ? switched.at - killed : null;
    }),
    fired_on_failed_shards_after: firedAfter,
    scripts_on_new_master: scriptsOnNew,
    kills,
    fired: t.fired,
    expected: t.expected,
    duplicates: t.duplicates,
    lost: t.lost,
    begun_by_killed_daemon_not_delivered: [...excused].filter((k) => !sink.hits.has(k)).length,
    lateness_ms: t.lateness,
  });
  report('cluster-failover-chaos-records', { ...records, unrecorded: records.unrecorded.length });
  assert.ok(kills >= 2, `killed ${kills} times`);
  assert.equal(t.duplicates, 0);
  assert.equal(t.lost, 0, `lost: ${t.lostKids.slice(0, 5)}`);
  assert.equal(records.duplicates, 0, 'a run on record twice');
  assert.equal(records.pending, 0, 'begun fires not on record');
  assert.deepEqual(records.unrecorded.slice(0, 5), [], 'fires that ran and are not on record');
  assert.ok(firedAfter > 0, 'the failed-over shards fired after the failover');
  assert.ok(scriptsOnNew > 0, 'the daemons ran scripts on the promoted replica');
});

test('redis.wait_replicas on a Cluster: WAIT goes to the master of the shard that took the begins', async () => {
  // Three shards, one on each master. WAIT has no key: sent plainly, the Cluster client would
  // pick any master, whose replicas say nothing of this shard's begins.
  const keys = shardKeyNames(
    { pool: '{kw}:tasks:all', trun: '{kw}:tasks:second', lock: '{kw}:tasks:lock' },
    3,
  );
  const client = cluster.client();
  cleanup.push(() => client.disconnect());
  const waits = async (): Promise<Map<number, number>> => {
    const out = new Map<number, number>();
    for (const n of cluster.nodes) {
      const c = n.client();
      out.set(n.port, Number(/cmdstat_wait:calls=(\d+)/.exec(await c.info('commandstats'))?.[1] ?? 0));
      c.disconnect();
    }
    return out;
  };
  for (const k of keys) {
    const fires = storesOn(client, storeKeys(k), 1).fires;
    const master = await cluster.masterOf(calculateSlot(k.lock));
    const before = await waits();
    for (let i = 0; i < 5; i++)
      assert.equal(await fires.replicasConfirming(1, 2000), 1, 'its replica confirms');
    const after = await waits();
    const grew = cluster.nodes.map((n) => n.port).filter((p) => (after.get(p) ?? 0) > (before.get(p) ?? 0));
    assert.deepEqual(grew, [master], `WAIT went to ${master}, the master of ${k.lock}, only`);
    assert.equal((after.get(master) ?? 0) - (before.get(master) ?? 0), 5);
  }
});

/** The longest wait between calls of these tasks that overlaps [fromMs, toMs] (the failover). */
function firingGap(tasks: readonly PlannedTask[], sink: Sink, fromMs: number, toMs: number): number {
  const times = tasks.flatMap((p) => sink.hits.get(p.kid) ?? []).sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < times.length; i++) {
    const [a, b] = [times[i - 1] ?? 0, times[i] ?? 0];
    if (b >= fromMs && a <= toMs) gap = Math.max(gap, b - a);
  }
  return gap;
}

/** The tasks not on these shards. */
function others(
  tasks: readonly PlannedTask[],
  shards: number[],
  shardOf: Map<string, number>,
): PlannedTask[] {
  return tasks.filter((p) => !shards.includes(shardOf.get(p.kid) ?? -1));
}
