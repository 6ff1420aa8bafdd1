// The loop on a manual clock against a real Redis: the scripts take "now" as an argument, so the
// clock alone decides what is due. A pass due in seconds is tested in milliseconds of real time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { type FireSink, type LoopClock, Scheduler } from '../../src/daemon/scheduler.js';
import type { Claimer } from '../../src/daemon/scheduler.js';
import type { Fire, RunRecord } from '../../src/store/open-store.js';
import type { CommandKind } from '../../src/tasks/task.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { jitterOf, retryWaitMs } from '../../src/runs/retry.js';
import { CLAIM_AHEAD_MS, NON_POLLER_CLAIM_MS } from '../../src/runs/fire.js';
import { memoryLogs } from '../helpers/memory-logs.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { storedTask, storeTasks } from '../helpers/stored-tasks.js';
import { storesOn, testKeys } from '../helpers/stores.js';
import { waitFor } from '../helpers/wait.js';

const redis = usePrivateRedis();
const T0 = 1_800_000_000_000; // a whole second, unix ms
let n = 0;

/** A sink that takes what it is given and has `room` slots of each kind. */
class TestSink implements FireSink {
  readonly fires: Fire[] = [];
  constructor(public free: Record<CommandKind, number> = { shell: 10, url: 10 }) {}
  room(kind: CommandKind): number {
    return this.free[kind];
  }
  dispatch(fires: Fire[]): void {
    this.fires.push(...fires);
  }
}

function setup(
  options: {
    sink?: TestSink;
    claimer?: (real: Claimer) => Claimer;
    expireLimitSec?: number;
    metrics?: Metrics;
    onLost?: (record: RunRecord, streak: number) => void;
  } = {},
) {
  const keys = testKeys(`s${++n}`);
  const { fires } = storesOn(redis.client, keys);
  const clock: ManualClock & LoopClock = Object.assign(new ManualClock(T0), { syncIfOlder: async () => {} });
  const sink = options.sink ?? new TestSink();
  const logs = memoryLogs();
  const sched = new Scheduler({
    claimer: options.claimer ? options.claimer(fires) : fires,
    sink,
    refills: { request: () => {} },
    clock,
    owner: 'test',
    leaseMs: 5000,
    expireLimitSec: options.expireLimitSec ?? 60,
    logs,
    metrics: options.metrics,
    onLost: options.onLost,
  });
  const store = (tasks: [string, number, string?][]) =>
    storeTasks(
      redis.client,
      keys,
      tasks.map(
        ([kid, dueMs, command = 'true']) =>
          [kid, storedTask({ run_nexttime: dueMs / 1000, command })] as const,
      ),
    );
  /** Resolves once the loop waits on the clock again. */
  const idle = () => waitFor(() => clock.sleeping > 0, { what: 'the loop to sleep', intervalMs: 2 });
  return { clock, sink, logs, sched, store, idle, fires, keys };
}

test('a task due in 3 s fires when the clock reaches it, never before, in milliseconds of real time', async () => {
  const { clock, sink, sched, store, idle } = setup();
  await store([['a', T0 + 3000]]);
  const realStart = performance.now();
  sched.start();
  try {
    await idle();
    // A pass just before the claim-ahead horizon reaches the task does not take it.
    clock.advance(2999 - CLAIM_AHEAD_MS);
    await idle();
    assert.equal(sink.fires.length, 0, 'not claimed before CLAIM_AHEAD_MS from its due');
    clock.advance(CLAIM_AHEAD_MS);
    await idle();
    assert.equal(sink.fires.length, 0, 'no pass before its due time: not early, not by a millisecond');
    clock.advance(1);
    await waitFor(() => sink.fires.length === 1, { what: 'the fire', intervalMs: 2 });
    assert.equal(sink.fires[0]?.dueMs, T0 + 3000);
    assert.ok(performance.now() - realStart < 2000, 'seconds on the clock, not in real time');
  } finally {
    await sched.stop();
  }
});

test('between seconds the loop sleeps exactly until the earliest due time', async () => {
  const { clock, sink, sched, store, idle } = setup();
  await store([['a', T0 + 1250]]);
  sched.start();
  try {
    await idle();
    clock.advance(1000); // the per-second pass: nothing due yet
    await idle();
    clock.advance(249);
    await idle();
    assert.equal(sink.fires.length, 0);
    clock.advance(1); // T0 + 1250: the exact wake-up
    await waitFor(() => sink.fires.length === 1, { what: 'the fire at its due time', intervalMs: 2 });
  } finally {
    await sched.stop();
  }
});

test('while another daemon is the poller, the loop claims every NON_POLLER_CLAIM_MS, not at due times (issue 28)', async () => {
  const { clock, sink, sched, store, idle, fires } = setup();
  // Another daemon claimed first: it polls (its role outlives this test on the manual clock's now).
  const other = await fires.claim({
    nowMs: T0,
    owner: 'other',
    leaseMs: 5000,
    maxShell: 1,
    maxUrl: 1,
    expireLimitSec: 60,
  });
  assert.equal(other.poller, true);
  assert.equal(NON_POLLER_CLAIM_MS, 250);
  await store([['a', T0 + 1100]]);
  sched.start();
  try {
    await idle();
    clock.advance(1000);
    await idle();
    const passes = sched.passes;
    clock.advance(100); // T0 + 1100: the poller's wake-up, not this daemon's
    await idle();
    assert.equal(sched.passes, passes);
    assert.equal(sink.fires.length, 0);
    clock.advance(149);
    await idle();
    assert.equal(sink.fires.length, 0);
    clock.advance(1); // T0 + 1250: this daemon's next pass takes it (a dead poller's fire, 150 ms late)
    await waitFor(() => sink.fires.length === 1, { what: 'the fire at the next 250 ms', intervalMs: 2 });
  } finally {
    await sched.stop();
  }
});

test('a slot freed during a claim is refilled by the next pass at once, not at the next second', async () => {
  const sink = new TestSink({ shell: 0, url: 0 });
  const ref: { sched?: Scheduler } = {};
  let calls = 0;
  const { sched, store } = setup({
    sink,
    claimer: (real) => ({
      claim: async (req) => {
        if (calls++ === 0) {
          // The slot frees after this pass computed its room (0), before its reply is in.
          sink.free.shell = 1;
          ref.sched?.slotFreed();
        }
        return real.claim(req);
      },
    }),
  });
  ref.sched = sched;
  await store([['a', T0 - 1000]]);
  sched.start();
  try {
    // The clock never moves: only a pass without waiting for the next second can claim it.
    await waitFor(() => sink.fires.length === 1, { what: 'the due task claimed', timeoutMs: 3000 });
  } finally {
    await sched.stop();
  }
});

test('a claim looks past 32 waiting tasks of a full kind, and past all the room allows every 100 ms', async () => {
  const sink = new TestSink({ shell: 0, url: 10 });
  const { clock, sched, store } = setup({ sink, expireLimitSec: 0 });
  await store(Array.from({ length: 50 }, (_, i) => [`s${i}`, T0 - 5000] as [string, number]));
  await sched.pass(); // the first pass looks as far as it may; nothing for it yet
  await store([['u', T0 - 4000, 'http://127.0.0.1:1/x']]);
  clock.advance(50);
  await sched.pass();
  assert.equal(sink.fires.length, 0, '50 shell tasks in front: beyond the 32 of a quick claim');
  clock.advance(60);
  await sched.pass();
  assert.deepEqual(
    sink.fires.map((f) => [f.kid, f.kind]),
    [['u', 'url']],
    '100 ms after the last far look, the next claim looks far',
  );
});

test('Redis failing: logged once, retried with backoff on the clock, logged again when it answers', async () => {
  let failing = true;
  let attempts = 0;
  const { clock, logs, sched, idle, sink, store } = setup({
    claimer: (real) => ({
      claim: (req) => {
        attempts++;
        return failing ? Promise.reject(new Error('connection refused')) : real.claim(req);
      },
    }),
  });
  await store([['a', T0 + 500]]);
  sched.start();
  try {
    await idle();
    assert.equal(attempts, 1);
    assert.equal(sched.redisHealthy, false);
    clock.advance(199);
    await idle();
    assert.equal(attempts, 1, 'the first retry waits 200 ms');
    clock.advance(1);
    await waitFor(() => attempts === 2, { what: 'the first retry' });
    await idle();
    clock.advance(400);
    await waitFor(() => attempts === 3, { what: 'the second retry, 400 ms later' });
    failing = false;
    await idle();
    clock.advance(800);
    await waitFor(() => sink.fires.length === 1, { what: 'the fire once Redis answers' });
    assert.equal(logs.events('serve', 'redis_down').length, 1, 'one redis_down per outage');
    assert.equal(logs.events('error', 'redis_down').length, 1);
    assert.deepEqual(
      logs.events('serve', 'redis_up').map((e) => e.down_ms),
      [1400],
    );
    assert.equal(sched.redisHealthy, true);
  } finally {
    await sched.stop();
  }
});

test('expired, corrupt and abandoned entries of a claim are logged, not dispatched', async () => {
  const { sched, store, logs, sink } = setup({ expireLimitSec: 60 });
  await store([['old', T0 - 61_000]]);
  await redis.client.hset(testKeys(`s${n}`).pool, 'bad', '{not json');
  await redis.client.zadd(testKeys(`s${n}`).schedule, T0 / 1000, 'bad');
  await sched.pass();
  assert.equal(sink.fires.length, 0);
  assert.deepEqual(
    logs.events('runed', 'expired').map((e) => e.kid),
    ['old'],
  );
  assert.deepEqual(
    logs.events('error', 'corrupt').map((e) => e.kid),
    ['bad'],
  );
});

test('a score with a fraction of a millisecond fires within the same bound as the rest', async () => {
  const { clock, sink, sched, idle } = setup();
  // As redis-cli or another tool may write it: 1.5004 s after T0.
  await storeTasks(redis.client, testKeys(`s${n}`), [
    ['f', storedTask({ run_nexttime: (T0 + 1500.4) / 1000 })],
  ]);
  sched.start();
  try {
    await idle();
    clock.advance(1000);
    await idle();
    clock.advance(500); // T0 + 1500: not yet due (1500.4)
    await idle();
    assert.equal(sink.fires.length, 0);
    clock.advance(1); // T0 + 1501: the wake-up rounded up to the ms
    await waitFor(() => sink.fires.length === 1, {
      what: 'the fire 1 ms later, not a second later',
      intervalMs: 2,
    });
  } finally {
    await sched.stop();
  }
});

test('a claim that stops at its budget with room left is followed by another at once', async () => {
  const { sink, sched, store } = setup({ expireLimitSec: 60 });
  // More expired timers than one claim looks at (room 10 + 10, skip 32, slack 100), then one due.
  await store([
    ...Array.from({ length: 400 }, (_, i) => [`x${i}`, T0 - 120_000] as [string, number]),
    ['due', T0 - 1],
  ]);
  sched.start();
  try {
    // The clock never moves: only claims one after the other reach the due timer.
    await waitFor(() => sink.fires.length === 1, {
      what: 'the timer behind 400 expired ones',
      timeoutMs: 5000,
    });
  } finally {
    await sched.stop();
  }
});

test('metrics: every claim is timed, a run found lost is counted by its kind, the last claim is known', async () => {
  const metrics = new Metrics({
    running: () => 0,
    redisUp: () => true,
    taskCounts: async () => ({ total: 0, paused: 0, withoutDaemon: 0 }),
  });
  const { clock, sink, sched, store, fires } = setup({ metrics });
  assert.equal(sched.msSinceClaim(), null, 'no claim yet');
  await store([['a', T0, 'sleep 100']]);
  await sched.pass();
  const [fire] = sink.fires;
  assert.ok(fire);
  // Begun by this daemon, which then "dies": its lease (60 s) runs out unrenewed.
  assert.deepEqual(
    await fires.begin({
      nowMs: T0,
      owner: 'test',
      keepMs: 60_000,
      fires: [{ id: fire.id, token: fire.token }],
    }),
    [true],
  );
  clock.advance(500);
  assert.equal(sched.msSinceClaim(), 500);
  clock.advance(60_000);
  await sched.pass();
  assert.equal(sched.msSinceClaim(), 0);
  const text = await metrics.scrape();
  assert.match(text, /^ktimer_fires_total\{kind="shell",result="lost"\} 1$/m);
  assert.match(text, /^ktimer_fires_total\{kind="url",result="lost"\} 0$/m);
  assert.match(text, /^ktimer_claim_duration_seconds_count 2$/m);
});

test('a run found lost with retries left: counted as a retry, logged with its next attempt, no alert yet', async () => {
  const metrics = new Metrics({
    running: () => 0,
    redisUp: () => true,
    taskCounts: async () => ({ total: 0, paused: 0, withoutDaemon: 0 }),
  });
  const lost: [string, number, number | undefined][] = [];
  const { clock, sink, sched, keys, fires, logs } = setup({
    metrics,
    onLost: (record, streak) => lost.push([record.fire_id, streak, record.retry_at]),
  });
  await storeTasks(redis.client, keys, [
    ['r', storedTask({ run_nexttime: T0 / 1000, command: 'sleep 100', retries: 1, retry_delay: 2 })],
  ]);
  await sched.pass();
  const [fire] = sink.fires;
  assert.ok(fire);
  await fires.begin({
    nowMs: T0,
    owner: 'test',
    keepMs: 60_000,
    fires: [{ id: fire.id, token: fire.token }],
  });
  // This daemon "dies": its lease runs out unrenewed; the next claim records the run lost.
  clock.advance(60_000);
  await sched.pass();
  const retryAtMs = T0 + 60_000 + retryWaitMs(2, 1, jitterOf('r:1'));
  assert.deepEqual(lost, [['r:1', 0, retryAtMs / 1000]], 'a failure its retry follows: streak 0, no alert');
  const text = await metrics.scrape();
  assert.match(text, /^ktimer_fires_total\{kind="shell",result="lost"\} 1$/m);
  assert.match(text, /^ktimer_retries_total\{kind="shell"\} 1$/m);
  const [line] = logs.events('runed', 'lost');
  assert.match(String(line?.msg), /recorded lost; attempt 2 is due at /);
  assert.deepEqual(
    logs.events('runed', 'retry').map((e) => [e.fire_id, e.attempt, e.at]),
    [['r:1', 2, retryAtMs / 1000]],
  );
  // Its retry is handed out at its time, to whichever daemon claims.
  clock.advance(retryAtMs - clock.nowMs());
  await sched.pass();
  assert.deepEqual(
    sink.fires.map((f) => [f.id, f.trigger, f.attempt]),
    [
      ['r:1', undefined, undefined],
      ['r:1.2', 'retry', 2],
    ],
  );
});

test('metrics: runs a ticker missed while nobody claimed are counted by its misfire policy', async () => {
  const metrics = new Metrics({
    running: () => 0,
    redisUp: () => true,
    taskCounts: async () => ({ total: 0, paused: 0, withoutDaemon: 0 }),
  });
  const { sink, sched, keys } = setup({ metrics });
  const task = (misfire: 'skip' | 'once') =>
    storedTask({ type: 'ticker', time: 10, limit: 0, misfire, run_nexttime: (T0 - 60_500) / 1000 });
  // Due 60.5 s ago, every 10 s: 7 runs past; skip fires none of them, once fires one.
  await storeTasks(redis.client, keys, [
    ['skipper', task('skip')],
    ['oncer', task('once')],
  ]);
  await sched.pass();
  assert.deepEqual(
    sink.fires.map((f) => f.kid),
    ['oncer'],
  );
  const text = await metrics.scrape();
  assert.match(text, /^ktimer_missed_runs_total\{misfire="skip"\} 7$/m);
  assert.match(text, /^ktimer_missed_runs_total\{misfire="once"\} 6$/m);
  assert.match(text, /^ktimer_missed_runs_total\{misfire="all"\} 0$/m);
});

test('each claim says whether the last one made this daemon the poller (a non-poller then looks, writes nothing)', async () => {
  const sent: (boolean | undefined)[] = [];
  const { sched, clock, idle } = setup({
    claimer: (real) => ({
      claim: async (req) => {
        sent.push(req.polling);
        return real.claim(req);
      },
    }),
  });
  sched.start();
  try {
    await idle();
    clock.advance(1000);
    await waitFor(() => sent.length >= 2, { what: 'a second claim' });
  } finally {
    await sched.stop();
  }
  assert.deepEqual(sent.slice(0, 2), [false, true], 'the first knows of no role; the next, that it holds it');
});
