// Benchmark: schedule shards (issue 28 "Numbers", docs/shards.md), three sections:
// - lateness with K = 6 shards on one Redis beside K = 1: bench/lateness.ts's load, one daemon;
// - a burst of URL timers due at once on a 3-master Redis Cluster, K = 6 beside K = 1: each
//   master's share of the script time (INFO commandstats: EVALSHA usec) and of Redis CPU (INFO cpu);
// - fires/s projected for 1, 3 and 6 masters: masters x the per-core ceiling measured in the burst
//   (fires per second of Redis CPU on one master).
// Run alone: node --import tsx bench/shards.ts [--lateness | --cluster] (one part only). BENCH_QUICK=1:
// a smaller load, one repetition, to check that it works (not figures to quote); BENCH_REPS sets
// the repetitions (default 3).
import type { LatenessLoad } from './lateness.js';
import { ktimerLateness } from './lateness.js';
import { rateOf } from './burst.js';
import calculateSlot from 'cluster-key-slot';
import { RedisCluster } from '../test/helpers/redis-cluster.js';
import { counters, type RedisCounters, scriptUsBetween } from './lib/redis-work.js';
import { fmt, machine, printSection, ratio, type Row, type Section } from './lib/report.js';
import {
  kidOf,
  redisNowMs,
  RedisServer,
  seedKtimer,
  shardTaskKeys,
  Sink,
  TestDaemon,
  writeTestConfig,
} from './lib/setup.js';
import { type Latency, median, medianLatency } from './lib/stats.js';
import { storeKeys } from '../src/store/keys.js';
import { shardOf } from '../src/store/shards.js';
import { waitFor } from '../test/helpers/wait.js';

const QUICK = process.env.BENCH_QUICK === '1';
const REPS = Number(process.env.BENCH_REPS ?? (QUICK ? 1 : 3));
const K = 6;
const MASTERS = 3;
const LOAD: LatenessLoad = QUICK
  ? { count: 1000, pending: 10_000, leadMs: 3000, spreadMs: 5000 }
  : { count: 5000, pending: 100_000, leadMs: 6000, spreadMs: 20_000 };
const BURST = QUICK ? 4000 : 20_000;
const QUICK_NOTE = QUICK ? ' [BENCH_QUICK: a smaller load, not figures to quote]' : '';
const COMMAND = `${QUICK ? 'BENCH_QUICK=1 ' : ''}node --import tsx bench/shards.ts`;

// ---- Lateness: K = 6 on one Redis beside K = 1 ----

async function latenessOf(sink: Sink, shards: number, rep: number): Promise<Latency> {
  const redis = await RedisServer.start();
  try {
    const figures = await ktimerLateness(redis, sink, { ...LOAD, shards }, 'sh');
    process.stdout.write(`shards lateness rep ${rep} K=${shards}: ${JSON.stringify(figures)}\n`);
    return figures;
  } finally {
    await redis.destroy();
  }
}

/** "Within noise": p99 at most 1.5x K = 1's, or at most 5 ms above it, whichever is looser. */
const withinNoise = (k: number, one: number) => k <= Math.max(1.5 * one, one + 5);

export async function shardLateness(sink: Sink, reps: number): Promise<Section> {
  const runs = new Map<number, Latency[]>([
    [1, []],
    [K, []],
  ]);
  for (let rep = 1; rep <= reps; rep++)
    // Which goes first alternates: a machine that slows during the run weighs on both.
    for (const shards of rep % 2 === 1 ? [1, K] : [K, 1])
      runs.get(shards)?.push(await latenessOf(sink, shards, rep));
  const one = medianLatency(runs.get(1) ?? []);
  const many = medianLatency(runs.get(K) ?? []);
  const ms = (x: number) => `${fmt(x)} ms`;
  const row = (measure: keyof Latency, target = '', met: boolean | null = null): Row => ({
    measure,
    ktimer: ms(many[measure]),
    peer: ms(one[measure]),
    ratio: `K=${K}/K=1 ${ratio(many[measure], one[measure])}`,
    target,
    met,
  });
  return {
    title: `12. Shards, lateness: ${LOAD.count} URL tasks over ${LOAD.spreadMs / 1000} s, ${LOAD.pending} pending, one daemon, one Redis: K = ${K} (ktimer) beside K = 1 (peer) (median of ${reps})${QUICK_NOTE}`,
    command: COMMAND,
    rows: [
      row('p50'),
      row('p90'),
      row('p99', '<= 1.5x K = 1 or <= K = 1 + 5 ms (the looser)', withinNoise(many.p99, one.p99)),
      row('max'),
      {
        measure: 'fired early',
        ktimer: String(many.early),
        peer: String(one.early),
        ratio: '',
        target: '0',
        met: many.early === 0 && one.early === 0,
      },
    ],
    notes: [],
  };
}

// ---- A burst on a 3-master Cluster: each master's share ----

interface MasterWork {
  port: number;
  /** The shards whose keys this master serves. */
  shards: number[];
  /** Fires of tasks on those shards. */
  fires: number;
  /** Script calls, and µs inside them. */
  scripts: number;
  scriptUs: number;
  cpuS: number;
}

interface ClusterBurst {
  shards: number;
  /** Fires a second, first call to last, as the sink saw them (the daemon's pace, not Redis's). */
  perSec: number;
  masters: MasterWork[];
}

/** Every shard's fires finished: its pool empty and no fire held (begun and not finished). */
async function allFinished(cluster: RedisCluster, prefix: string, shards: number): Promise<boolean> {
  const client = cluster.client();
  try {
    for (const k of shardTaskKeys(prefix, shards)) {
      const { pool, leases } = storeKeys(k);
      if ((await client.hlen(pool)) > 0 || (await client.zcard(leases)) > 0) return false;
    }
    return true;
  } finally {
    client.disconnect();
  }
}

async function seedBurst(
  cluster: RedisCluster,
  sink: Sink,
  prefix: string,
  shards: number,
): Promise<string[]> {
  const kids = Array.from({ length: BURST }, (_, i) => kidOf(i, 'u'));
  const node = cluster.nodes[0]?.client();
  const nowSec = node === undefined ? Date.now() / 1000 : (await redisNowMs(node)) / 1000;
  node?.disconnect();
  const client = cluster.client();
  // Due already: nothing fires before the daemon starts, and then all of them are due at once.
  await seedKtimer(
    client,
    prefix,
    kids.map((kid) => ({ kid, command: sink.url('/k'), dueSec: nowSec })),
    shards,
  );
  client.disconnect();
  return kids;
}

/** Each master's shards, fires and work between two readings of every master's counters. */
async function workByMaster(
  cluster: RedisCluster,
  o: { prefix: string; shards: number; kids: string[]; before: RedisCounters[]; after: RedisCounters[] },
): Promise<MasterWork[]> {
  const homes = await Promise.all(
    shardTaskKeys(o.prefix, o.shards).map((k) => cluster.masterOf(calculateSlot(k.pool))),
  );
  // No replicas: every node is a master.
  return cluster.nodes.map((m, i) => {
    const shards = homes.flatMap((h, s) => (h === m.port ? [s] : []));
    const before = o.before[i];
    const after = o.after[i];
    return {
      port: m.port,
      shards,
      fires: o.kids.filter((kid) => shards.includes(shardOf(kid, o.shards))).length,
      scripts: before && after ? after.scripts - before.scripts : Number.NaN,
      scriptUs: before && after ? scriptUsBetween(before, after) : Number.NaN,
      cpuS: before && after ? after.cpuS - before.cpuS : Number.NaN,
    };
  });
}

async function clusterBurst(cluster: RedisCluster, sink: Sink, shards: number): Promise<ClusterBurst> {
  const prefix = `{shb${shards}x${Date.now().toString(36)}}`;
  const kids = await seedBurst(cluster, sink, prefix, shards);
  const redis = [`redis.cluster = ${cluster.seeds}`, ...(shards > 1 ? [`shards = ${shards}`] : [])];
  const daemon = new TestDaemon(writeTestConfig({ redisPort: 1, prefix, extra: { redis } }));
  const before = await Promise.all(cluster.nodes.map(counters));
  sink.reset();
  await daemon.start();
  try {
    await sink.waitFor(BURST, 300_000);
    // The last finishes land after the last call: the work is counted to them.
    await waitFor(() => allFinished(cluster, prefix, shards), {
      what: 'every fire finished',
      timeoutMs: 30_000,
    });
  } finally {
    daemon.kill();
  }
  const after = await Promise.all(cluster.nodes.map(counters));
  const masters = await workByMaster(cluster, { prefix, shards, kids, before, after });
  const perSec = rateOf([...sink.arrivals.values()], 0).perSec;
  process.stdout.write(`shards cluster K=${shards}: ${fmt(perSec, 0)} fires/s, ${JSON.stringify(masters)}\n`);
  return { shards, perSec, masters };
}

const share = (part: number, all: number) => (all > 0 ? (100 * part) / all : Number.NaN);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** A master's script share, with its CPU share and fires beside it. */
function masterCell(b: ClusterBurst, m: MasterWork): string {
  const scripts = sum(b.masters.map((x) => x.scriptUs));
  const cpu = sum(b.masters.map((x) => x.cpuS));
  return `${fmt(share(m.scriptUs, scripts))} % of script time (${fmt(m.scriptUs / 1000, 0)} ms, ${m.scripts} calls), ${fmt(share(m.cpuS, cpu))} % of CPU (${fmt(m.cpuS * 1000, 0)} ms), shards [${m.shards.join(',')}], ${m.fires} fires`;
}

function clusterSection(many: ClusterBurst, one: ClusterBurst, reps: number): Section {
  const scripts = (b: ClusterBurst) => sum(b.masters.map((x) => x.scriptUs));
  const rows: Row[] = many.masters.map((m, i) => {
    const s = share(m.scriptUs, scripts(many));
    const o = one.masters[i];
    return {
      measure: `master ${i + 1} (port ${m.port})`,
      ktimer: masterCell(many, m),
      peer: o === undefined ? '' : masterCell(one, o),
      ratio: '',
      target: `K = ${K}: 25-45 % of script time`,
      met: s >= 25 && s <= 45,
    };
  });
  const busiest = Math.max(...one.masters.map((m) => share(m.scriptUs, scripts(one))));
  rows.push({
    measure: 'K = 1: the busiest master',
    ktimer: '',
    peer: `${fmt(busiest)} % of script time`,
    ratio: '',
    target: '> 99 % (one hash tag: the contrast)',
    met: busiest > 99,
  });
  rows.push({
    measure: 'burst pace (the daemon, not Redis)',
    ktimer: `${fmt(many.perSec, 0)} fires/s`,
    peer: `${fmt(one.perSec, 0)} fires/s`,
    ratio: `K=${K}/K=1 ${ratio(many.perSec, one.perSec)}`,
    target: '',
    met: null,
  });
  return {
    title: `13. Shards over a ${MASTERS}-master Redis Cluster: ${BURST} URL timers due at once, one daemon; each master's share, K = ${K} (ktimer) beside K = 1 (peer) (median of ${reps} by share)${QUICK_NOTE}`,
    command: COMMAND,
    rows,
    notes: [
      'Script time: INFO commandstats usec of EVAL/EVALSHA/FCALL on each master; CPU: INFO cpu (user + sys) deltas, from before the daemon starts until every fire has finished (its start-up, fleet name and shard leases counted in).',
    ],
  };
}

// ---- Projected fires/s: masters x the per-core ceiling ----

/** Fires per second of Redis CPU: every fire over the masters' CPU summed. */
const perCore = (b: ClusterBurst) => BURST / sum(b.masters.map((m) => m.cpuS));

function projectionSection(many: ClusterBurst, one: ClusterBurst): Section {
  const sharded = perCore(many);
  const single = perCore(one);
  const ceiling = Math.min(sharded, single);
  const rows: Row[] = [1, 3, 6].map((m) => ({
    measure: `${m} master${m > 1 ? 's' : ''}`,
    ktimer: `${fmt(m * ceiling, 0)} fires/s`,
    peer: '',
    ratio: '',
    target: '',
    met: null,
  }));
  return {
    title: `14. Shards: projected fires/s = masters x the per-core ceiling (${fmt(ceiling, 0)} fires per second of Redis CPU)${QUICK_NOTE}`,
    command: COMMAND,
    rows,
    notes: [
      `Per-core ceiling measured in the burst of section 13: K = 1, all on one master, ${fmt(single, 0)} fires per CPU-second (${fmt(1e6 / single, 0)} µs a fire); K = ${K} over ${MASTERS} masters, ${fmt(sharded, 0)} (${fmt(1e6 / sharded, 0)} µs a fire). The projection takes the lower. It assumes K >= masters (K a multiple of them), daemons enough to keep every master busy, and each master on a core of its own: on this machine the daemon, not Redis, sets the pace (section 13's burst pace).`,
    ],
  };
}

/** The run whose K = `shards` spread is the median one (by the busiest master's script share). */
function medianRun(runs: ClusterBurst[]): ClusterBurst | undefined {
  const top = (b: ClusterBurst) => {
    const all = sum(b.masters.map((m) => m.scriptUs));
    return Math.max(...b.masters.map((m) => share(m.scriptUs, all)));
  };
  const mid = median(runs.map(top));
  return runs.find((b) => top(b) === mid);
}

export async function shardCluster(sink: Sink, reps: number): Promise<Section[]> {
  const cluster = await RedisCluster.start({ masters: MASTERS, replicas: 0 });
  const many: ClusterBurst[] = [];
  const one: ClusterBurst[] = [];
  try {
    for (let rep = 0; rep < reps; rep++) {
      many.push(await clusterBurst(cluster, sink, K));
      one.push(await clusterBurst(cluster, sink, 1));
    }
  } finally {
    await cluster.destroy();
  }
  const m = medianRun(many);
  const o = medianRun(one);
  if (m === undefined || o === undefined) throw new Error('no cluster burst ran');
  return [clusterSection(m, o, reps), projectionSection(m, o)];
}

/** Every section of this benchmark (`npm run bench` runs it with the others), or one part. */
export async function runShards(
  reps: number,
  part: 'lateness' | 'cluster' | 'all' = 'all',
): Promise<Section[]> {
  const sink = new Sink();
  await sink.start();
  try {
    return [
      ...(part === 'cluster' ? [] : [await shardLateness(sink, reps)]),
      ...(part === 'lateness' ? [] : await shardCluster(sink, reps)),
    ];
  } finally {
    await sink.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const part = process.argv.includes('--lateness')
    ? 'lateness'
    : process.argv.includes('--cluster')
      ? 'cluster'
      : 'all';
  process.stdout.write(`${machine()}\n`);
  for (const section of await runShards(REPS, part)) printSection(section);
  process.exit(0);
}
