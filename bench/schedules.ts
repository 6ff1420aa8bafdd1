// Benchmark 6, calendar schedules: (a) a cron task's firing lateness beside a timer's in the same
// run; (b) a 1-second ticker's grid after 1,000 late claims, on a manual clock against the real
// claim script, beside 1.0.0's rule (rescheduled from the claim); (c) how long a daemon takes to
// compute the next runs of 100,000 cron tasks after a restart (a day down), and a timer's
// lateness meanwhile.
// Run alone: node --import tsx bench/schedules.ts
import { ManualClock } from '../src/clock.js';
import type { Fire } from '../src/store/open-store.js';
import { refillCron } from '../src/tasks/schedule.js';
import { type Task, toSec } from '../src/tasks/task.js';
import { taskKeys } from '../test/helpers/cli.js';
import { storesOn, testKeys } from '../test/helpers/stores.js';
import { storedTask, storeTasks } from '../test/helpers/stored-tasks.js';
import { fmt, printSection, ratio, type Section } from './lib/report.js';
import { kidOf, RedisServer, redisNowMs, Sink, TestDaemon, writeTestConfig } from './lib/setup.js';
import { type Latency, latency, medianOf } from './lib/stats.js';

const CRONS = 200;
const CRON_RUNS = 20;
const TIMERS = 4000;
const LEAD_MS = 5000;
const RESTART_TASKS = 100_000;

/** A cron task as `add` stores it, from `nowMs`. */
function cronTask(cron: string, tz: string, limit: number, command: string, nowMs: number): Task {
  const spec = { type: 'cron' as const, time: 0, limit, command, cron, tz, misfire: 'skip' as const };
  const planned = refillCron(
    { ...spec, run_num: 0, run_lasttime: 0, run_nexttime: 0, parked: toSec(nowMs) },
    nowMs,
  );
  if (!planned) throw new Error('not a cron task');
  return planned.task;
}

/** (a) 200 cron tasks every second and 4,000 timers over the same 20 s, one daemon, URL calls. */
async function cronBesideTimers(sink: Sink): Promise<{ cron: Latency; timer: Latency }> {
  const redis = await RedisServer.start();
  try {
    const client = redis.client();
    const now = await redisNowMs(client);
    const start = Math.ceil((now + LEAD_MS) / 1000) * 1000;
    const spread = CRON_RUNS * 1000;
    await storeTasks(client, taskKeys('sch'), [
      ...Array.from({ length: CRONS }, (_, i) => {
        const task = cronTask('* * * * * *', 'UTC', CRON_RUNS, sink.url('/c'), start - 1);
        return [kidOf(i, 'c'), task] as const;
      }),
      ...Array.from({ length: TIMERS }, (_, i) => {
        const due = start + 500 + Math.floor((spread * i) / TIMERS);
        return [kidOf(i, 't'), storedTask({ command: sink.url('/t'), run_nexttime: due / 1000 })] as const;
      }),
    ]);
    client.disconnect();
    const daemon = new TestDaemon(writeTestConfig({ redisPort: redis.port, prefix: 'sch' }));
    sink.reset();
    await daemon.start();
    await sink.waitFor(CRONS * CRON_RUNS + TIMERS, LEAD_MS + spread + 60_000);
    const fires = daemon.fires();
    daemon.kill();
    const of = (type: string) =>
      latency(fires.filter((f) => f.type === type).map((f) => Number(f.lateness_ms)));
    return { cron: of('cron'), timer: of('timer') };
  } finally {
    await redis.destroy();
  }
}

/** (b) 1,000 claims of a 1-second ticker, each 0-9 ms late, on a manual clock. */
async function tickerGrid(): Promise<{
  lastOffsetMs: number;
  worstOffGridMs: number;
  oldRuleDriftMs: number;
}> {
  const redis = await RedisServer.start();
  try {
    const client = redis.client();
    const keys = testKeys('grid');
    const { tasks, fires } = storesOn(client, keys);
    const first = 1_800_000_000_000;
    await tasks.add('t', storedTask({ type: 'ticker', time: 1, limit: 0, run_nexttime: first / 1000 }), 10);
    const clock = new ManualClock(first);
    const dues: number[] = [];
    let oldRuleDue = first;
    for (let n = 0; n < 1000; n++) {
      const lateMs = (n * 7) % 10;
      clock.set(first + n * 1000 + lateMs);
      const reply = await fires.claim({
        nowMs: clock.nowMs(),
        owner: 'b',
        leaseMs: 5000,
        maxShell: 10,
        maxUrl: 10,
        expireLimitSec: 0,
      });
      const fired = reply.entries.flatMap((e) => (e.kind === 'fire' ? [e.fire] : [])) as Fire[];
      await fires.begin({ nowMs: clock.nowMs(), owner: 'b', keepMs: 60_000, fires: fired });
      dues.push(...fired.map((f) => f.dueMs));
      // 1.0.0 rescheduled from the claim: each run due `time` after the previous claim.
      if (n > 0) oldRuleDue += 1000 + (((n - 1) * 7) % 10);
    }
    client.disconnect();
    const offGrid = dues.map((d, i) => Math.abs(d - (first + i * 1000)));
    return {
      lastOffsetMs: (dues[999] ?? Number.NaN) - first,
      worstOffGridMs: Math.max(...offGrid),
      oldRuleDriftMs: oldRuleDue - (first + 999_000),
    };
  } finally {
    await redis.destroy();
  }
}

interface Restart {
  /** Daemon start to the last task refilled, ms. */
  refillMs: number;
  /** The same computation in-process, without Redis, ms. */
  computeMs: number;
  timerLateness: number;
}

/**
 * (c) 100,000 cron tasks whose carried runs are all a day old, as after a day down; `distinct`
 * expressions among them (a daily time each). The daemon parks them in its claims and computes
 * their runs from now (misfire skip: nothing fires for the day missed). A URL timer due every
 * 100 ms meanwhile shows whether firing stays on time.
 */
async function restart(sink: Sink, distinct: number): Promise<Restart> {
  const redis = await RedisServer.start();
  try {
    const client = redis.client();
    const now = await redisNowMs(client);
    const dayAgo = now - 86_400_000;
    const expr = (i: number) => {
      const k = i % distinct;
      return `${k % 60} ${Math.floor(k / 60) % 60} ${Math.floor(k / 3600) % 24} * * *`;
    };
    const crons = Array.from({ length: RESTART_TASKS }, (_, i) => {
      const task = cronTask(expr(i), 'Europe/Berlin', 0, 'true', dayAgo);
      return [kidOf(i, 'r'), task] as const;
    });
    const computeStart = performance.now();
    for (const [, task] of crons) refillCron({ ...task, parked: task.run_nexttime }, now);
    const computeMs = performance.now() - computeStart;
    await storeTasks(client, taskKeys('rst'), crons);
    // The timers' times from the clock now: computing and storing 100,000 tasks takes minutes.
    const storedAt = await redisNowMs(client);
    const timerDues = Array.from({ length: 100 }, (_, i) => storedAt + LEAD_MS + i * 100);
    await storeTasks(
      client,
      taskKeys('rst'),
      timerDues.map(
        (d, i) => [kidOf(i, 'w'), storedTask({ command: sink.url('/w'), run_nexttime: d / 1000 })] as const,
      ),
    );
    const daemon = new TestDaemon(writeTestConfig({ redisPort: redis.port, prefix: 'rst' }));
    sink.reset();
    const started = performance.now();
    await daemon.start();
    const pool = taskKeys('rst').pool;
    // Done when no task is parked and none is due: every one has its next run ahead.
    const countParked = `local n = 0 for _, v in ipairs(redis.call('HVALS', KEYS[1])) do if string.find(v, '"parked"', 1, true) then n = n + 1 end end return n`;
    // A parked task's score is moved to 5 s ahead at each claim: while one is parked, some score
    // lies within the next 5 s. Only then is the pool scanned (a second of Redis time at 100,000
    // tasks, which would hold up the daemon's claims if it were polled).
    for (;;) {
      const nowSec = (await redisNowMs(client)) / 1000;
      const soon = await client.zcount(taskKeys('rst').schedule, '-inf', String(nowSec + 5.5));
      const settled = soon <= 50 && sink.count >= timerDues.length;
      const parked = settled ? Number(await client.eval(countParked, 1, pool)) : -1;
      const due = await client.zcount(taskKeys('rst').schedule, '-inf', String(nowSec));
      if (parked === 0 && due === 0) break;
      if (performance.now() - started > 600_000) throw new Error(`still ${parked} parked after 10 minutes`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const refillMs = performance.now() - started;
    daemon.kill();
    client.disconnect();
    const late = latency(timerDues.map((d, i) => (sink.arrivals.get(kidOf(i, 'w')) ?? Number.NaN) - d));
    return { refillMs, computeMs, timerLateness: late.p99 };
  } finally {
    await redis.destroy();
  }
}

export async function runSchedules(reps: number): Promise<Section> {
  const sink = new Sink();
  await sink.start();
  const a: { cron: Latency; timer: Latency }[] = [];
  const b: Awaited<ReturnType<typeof tickerGrid>>[] = [];
  const c1: Restart[] = [];
  const c2: Restart[] = [];
  for (let rep = 0; rep < reps; rep++) {
    a.push(await cronBesideTimers(sink));
    b.push(await tickerGrid());
    c1.push(await restart(sink, 1440));
    c2.push(await restart(sink, RESTART_TASKS));
    process.stdout.write(
      `schedules rep ${rep + 1}: ${JSON.stringify({ a: a.at(-1), b: b.at(-1), c1: c1.at(-1), c2: c2.at(-1) })}\n`,
    );
  }
  await sink.close();
  const cron = medianOf(a.map((x) => x.cron) as unknown as Record<string, number>[]) as unknown as Latency;
  const timer = medianOf(a.map((x) => x.timer) as unknown as Record<string, number>[]) as unknown as Latency;
  const grid = medianOf(b);
  const r1 = medianOf(c1 as unknown as Record<string, number>[]) as unknown as Restart;
  const r2 = medianOf(c2 as unknown as Record<string, number>[]) as unknown as Restart;
  const ms = (x: number) => `${fmt(x)} ms`;
  const s = (x: number) => `${fmt(x / 1000, 1)} s`;
  return {
    title: `6. Calendar schedules: cron beside timers, the ticker grid, 100,000 cron tasks after a restart (median of ${reps})`,
    command: 'node --import tsx bench/schedules.ts',
    rows: [
      {
        measure: `lateness p99, ${CRONS} cron tasks every second (${CRONS * CRON_RUNS} fires) beside ${TIMERS} timers, one daemon (runed.log)`,
        ktimer: `cron ${ms(cron.p99)} (p50 ${ms(cron.p50)}, max ${ms(cron.max)})`,
        peer: `timer ${ms(timer.p99)} (p50 ${ms(timer.p50)}, max ${ms(timer.max)})`,
        ratio: `cron/timer ${ratio(cron.p99, timer.p99)}`,
        target: "<= 10 ms, as a timer's",
        met: cron.p99 <= 10 && cron.early === 0,
      },
      {
        measure: '1,000 fires of a 1-second ticker, each claim 0-9 ms late (manual clock, real claim script)',
        ktimer: `last due at first + ${fmt(grid.lastOffsetMs / 1000, 3)} s; worst off the grid ${ms(grid.worstOffGridMs)}`,
        peer: `1.0.0's rule (from the claim): ${ms(grid.oldRuleDriftMs)} late by the last`,
        ratio: '',
        target: 'first + 999 s exactly',
        met: grid.lastOffsetMs === 999_000 && grid.worstOffGridMs === 0,
      },
      {
        measure: `next runs of ${RESTART_TASKS} cron tasks after a day down (1,440 distinct daily times, Europe/Berlin)`,
        ktimer: `${s(r1.refillMs)} daemon start to all computed; timers meanwhile p99 ${ms(r1.timerLateness)}`,
        peer: `the computation alone ${s(r1.computeMs)}`,
        ratio: '',
        target: 'report',
        met: null,
      },
      {
        measure: `the same, each task its own expression (${RESTART_TASKS} distinct)`,
        ktimer: `${s(r2.refillMs)}; timers meanwhile p99 ${ms(r2.timerLateness)}`,
        peer: `the computation alone ${s(r2.computeMs)}`,
        ratio: '',
        target: 'report',
        met: null,
      },
    ],
    notes: [
      `Lateness in (a) is runed.log's lateness_ms, the daemon's own measure for both types (the command's start minus its due time). In (c) the tasks are parked by the claims as they come due (nothing fires: misfire skip) and their runs computed by the daemon's refiller with croner in slices of 5 ms between turns of the event loop, each written back with a compare-and-set; tasks sharing an expression share the computation.`,
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printSection(await runSchedules(Number(process.env.BENCH_REPS ?? 3)));
  process.exit(0);
}
