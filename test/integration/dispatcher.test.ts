// The dispatcher on a manual clock against a real Redis: fires are claimed and begun by the real
// scripts; the runners are stand-ins that end when the test says, so times are exact.
import { decodeLastRun, decodeRunRecord } from '../../src/store/run-record.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Clock, ManualClock, systemClock } from '../../src/clock.js';
import { Scheduler } from '../../src/daemon/scheduler.js';
import { Dispatcher } from '../../src/daemon/dispatcher.js';
import { CLAIM_AHEAD_MS } from '../../src/runs/fire.js';
import { RunRecorder } from '../../src/daemon/run-recorder.js';
import {
  emptyResult,
  type FireRequest,
  type RunningTask,
  type RunnerResult,
} from '../../src/runner/runner-result.js';
import type { Fire, FireStore } from '../../src/store/open-store.js';
import type { FireStore as ShardFireStore } from '../../src/store/fire-store.js';
import type { CommandKind } from '../../src/tasks/task.js';
import { memoryLogs } from '../helpers/memory-logs.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { storedTask, storeTasks } from '../helpers/stored-tasks.js';
import { storesOn, testKeys } from '../helpers/stores.js';
import { waitFor } from '../helpers/wait.js';

const redis = usePrivateRedis();
const T0 = 1_800_000_000_000;
let n = 0;

/** A run the test ends by hand; kills are recorded. */
interface HeldRun {
  req: FireRequest;
  kills: NodeJS.Signals[];
  end(result: Partial<RunnerResult>): void;
}

function setup(
  options: {
    owner?: string;
    waitReplicas?: number;
    limits?: Record<CommandKind, number>;
    /** The recorder's renewals on the dispatcher's clock (else on a clock of their own, which no test moves). */
    renewOnSameClock?: boolean;
    /** Self-fencing on, through the dispatcher, with this shutdown_grace (ms). */
    fenceGraceMs?: number;
    /** The dispatcher's clock (default: a ManualClock at T0); real: the machine's. */
    clock?: ManualClock;
    realClock?: boolean;
  } = {},
) {
  const keys = testKeys(`d${++n}`);
  const stores = storesOn(redis.client, keys, options.waitReplicas ?? 0);
  const clock = options.clock ?? new ManualClock(T0);
  const dispatcherClock: Clock = options.realClock ? systemClock : clock;
  const logs = memoryLogs();
  const runs: HeldRun[] = [];
  const runner =
    (kind: CommandKind) =>
    (req: FireRequest): RunningTask => {
      let end: (r: RunnerResult) => void = () => {};
      const result = new Promise<RunnerResult>((resolve) => {
        end = resolve;
      });
      const run: HeldRun = { req, kills: [], end: (r) => end({ ...emptyResult(kind), ok: true, ...r }) };
      runs.push(run);
      return { result, kill: (signal = 'SIGTERM') => run.kills.push(signal) };
    };
  // host:pid:tag, as a daemon names itself: its records name host h, pid 1.
  const owner = options.owner ?? 'h:1:ab';
  // The recorder is real: it puts the runs on record in this Redis.
  const late: { dispatcher?: Dispatcher } = {};
  const recorder = new RunRecorder({
    fires: stores.fires,
    clock: options.renewOnSameClock ? clock : new ManualClock(T0),
    owner,
    keepMs: 60_000,
    logs,
    ...(options.fenceGraceMs === undefined
      ? {}
      : {
          fence: {
            graceMs: options.fenceGraceMs,
            stop: (id: string, signal: NodeJS.Signals, untilMs: number, revoked: boolean) =>
              late.dispatcher?.fence(id, signal, untilMs, revoked),
          },
        }),
  });
  const make = (fires: Pick<FireStore, 'beginDurably'>) =>
    new Dispatcher({
      fires,
      recorder,
      clock: dispatcherClock,
      owner,
      host: 'h',
      runners: { shell: runner('shell'), url: runner('url') },
      limits: { ...(options.limits ?? { shell: 4, url: 4 }), timeoutMs: 0, outputMax: 65_536 },
      startedKeepMs: 60_000,
      logs,
    });
  const claim = async (
    dueMs: number[],
    claimOwner = owner,
    nowMs = clock.nowMs(),
    beginKeepMs = 0,
    aheadMs = 0,
  ) => {
    await storeTasks(
      redis.client,
      keys,
      dueMs.map((due, i) => [`k${n}_${i}_${due}`, storedTask({ run_nexttime: due / 1000 })] as const),
    );
    const fires = claimOwner === owner ? stores.fires : storesOn(redis.client, keys).fires;
    const reply = await fires.claim({
      nowMs,
      aheadMs,
      owner: claimOwner,
      leaseMs: 5000,
      beginKeepMs,
      maxShell: 100,
      maxUrl: 100,
      expireLimitSec: 0,
    });
    return reply.entries.flatMap((e) => (e.kind === 'fire' ? [e.fire] : []));
  };
  const dispatcher = make(stores.fires);
  late.dispatcher = dispatcher;
  return { keys, stores, clock, logs, runs, make, claim, recorder, dispatcher };
}

test('a fire is begun, run and logged with its real start on the Redis clock; its slot is held meanwhile', async () => {
  const { clock, logs, runs, claim, dispatcher, keys } = setup();
  const fires = await claim([T0]);
  clock.advance(12);
  dispatcher.dispatch(fires);
  assert.equal(dispatcher.room('shell'), 3, 'reserved while it begins');
  await waitFor(() => runs.length === 1, { what: 'the run' });
  assert.equal(dispatcher.room('shell'), 3, 'held while it runs');
  assert.equal(dispatcher.room('url'), 4);
  assert.equal(runs[0]?.req.dueMs, T0);
  runs[0]?.end({ startDelayMs: 7, durationMs: 30 });
  await waitFor(() => logs.events('runed', 'fire').length === 1, { what: 'the fire logged' });
  const entry = logs.events('runed', 'fire')[0];
  assert.equal(entry?.started, (T0 + 19) / 1000, 'handed at +12 ms, started 7 ms later');
  assert.equal(entry?.lateness_ms, 19);
  assert.equal(entry?.kind, 'shell');
  assert.equal(dispatcher.room('shell'), 4, 'the slot is free again');
  // Its run goes on record, and its lease with it.
  const id = fires[0]?.id ?? '';
  await waitFor(async () => (await redis.client.hexists(keys.fires, id)) === 0, {
    what: 'the run on record',
  });
  const kid = fires[0]?.kid ?? '';
  const run = decodeRunRecord('test', await redis.client.lindex(`${keys.history}${kid}`, 0), kid);
  assert.deepEqual(
    [
      run.fire_id,
      run.result,
      run.started,
      run.lateness_ms,
      run.duration_ms,
      run.host,
      run.trigger,
      run.attempt,
    ],
    [id, 'ok', (T0 + 19) / 1000, 19, 30, 'h', 'schedule', 1],
  );
  assert.equal(decodeLastRun('last', await redis.client.hget(keys.last, kid)).fire_id, id);
});

test('a fire whose lease another daemon holds is not run here, and its slot is given back', async () => {
  const { logs, runs, claim, dispatcher } = setup({ owner: 'B' });
  const fires = await claim([T0], 'A');
  dispatcher.dispatch(fires);
  await waitFor(() => logs.events('runed', 'not_ours').length === 1, { what: 'the fire logged as not ours' });
  assert.equal(runs.length, 0);
  assert.equal(dispatcher.room('shell'), 4);
});

test('fires their claim began run with no begin of their own, their lease from the claim; a late reply is begun again', async () => {
  const { clock, runs, claim, make, stores, keys } = setup();
  const begins: string[][] = [];
  const dispatcher = make({
    beginDurably: (fires, options) => {
      begins.push(fires.map((f) => f.id));
      return stores.fires.beginDurably(fires, options);
    },
  });
  let told = 0;
  dispatcher.onSlotFree(() => told++);
  const fires = await claim([T0], undefined, T0, 60_000);
  assert.equal(fires[0]?.state, 'started');
  clock.advance(5);
  dispatcher.dispatch(fires);
  assert.equal(runs.length, 1, 'started at once');
  assert.deepEqual(begins, []);
  assert.equal(told, 1, 'the state file hears of it (info: running tasks)');
  assert.equal(Number(await redis.client.zscore(keys.leases, fires[0]?.id ?? '')), T0 + 60_000);
  // A reply read a quarter of the lease after its claim: begun again, the lease from now.
  const late = await claim([T0 + 1], undefined, T0 + 10, 60_000);
  clock.advance(15_006);
  dispatcher.dispatch(late);
  await waitFor(() => runs.length === 2, { what: 'the late fire run' });
  assert.deepEqual(begins, [[late[0]?.id]]);
  assert.equal(Number(await redis.client.zscore(keys.leases, late[0]?.id ?? '')), clock.nowMs() + 60_000);
});

/** A clock whose timers fire early (as a Node timer may, by up to a ms): at half the wait. */
class EarlyClock extends ManualClock {
  override sleep(ms: number) {
    return super.sleep(ms / 2);
  }
}

test('a fire claimed ahead starts at its due time, never before, even when a timer fires early; its slot is held meanwhile (issue 28)', async () => {
  const { clock, runs, claim, dispatcher } = setup({ clock: new EarlyClock(T0) });
  const fires = await claim([T0, T0 + 3], undefined, T0, 60_000, CLAIM_AHEAD_MS);
  assert.deepEqual(
    fires.map((f) => [f.dueMs, f.state]),
    [
      [T0, 'started'],
      [T0 + 3, 'started'],
    ],
  );
  dispatcher.dispatch(fires);
  assert.equal(runs.length, 1, 'the one due now starts at once');
  assert.equal(dispatcher.room('shell'), 2, 'the one held keeps its slot');
  clock.advance(2); // past the early timer (T0 + 1.5), before the due time
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  assert.equal(runs.length, 1, 'not early, not by a millisecond');
  clock.advance(1);
  await waitFor(() => runs.length === 2, { what: 'the fire at its due time' });
  assert.equal(runs[1]?.req.dueMs, T0 + 3);
  assert.equal(dispatcher.snapshot()[1]?.started_ms, T0 + 3, 'started at its due time: lateness 0');
  assert.equal(dispatcher.room('shell'), 2);
});

test('at shutdown a fire held for its due time starts then, and drain waits for it', async () => {
  const { clock, runs, claim, dispatcher } = setup();
  dispatcher.dispatch(await claim([T0 + 4], undefined, T0, 60_000, CLAIM_AHEAD_MS));
  assert.equal(runs.length, 0);
  let drained = false;
  void dispatcher.drain(30_000).then(() => {
    drained = true;
  });
  clock.advance(4);
  await waitFor(() => runs.length === 1, { what: 'the held fire to start at its due time' });
  assert.equal(drained, false, 'drain waits for it as for any begun fire');
  runs[0]?.end({});
  await waitFor(() => drained, { what: 'drain to end' });
});

test('stop --now: a fire held for its due time that starts after the SIGTERM to the others gets one too, not only the SIGKILL', async () => {
  const { clock, runs, claim, dispatcher } = setup();
  dispatcher.dispatch(await claim([T0, T0 + 4], undefined, T0, 60_000, CLAIM_AHEAD_MS));
  assert.equal(runs.length, 1);
  dispatcher.hurry();
  let drained = false;
  void dispatcher.drain(30_000).then(() => {
    drained = true;
  });
  await waitFor(() => runs[0]?.kills.length === 1, { what: 'the SIGTERM to the run under way' });
  clock.advance(4);
  await waitFor(() => runs.length === 2, { what: 'the held fire to start at its due time' });
  assert.deepEqual(runs[1]?.kills, ['SIGTERM'], 'told to stop as it starts, as the others were');
  for (const run of runs) run.end({ ok: false, signal: 'SIGTERM' });
  await waitFor(() => drained, { what: 'drain to end' });
  assert.deepEqual(
    runs.map((r) => r.kills),
    [['SIGTERM'], ['SIGTERM']],
    'ended on SIGTERM: no SIGKILL',
  );
});

test('at a steady rate the loop makes fewer claims than fires / 2, each fire run once and none before its due time (issue 28)', async () => {
  const { runs, stores, dispatcher, keys, logs } = setup({
    realClock: true,
    limits: { shell: 500, url: 500 },
  });
  let claims = 0;
  const sched = new Scheduler({
    claimer: {
      claim: (req) => {
        claims++;
        return stores.fires.claim(req);
      },
    },
    sink: dispatcher,
    refills: { request: () => {} },
    clock: Object.assign(Object.create(systemClock) as Clock, { syncIfOlder: async () => {} }),
    owner: 'h:1:ab',
    leaseMs: 5000,
    beginKeepMs: 60_000,
    expireLimitSec: 60,
    logs,
  });
  // 300 fires over half a second, one every 5/3 ms, from 300 ms on.
  const firstMs = Math.ceil(systemClock.nowMs()) + 300;
  const dues = Array.from({ length: 300 }, (_, i) => firstMs + Math.round((i * 5) / 3));
  await storeTasks(
    redis.client,
    keys,
    dues.map((due, i) => [`steady${i}`, storedTask({ run_nexttime: due / 1000 })] as const),
  );
  sched.start();
  try {
    await waitFor(() => runs.length === 300, { what: '300 fires', timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    await sched.stop();
  }
  assert.equal(runs.length, 300, 'each fire run once');
  assert.equal(new Set(runs.map((r) => r.req.fireId)).size, 300);
  const started = dispatcher.snapshot(1000);
  const early = started.filter(
    (r) => r.started_ms < (runs.find((x) => x.req.fireId === r.fire_id)?.req.dueMs ?? 0),
  );
  assert.deepEqual(early, [], 'none started before its due time');
  assert.ok(claims < 150, `${String(claims)} claims for 300 fires: fewer than half`);
});

test('drain waits shutdown_grace on the clock, then SIGTERM, then SIGKILL to what is left, logged killed at shutdown', async () => {
  const { clock, logs, runs, claim, dispatcher } = setup();
  dispatcher.dispatch(await claim([T0]));
  await waitFor(() => runs.length === 1, { what: 'the run' });
  const run = runs[0] as HeldRun;
  let killed: number | null = null;
  void dispatcher.drain(30_000).then((k) => {
    killed = k;
  });
  await waitFor(() => clock.sleeping === 1, { what: 'drain to wait' });
  clock.advance(29_999);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(run.kills, [], 'within the grace');
  clock.advance(1);
  await waitFor(() => run.kills.length === 1, { what: 'SIGTERM' });
  assert.deepEqual(run.kills, ['SIGTERM']);
  clock.advance(2500);
  await waitFor(() => run.kills.length === 2, { what: 'SIGKILL' });
  assert.deepEqual(run.kills, ['SIGTERM', 'SIGKILL']);
  run.end({ ok: false, signal: 'SIGKILL' });
  await waitFor(() => killed !== null, { what: 'drain to end' });
  assert.equal(killed, 1);
  const [entry] = logs.events('runed', 'fire');
  assert.equal(entry?.error, 'killed at shutdown', 'not error: null');
  assert.equal(entry?.signal, 'SIGKILL');
  assert.equal(logs.events('error', 'fire')[0]?.error, 'killed at shutdown');
});

test('hurry (stop --now) ends the grace at once: SIGTERM now, logged killed at shutdown; a task that ended alone is not', async () => {
  const { clock, logs, runs, claim, dispatcher } = setup();
  dispatcher.dispatch(await claim([T0, T0]));
  await waitFor(() => runs.length === 2, { what: 'the runs' });
  const [done, hung] = runs as [HeldRun, HeldRun];
  const drained = dispatcher.drain(30_000);
  await waitFor(() => clock.sleeping === 1, { what: 'drain to wait' });
  done.end({});
  await waitFor(() => logs.events('runed', 'fire').length === 1, { what: 'the first fire logged' });
  assert.equal(dispatcher.hurried, false);
  dispatcher.hurry();
  await waitFor(() => hung.kills.length === 1, { what: 'SIGTERM without the clock moving' });
  assert.deepEqual(hung.kills, ['SIGTERM']);
  hung.end({ ok: false, signal: 'SIGTERM' });
  assert.equal(await drained, 1);
  assert.equal(dispatcher.hurried, true);
  const errors = logs.events('runed', 'fire').map((e) => e.error);
  assert.deepEqual(errors, [null, 'killed at shutdown']);
  // Hurried before the drain began: no grace at all.
  const other = setup();
  other.dispatcher.dispatch(await other.claim([T0]));
  await waitFor(() => other.runs.length === 1, { what: 'the run' });
  other.dispatcher.hurry();
  const drainedAtOnce = other.dispatcher.drain(30_000);
  await waitFor(() => other.runs[0]?.kills.length === 1, { what: 'SIGTERM at once' });
  other.runs[0]?.end({ ok: false, signal: 'SIGTERM' });
  assert.equal(await drainedAtOnce, 1);
});

test('drain ends as soon as the last task does', async () => {
  const { runs, claim, dispatcher } = setup();
  dispatcher.dispatch(await claim([T0, T0]));
  await waitFor(() => runs.length === 2, { what: 'the runs' });
  const drained = dispatcher.drain(30_000);
  runs[0]?.end({});
  runs[1]?.end({});
  assert.equal(await drained, 0, 'nothing killed, no time passed on the clock');
});

test('a begin failing while Redis is away is retried with backoff, and given up once stopping', async () => {
  const { clock, logs, runs, claim, make, stores } = setup();
  let failing = true;
  let attempts = 0;
  const flaky = Object.create(stores.fires) as FireStore;
  flaky.begin = (req) => {
    attempts++;
    return failing ? Promise.reject(new Error('Connection is closed.')) : stores.fires.begin(req);
  };
  const dispatcher = make(flaky);
  dispatcher.dispatch(await claim([T0]));
  await waitFor(() => attempts === 1 && clock.sleeping === 1, { what: 'the first attempt' });
  clock.advance(100);
  await waitFor(() => attempts === 2 && clock.sleeping === 1, { what: 'a retry after 100 ms' });
  clock.advance(200);
  await waitFor(() => attempts === 3 && clock.sleeping === 1, { what: 'a retry after 200 ms' });
  assert.equal(logs.events('error', 'begin_retry').length, 1, 'logged once');
  failing = false;
  clock.advance(400);
  await waitFor(() => runs.length === 1, { what: 'the run once Redis answers' });

  // Stopping while it still fails: the fire is not run.
  failing = true;
  const other = make(flaky);
  other.dispatch(await claim([T0]));
  await waitFor(() => clock.sleeping >= 1, { what: 'a retry wait' });
  const drained = other.drain(30_000);
  clock.advance(100);
  assert.equal(await drained, 0);
  assert.equal(runs.length, 1, 'the second fire was given up');
});

test('with wait_replicas and no replica: three rounds on the clock, then it runs, logged unconfirmed', async () => {
  const { clock, logs, runs, claim, make, stores } = setup({ waitReplicas: 1 });
  const fast = Object.create(stores.fires) as ShardFireStore;
  fast.replicasConfirming = async () => 0; // WAIT itself would take 500 ms of real time per round
  const dispatcher = make(fast);
  dispatcher.dispatch(await claim([T0]));
  for (let round = 0; round < 3; round++) {
    await waitFor(() => clock.sleeping === 1, { what: `settle wait ${round + 1}` });
    assert.equal(runs.length, 0);
    clock.advance(1500);
  }
  await waitFor(() => runs.length === 1, { what: 'the run' });
  assert.deepEqual(
    logs.events('error', 'unconfirmed').map((e) => [e.fires, e.replicas]),
    [[1, 1]],
  );
});

test('with wait_replicas: a claim undone meanwhile (the record gone) is not run', async () => {
  const { clock, logs, runs, claim, make, stores } = setup({ waitReplicas: 1 });
  const fast = Object.create(stores.fires) as ShardFireStore;
  fast.replicasConfirming = async () => 0;
  const dispatcher = make(fast);
  const fires = await claim([T0]);
  dispatcher.dispatch(fires);
  await waitFor(() => clock.sleeping === 1, { what: 'the settle wait' });
  // What a failover to a master without this begin looks like: the record is not there.
  await redis.client.hdel(testKeys(`d${n}`).fires, (fires[0] as Fire).id);
  clock.advance(1500);
  await waitFor(() => logs.events('error', 'undone').length === 1, { what: 'undone logged' });
  assert.equal(runs.length, 0);
});

test('a running fire keeps its lease while it runs (renewed), so no claim records it lost', async () => {
  const { clock, runs, claim, dispatcher, stores, keys } = setup({ renewOnSameClock: true });
  const fires = await claim([T0]);
  dispatcher.dispatch(fires);
  await waitFor(() => runs.length === 1, { what: 'the run' });
  const id = (fires[0] as Fire).id;
  const claimAt = (nowMs: number) =>
    stores.fires.claim({ nowMs, owner: 'B', leaseMs: 5000, maxShell: 1, maxUrl: 1, expireLimitSec: 0 });
  // Three minutes of a long command, renewed every 15 s (each renewal lasts 60 s).
  for (let s = 0; s < 12; s++) {
    await waitFor(() => clock.sleeping >= 1, { what: 'the renewal wait' });
    clock.advance(15_000);
    await waitFor(async () => Number(await redis.client.zscore(keys.leases, id)) >= clock.nowMs() + 59_000, {
      what: 'the lease renewed',
    });
    assert.deepEqual((await claimAt(clock.nowMs())).entries, [], 'not taken for lost');
  }
  runs[0]?.end({ durationMs: 180_000 });
  await waitFor(async () => (await redis.client.hexists(keys.fires, id)) === 0, {
    what: 'the run on record',
  });
});

test('a running fire found recorded lost by a renewal (its lease lapsed in Redis: a failover lost a renewal) is stopped, not run beside its retry', async () => {
  const { clock, runs, claim, dispatcher, stores, keys, logs } = setup({
    renewOnSameClock: true,
    fenceGraceMs: 3000,
  });
  const fires = await claim([T0]);
  dispatcher.dispatch(fires);
  await waitFor(() => runs.length === 1, { what: 'the run' });
  const id = (fires[0] as Fire).id;
  // Redis lost its lease's renewals (a failover): it ran out, and another daemon's claim
  // recorded the run lost.
  await redis.client.zadd(keys.leases, T0, id);
  const b = await stores.fires.claim({
    nowMs: T0 + 1000,
    owner: 'B',
    leaseMs: 5000,
    maxShell: 1,
    maxUrl: 1,
    expireLimitSec: 0,
  });
  assert.deepEqual(
    b.entries.map((e) => e.kind),
    ['lost'],
  );
  // Its daemon's next renewal finds the run no longer its own: SIGTERM at once, SIGKILL after the
  // stop wait (shutdown_grace 3 s).
  await waitFor(() => clock.sleeping >= 1, { what: 'the renewal wait' });
  clock.advance(15_000);
  await waitFor(() => (runs[0]?.kills ?? []).length === 1, { what: 'SIGTERM' });
  assert.deepEqual(runs[0]?.kills, ['SIGTERM']);
  assert.equal(logs.events('error', 'revoked').length, 1);
  clock.advance(3000);
  await waitFor(() => (runs[0]?.kills ?? []).length === 2, { what: 'SIGKILL' });
  assert.deepEqual(runs[0]?.kills, ['SIGTERM', 'SIGKILL']);
  runs[0]?.end({ ok: false, signal: 'SIGKILL', durationMs: 18_000 });
  await waitFor(() => logs.events('runed', 'fire').length === 1, { what: 'its end logged' });
  assert.match(String(logs.events('runed', 'fire')[0]?.error), /no longer its own/);
  // Its record is refused: the run is on record once, lost.
  await waitFor(() => logs.events('error', 'finished_after_lost').length === 1, {
    what: 'the refused record',
  });
});
