// Benchmark 1, firing lateness: 5,000 URL tasks due uniformly over 20 s, with 100,000 other
// tasks pending far ahead; ktimer's daemon beside BullMQ delayed jobs calling the same sink.
// Run alone: node --import tsx bench/lateness.ts
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Bull, callSink } from './lib/bull.js';
import { fmt, printSection, ratio, type Section } from './lib/report.js';
import {
  kidOf,
  redisNowMs,
  RedisServer,
  seedDueTimers,
  Sink,
  TestDaemon,
  writeTestConfig,
} from './lib/setup.js';
import { type Latency, latency, medianLatency } from './lib/stats.js';

const DUE = 5000;
const PENDING = 100_000;
const SPREAD_MS = 20_000;
const LEAD_MS = 6000;

/** The lateness load (`count` due over `spreadMs`, `pending` far ahead), one daemon. */
export interface LatenessLoad {
  count: number;
  pending: number;
  leadMs: number;
  spreadMs: number;
  /** The fleet's schedule shards ([redis] shards), 1 unless said. */
  shards?: number;
}

/** One daemon fires `load` from its own Redis keys under `prefix`: each fire's lateness. */
export async function ktimerLateness(
  redis: RedisServer,
  sink: Sink,
  load: LatenessLoad,
  prefix = 'lat',
): Promise<Latency> {
  const due = await seedDueTimers(redis, sink, prefix, load);
  const shards = load.shards ?? 1;
  const daemon = new TestDaemon(
    writeTestConfig({
      redisPort: redis.port,
      prefix,
      extra: shards > 1 ? { redis: [`shards = ${shards}`] } : {},
    }),
  );
  // Before the start: a fire due as soon as the daemon is up must be counted.
  sink.reset();
  await daemon.start();
  try {
    await sink.waitFor(load.count, load.leadMs + load.spreadMs + 30_000);
  } finally {
    daemon.kill();
  }
  return latency(due.map((d, i) => (sink.arrivals.get(kidOf(i, 'd')) ?? Number.NaN) - d));
}

const ktimerRun = (redis: RedisServer, sink: Sink): Promise<Latency> =>
  ktimerLateness(redis, sink, { count: DUE, pending: PENDING, leadMs: LEAD_MS, spreadMs: SPREAD_MS });

async function bullRun(redis: RedisServer, sink: Sink): Promise<Latency> {
  const bull = new Bull('lat', redis.port);
  const client = redis.client();
  const now = await redisNowMs(client);
  client.disconnect();
  await bull.addBulk(
    Array.from({ length: PENDING }, (_, i) => ({
      name: 'far',
      data: { kid: kidOf(i, 'f') },
      delayMs: 86_400_000 + i,
    })),
  );
  const start = Date.now();
  const due = Array.from(
    { length: DUE },
    (_, i) => now + (start - now) + LEAD_MS + Math.floor((SPREAD_MS * i) / DUE),
  );
  await bull.addBulk(
    due.map((d, i) => ({ name: 'due', data: { kid: kidOf(i, 'd') }, delayMs: d - Date.now() })),
  );
  sink.reset();
  bull.work((data) => callSink(`${sink.url('/b')}?kid=${data.kid as string}`), 100);
  await sink.waitFor(DUE, LEAD_MS + SPREAD_MS + 60_000);
  await bull.close();
  return latency(due.map((d, i) => (sink.arrivals.get(kidOf(i, 'd')) ?? Number.NaN) - d));
}

export async function runLateness(reps: number): Promise<Section> {
  const sink = new Sink();
  await sink.start();
  const k: Latency[] = [];
  const b: Latency[] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const [runs, fn] of [
      [k, ktimerRun],
      [b, bullRun],
    ] as const) {
      const redis = await RedisServer.start();
      // The sink's own event loop: a stall there stamps arrivals late, whoever sent them.
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      try {
        const figures = await fn(redis, sink);
        loop.disable();
        runs.push(figures);
        const sinkLoopMaxMs = Math.round(loop.max / 1e6);
        process.stdout.write(
          `lateness rep ${rep + 1} ${fn === ktimerRun ? 'ktimer' : 'bullmq'}: ${JSON.stringify(figures)} sink_loop_max_ms ${sinkLoopMaxMs}\n`,
        );
      } finally {
        await redis.destroy();
      }
    }
  }
  await sink.close();
  const km = medianLatency(k);
  const bm = medianLatency(b);
  const ms = (x: number) => `${fmt(x)} ms`;
  return {
    title: `1. Firing lateness: ${DUE} URL tasks over ${SPREAD_MS / 1000} s, ${PENDING} pending far ahead (median of ${reps})`,
    command: 'node --import tsx bench/lateness.ts',
    rows: [
      {
        measure: 'p50',
        ktimer: ms(km.p50),
        peer: ms(bm.p50),
        ratio: `BullMQ/ktimer ${ratio(bm.p50, km.p50)}`,
        target: '',
        met: null,
      },
      {
        measure: 'p90',
        ktimer: ms(km.p90),
        peer: ms(bm.p90),
        ratio: `BullMQ/ktimer ${ratio(bm.p90, km.p90)}`,
        target: '',
        met: null,
      },
      {
        measure: 'p99',
        ktimer: ms(km.p99),
        peer: ms(bm.p99),
        ratio: `BullMQ/ktimer ${ratio(bm.p99, km.p99)}`,
        target: '<= 10 ms and >= 5x better than BullMQ',
        met: km.p99 <= 10 && bm.p99 / km.p99 >= 5,
      },
      {
        measure: 'max',
        ktimer: ms(km.max),
        peer: ms(bm.max),
        ratio: '',
        target: '<= 50 ms',
        met: km.max <= 50,
      },
      {
        measure: 'fired early',
        ktimer: String(km.early),
        peer: String(bm.early),
        ratio: '',
        target: '0',
        met: km.early === 0,
      },
    ],
    notes: [],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printSection(await runLateness(Number(process.env.BENCH_REPS ?? 3)));
}
