// Run now, overlap and retries (#14) against a real Redis, on a fixed clock: run.lua hands out a
// pending fire that exactly one claim takes, leaving the schedule alone; -overlap=skip|queue keeps
// a task's runs apart through the running mark (freed by finish, by a lost run, or when its fire
// is gone); finish.lua hands out the retry of a failed run as a pending fire k:N.A, not for a task
// paused or deleted meanwhile, and del/pause cancel a waiting one; run-record.lua counts failures
// in a row.
import { decodeLastRun, decodeRunRecord } from '../../src/store/run-record.js';
import { ManualClock } from '../../src/clock.js';
import { RunRecorder } from '../../src/daemon/run-recorder.js';
import { emptyResult } from '../../src/runner/runner-result.js';
import { jitterOf, retryWaitMs, retryWaitOf } from '../../src/runs/retry.js';
import { memoryLogs } from '../helpers/memory-logs.js';
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import type { StoreKeys } from '../../src/store/keys.js';
import type { ClaimReply, Fire, FireStore, RunRecord, TaskStore } from '../../src/store/open-store.js';
import type { Task } from '../../src/tasks/task.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { storedTask } from '../helpers/stored-tasks.js';
import { endedRun, endingOf, fireStoresByOwner, storesOn, testKeys } from '../helpers/stores.js';

const redis = usePrivateRedis();
const T0 = 1_800_000_000_000; // a fixed "now" in unix ms: the scripts take time as an argument
const LEASE_MS = 5000;
const KEEP_MS = 60_000;
let keys: StoreKeys;
let tasks: TaskStore;
let n = 0;

beforeEach(() => {
  keys = testKeys(`ctl${++n}`);
  tasks = storesOn(redis.client, keys).tasks;
  ownerStores.reset();
});

/** One fire store per daemon (owner). */
const ownerStores = fireStoresByOwner(
  () => redis.client,
  () => keys,
);
const fires = (owner: string): FireStore => ownerStores.of(owner);

const claim = (nowMs: number, owner = 'A'): Promise<ClaimReply> =>
  fires(owner).claim({ nowMs, owner, leaseMs: LEASE_MS, maxShell: 100, maxUrl: 100, expireLimitSec: 60 });

const firesOf = (reply: ClaimReply): Fire[] =>
  reply.entries.flatMap((e) => (e.kind === 'fire' ? [e.fire] : []));

/** Claims at `nowMs` as `owner` and begins what it got; the fires, begun. */
async function claimAndBegin(nowMs: number, owner = 'A'): Promise<Fire[]> {
  const got = firesOf(await claim(nowMs, owner));
  if (got.length > 0) {
    const begun = await fires(owner).begin({ nowMs, owner, keepMs: KEEP_MS, fires: got });
    assert.ok(
      begun.every((b) => b),
      'begun',
    );
  }
  return got;
}

/**
 * finish.lua for one fire as `owner`: it ended at `endMs`, ok or failed (exit 1); `retryable`: a
 * failure worth a retry (when it comes: retryAtOf). { recorded, streak, retried }.
 */
async function finish(fire: Fire, ok: boolean, endMs: number, retryable = false, owner = 'A') {
  const ending = { ...endingOf(fire, { startedMs: fire.dueMs, ok, durationMs: 10 }), finishedMs: endMs };
  const [done] = await fires(owner).finish({
    owner,
    nowMs: endMs,
    runs: [endedRun(fire, ending, retryable)],
  });
  assert.ok(done);
  const { recorded, streak, retried } = done;
  return { recorded, streak, retried };
}

/** When the retry of `fire`, failed at `endMs`, is due: runs/retry.ts's wait (what finish.lua computes). */
const retryAtOf = (fire: Fire, endMs: number): number =>
  endMs + retryWaitOf({ id: fire.id, attempt: fire.attempt, retry_delay: fire.retry_delay ?? 0 });

const ticker = (over: Partial<Task> = {}): Task =>
  storedTask({
    type: 'ticker',
    time: 10,
    limit: 0,
    misfire: 'once',
    command: 'echo hi',
    run_nexttime: T0 / 1000,
    ...over,
  });

const history = async (kid: string): Promise<RunRecord[]> =>
  (await redis.client.lrange(`${keys.history}${kid}`, 0, -1)).map((r) => decodeRunRecord('test', r, kid));

const storedFire = async (id: string): Promise<Record<string, unknown> | null> => {
  const raw = await redis.client.hget(keys.fires, id);
  return raw === null ? null : (JSON.parse(raw) as Record<string, unknown>);
};

const running = (kid: string) => redis.client.hget(keys.running, kid);
const queued = async (kid: string) => {
  const raw = await redis.client.hget(keys.queued, kid);
  return raw === null ? null : (JSON.parse(raw) as Record<string, unknown>);
};
const runNum = async (kid: string) => (await tasks.get(kid))?.task.run_num;

// --- Run now ---------------------------------------------------------------------------------

test('run now: a pending manual fire that exactly one of two claims takes; the schedule stays', async () => {
  await tasks.add('k', ticker({ time: 3600, run_nexttime: (T0 + 3_600_000) / 1000, run_num: 4 }), 100);
  const before = await tasks.get('k');
  assert.deepEqual(await tasks.runNow('k', T0), { how: 'fire', fireId: 'k:5', done: false });
  const pending = await storedFire('k:5');
  assert.equal(pending?.state, 'pending');
  assert.equal(pending?.trigger, 'manual');
  assert.equal(pending?.owner, undefined, 'no owner yet');
  assert.equal(pending?.due, T0 / 1000);
  assert.equal(Number(await redis.client.zscore(keys.leases, 'k:5')), T0, 'its lease ran out at once');
  const after = await tasks.get('k');
  assert.equal(after?.task.run_num, 5, 'the run takes the next run number');
  assert.equal(after?.task.run_nexttime, before?.task.run_nexttime, 'run_nexttime untouched');
  assert.equal(Number(await redis.client.zscore(keys.schedule, 'k')), (T0 + 3_600_000) / 1000);
  assert.equal(await running('k'), null, 'overlap=allow: no running mark');

  const [a, b] = await Promise.all([claim(T0 + 1, 'A'), claim(T0 + 1, 'B')]);
  const got = [...firesOf(a), ...firesOf(b)];
  assert.equal(got.length, 1, 'exactly one claimer takes it');
  const fire = got[0] as Fire;
  assert.equal(fire.id, 'k:5');
  assert.equal(fire.trigger, 'manual');
  assert.equal(fire.run_num, 5);
  assert.equal(fire.retaken_from, undefined, 'taken, not retaken');
  assert.ok(fire.owner === 'A' || fire.owner === 'B');
  assert.equal((await storedFire('k:5'))?.state, 'leased');
  assert.deepEqual(firesOf(await claim(T0 + 2, 'C')), [], 'and no one else');
  await fires(fire.owner).begin({ nowMs: T0 + 2, owner: fire.owner, keepMs: KEEP_MS, fires: [fire] });
  assert.equal((await finish(fire, true, T0 + 50, false, fire.owner)).recorded, true);
  const [rec] = await history('k');
  assert.equal(rec?.fire_id, 'k:5');
  assert.equal(rec?.trigger, 'manual');
  const last = decodeLastRun('last', await redis.client.hget(keys.last, 'k'));
  assert.equal(last.trigger, 'manual', 'the summary says what started it');
  // The schedule goes on as it was: the next scheduled run is number 6, at its time.
  assert.deepEqual(firesOf(await claim(T0 + 3_599_999)), []);
  const scheduled = firesOf(await claim(T0 + 3_600_000));
  assert.deepEqual(
    scheduled.map((f) => [f.id, f.trigger]),
    [['k:6', undefined]],
  );
});

test('run now, then del before a daemon takes it: the run is dropped (a timer run by hand too; an overlap mark freed)', async () => {
  await tasks.add('k', ticker({ run_nexttime: (T0 + 3_600_000) / 1000, overlap: 'skip' }), 100);
  await tasks.add('t', storedTask({ command: 'echo once', run_nexttime: (T0 + 3_600_000) / 1000 }), 100);
  assert.deepEqual(await tasks.runNow('k', T0), { how: 'fire', fireId: 'k:1', done: false });
  assert.deepEqual(await tasks.runNow('t', T0), { how: 'fire', fireId: 't:1', done: true });
  assert.equal(await running('k'), 'k:1');
  await tasks.del(['k', 't']);
  assert.deepEqual(firesOf(await claim(T0 + 1)), [], 'neither run is handed to a daemon');
  assert.equal(await storedFire('k:1'), null);
  assert.equal(await storedFire('t:1'), null);
  assert.equal(await redis.client.zcard(keys.leases), 0);
  assert.equal(await running('k'), null, 'the overlap mark goes with it');
  // A run by hand of a task that stays is taken as ever.
  await tasks.add('s', ticker({ run_nexttime: (T0 + 3_600_000) / 1000 }), 100);
  await tasks.runNow('s', T0 + 2);
  assert.deepEqual(
    firesOf(await claim(T0 + 3)).map((f) => f.id),
    ['s:1'],
  );
});

test('run now: a paused task runs and stays paused; a missing task; corrupt data', async () => {
  await tasks.add('p', ticker({ run_nexttime: (T0 + 10_000) / 1000 }), 100);
  assert.deepEqual(await tasks.pause(['p'], T0 / 1000), ['done']);
  assert.deepEqual(await tasks.runNow('p', T0 + 1000), { how: 'fire', fireId: 'p:1', done: false });
  const got = await claimAndBegin(T0 + 1000);
  assert.deepEqual(
    got.map((f) => [f.id, f.trigger]),
    [['p:1', 'manual']],
  );
  await finish(got[0] as Fire, true, T0 + 1100);
  assert.notEqual(await redis.client.zscore(keys.paused, 'p'), null, 'still paused');
  assert.equal(await redis.client.zscore(keys.schedule, 'p'), null, 'not back on the schedule');
  assert.equal(typeof (await tasks.get('p'))?.task.paused, 'number');
  assert.deepEqual(firesOf(await claim(T0 + 60_000)), [], 'its schedule does not fire');

  assert.equal(await tasks.runNow('missing', T0), 'missing');
  await redis.client.hset(keys.pool, 'bad', '{not json');
  assert.equal(await tasks.runNow('bad', T0), 'corrupt');
  assert.equal(await redis.client.hlen(keys.fires), 0, 'nothing handed out');
});

// A run by hand counts (docs/schedules.md "How many runs"): a timer's is its one run; one that
// makes up a ticker's or cron task's -limit is its last. The task is then done at once.

test('run now: a timer run by hand is its one run: it leaves at once and does not fire at its time', async () => {
  await tasks.add('t', storedTask({ run_nexttime: (T0 + 5000) / 1000, name: 'nightly' }), 100);
  await redis.client.hset(keys.names, 'nightly', 't');
  assert.deepEqual(await tasks.runNow('t', T0), { how: 'fire', fireId: 't:1', done: true });
  assert.equal(await tasks.get('t'), null, 'gone from the task list');
  assert.equal(await redis.client.zscore(keys.schedule, 't'), null, 'and from the schedule');
  assert.equal(await redis.client.hget(keys.names, 'nightly'), null, 'its name freed');
  assert.equal(await redis.client.get(`${keys.endedName}nightly`), 't', 'and kept on record for history');
  const manual = await claimAndBegin(T0);
  assert.deepEqual(
    manual.map((f) => [f.id, f.trigger]),
    [['t:1', 'manual']],
  );
  assert.deepEqual(firesOf(await claim(T0 + 5000)), [], 'nothing at its time');
  assert.equal(await tasks.runNow('t', T0 + 6000), 'missing', 'run again: refused as a task that is gone');
  // Its run goes on record, and is retried as any last run is (a timer with -retries).
  assert.equal((await finish(manual[0] as Fire, true, T0 + 100)).recorded, true);
});

test('run now: runs by hand and scheduled ones count toward -limit; the one that makes it up ends the task at once', async () => {
  // A ticker with -limit=2 run by hand twice: done after the second, without waiting for its time.
  await tasks.add('k', ticker({ limit: 2, run_nexttime: (T0 + 5000) / 1000 }), 100);
  assert.deepEqual(await tasks.runNow('k', T0), { how: 'fire', fireId: 'k:1', done: false });
  assert.equal((await tasks.get('k'))?.task.run_num, 1, '1 of 2');
  assert.deepEqual(await tasks.runNow('k', T0 + 1), { how: 'fire', fireId: 'k:2', done: true });
  assert.equal(await tasks.get('k'), null, 'done at once');
  assert.equal(await redis.client.zscore(keys.schedule, 'k'), null);
  assert.deepEqual(
    (await claimAndBegin(T0 + 5000)).map((f) => f.id).sort(),
    ['k:1', 'k:2'],
    'the two runs by hand, and no third at its time',
  );
  // A cron task with -limit=3: one scheduled run, then two by hand; paused meanwhile: it leaves
  // the paused set too.
  const cron = storedTask({
    type: 'cron',
    time: 0,
    limit: 3,
    cron: '0 0 4 * * *',
    tz: 'UTC',
    run_nexttime: (T0 + 10_000) / 1000,
    runs: [(T0 + 10_000) / 1000, (T0 + 86_410_000) / 1000],
  });
  await tasks.add('c', cron, 100);
  assert.deepEqual(
    firesOf(await claim(T0 + 10_000)).map((f) => f.id),
    ['c:1'],
  );
  await tasks.pause(['c'], T0 / 1000 + 11);
  assert.deepEqual(await tasks.runNow('c', T0 + 12_000), { how: 'fire', fireId: 'c:2', done: false });
  assert.deepEqual(await tasks.runNow('c', T0 + 13_000), { how: 'fire', fireId: 'c:3', done: true });
  assert.equal(await tasks.get('c'), null);
  assert.equal(await redis.client.zscore(keys.paused, 'c'), null, 'gone from the paused set');
  assert.equal(await tasks.runNow('c', T0 + 14_000), 'missing');
  // Without a limit a ticker goes on.
  await tasks.add('u', ticker({ limit: 0 }), 100);
  for (let i = 1; i <= 3; i++)
    assert.deepEqual(await tasks.runNow('u', T0 + i), { how: 'fire', fireId: `u:${i}`, done: false });
  assert.notEqual(await tasks.get('u'), null);
});

test('run now: a last run queued behind the run under way (overlap=queue) ends the task, and still runs', async () => {
  await tasks.add('q', ticker({ limit: 2, overlap: 'queue' }), 100);
  const [first] = await claimAndBegin(T0);
  assert.equal(first?.id, 'q:1');
  assert.deepEqual(await tasks.runNow('q', T0 + 1), { how: 'queued', fireId: 'q:2', done: true });
  assert.equal(await tasks.get('q'), null, 'done: 2 of 2 runs handed out');
  await finish(first as Fire, true, T0 + 100);
  assert.deepEqual(
    (await claimAndBegin(T0 + 200)).map((f) => [f.id, f.trigger]),
    [['q:2', 'manual']],
    'the queued run is handed out when the first one ends',
  );
});

// --- Overlap ---------------------------------------------------------------------------------

test('overlap=skip: a run due while the last runs is skipped on record, run_num goes on; finish frees it', async () => {
  await tasks.add('s', ticker({ overlap: 'skip' }), 100);
  const [first] = await claimAndBegin(T0);
  assert.equal(first?.id, 's:1');
  assert.equal(await running('s'), 's:1', 'the claim marks it running');
  const second = await claim(T0 + 10_000);
  assert.deepEqual(firesOf(second), []);
  const skipped = second.entries.find((e) => e.kind === 'skipped');
  assert.ok(skipped?.kind === 'skipped');
  assert.equal(skipped.record.fire_id, 's:2');
  assert.equal(skipped.record.result, 'skipped');
  assert.equal(skipped.record.ok, false);
  assert.equal(skipped.record.due, (T0 + 10_000) / 1000);
  assert.match(skipped.record.error ?? '', /its run s:1 was still under way \(overlap=skip\)/);
  assert.equal(await runNum('s'), 2, 'run_num still advances');
  assert.equal((await tasks.get('s'))?.task.run_nexttime, (T0 + 20_000) / 1000, 'and so does the schedule');
  const [rec] = await history('s');
  assert.deepEqual([rec?.fire_id, rec?.result], ['s:2', 'skipped']);
  assert.equal(await redis.client.hexists(keys.fires, 's:2'), 0, 'nothing handed out');
  // By hand: refused while busy, naming the run under way.
  assert.deepEqual(await tasks.runNow('s', T0 + 11_000), { how: 'busy', fireId: 's:1', done: false });
  assert.equal(await runNum('s'), 2, 'a refused run takes no number');
  assert.equal((await finish(first as Fire, true, T0 + 12_000)).recorded, true);
  assert.equal(await running('s'), null, 'finish frees it');
  const third = await claimAndBegin(T0 + 20_000);
  assert.deepEqual(
    third.map((f) => f.id),
    ['s:3'],
  );
  assert.equal(await running('s'), 's:3');
});

test('overlap=queue: one run queued, the next skipped; the queued one handed out when the running one finishes', async () => {
  await tasks.add('q', ticker({ overlap: 'queue' }), 100);
  const [first] = await claimAndBegin(T0);
  assert.equal(await running('q'), 'q:1');
  const second = await claim(T0 + 10_000);
  assert.deepEqual(second.entries, [], 'queued: neither fired nor on record');
  const waiting = await queued('q');
  assert.deepEqual([waiting?.id, waiting?.state, waiting?.due], ['q:2', 'queued', (T0 + 10_000) / 1000]);
  assert.equal(await redis.client.hexists(keys.fires, 'q:2'), 0);
  const third = await claim(T0 + 20_000);
  assert.deepEqual(
    third.entries.map((e) => (e.kind === 'skipped' ? `skipped:${e.record.fire_id}` : e.kind)),
    ['skipped:q:3'],
  );
  assert.match(
    (third.entries[0] as { record: RunRecord }).record.error ?? '',
    /overlap=queue, one run queued already/,
  );
  assert.equal(await runNum('q'), 3);
  // By hand while one is queued: that one is the answer, no second is queued.
  assert.deepEqual(await tasks.runNow('q', T0 + 21_000), { how: 'queued', fireId: 'q:2', done: false });
  assert.equal(await runNum('q'), 3);
  // The running one ends: the queued one is handed out at once, and holds the mark.
  await finish(first as Fire, true, T0 + 25_000);
  assert.equal(await queued('q'), null);
  assert.equal(await running('q'), 'q:2');
  assert.equal((await storedFire('q:2'))?.state, 'pending');
  assert.equal(Number(await redis.client.zscore(keys.leases, 'q:2')), T0 + 25_000);
  const promoted = await claimAndBegin(T0 + 25_001, 'B');
  assert.deepEqual(
    promoted.map((f) => [f.id, f.owner, f.dueMs / 1000]),
    [['q:2', 'B', (T0 + 10_000) / 1000]],
  );
  assert.equal(await running('q'), 'q:2');
  await finish(promoted[0] as Fire, true, T0 + 26_000, false, 'B');
  assert.equal(await running('q'), null);
  assert.deepEqual(
    (await history('q')).map((r) => `${r.fire_id}:${r.result}`),
    ['q:2:ok', 'q:1:ok', 'q:3:skipped'],
  );
});

test('overlap=queue: a run by hand while busy is queued, and handed out when the running one is recorded lost', async () => {
  await tasks.add('q', ticker({ time: 3600, overlap: 'queue' }), 100);
  const [first] = await claimAndBegin(T0, 'host:7:dead');
  assert.equal(first?.id, 'q:1');
  assert.deepEqual(await tasks.runNow('q', T0 + 1000), { how: 'queued', fireId: 'q:2', done: false });
  const waiting = await queued('q');
  assert.deepEqual([waiting?.state, waiting?.trigger], ['queued', 'manual']);
  assert.equal(await runNum('q'), 2);
  assert.deepEqual(firesOf(await claim(T0 + KEEP_MS - 1, 'B')), [], 'the begun lease holds');
  // Its daemon died: once the lease ran out the claim records it lost and hands out the queued run.
  const lostAt = T0 + KEEP_MS;
  const reply = await claim(lostAt, 'B');
  const lost = reply.entries.find((e) => e.kind === 'lost');
  assert.ok(lost?.kind === 'lost');
  assert.equal(lost.record.fire_id, 'q:1');
  assert.equal(lost.streak, 1);
  assert.equal(await queued('q'), null);
  assert.equal(await running('q'), 'q:2');
  assert.equal((await storedFire('q:2'))?.state, 'pending');
  assert.equal(reply.dueLeft, 'room', 'the pending run is due now: claim again');
  const next = await claimAndBegin(lostAt + 1, 'B');
  assert.deepEqual(
    next.map((f) => [f.id, f.trigger]),
    [['q:2', 'manual']],
  );
});

test('overlap=skip: a daemon killed mid-run frees its task when its run is recorded lost', async () => {
  await tasks.add('s', ticker({ time: 3600, overlap: 'skip' }), 100);
  await claimAndBegin(T0, 'host:7:dead');
  assert.deepEqual(await tasks.runNow('s', T0 + 1000), { how: 'busy', fireId: 's:1', done: false });
  const reply = await claim(T0 + KEEP_MS, 'B');
  assert.deepEqual(
    reply.entries.map((e) => e.kind),
    ['lost'],
  );
  assert.equal(await running('s'), null);
  assert.deepEqual(await tasks.runNow('s', T0 + KEEP_MS + 1), { how: 'fire', fireId: 's:2', done: false });
});

test('a stale running mark (its fire gone) does not hold the task', async () => {
  await tasks.add('s', ticker({ overlap: 'skip' }), 100);
  await tasks.add('q', ticker({ overlap: 'queue' }), 100);
  await redis.client.hset(keys.running, 's', 's:99', 'q', 'q:99');
  const got = await claim(T0);
  assert.deepEqual(got.entries.map((e) => (e.kind === 'fire' ? e.fire.id : e.kind)).sort(), ['q:1', 's:1']);
  assert.equal(await running('s'), 's:1', 'the mark names the new run');
  assert.equal(await running('q'), 'q:1');
  assert.equal(await queued('q'), null);
  // By hand too: a mark whose fire is gone is cleared on the way.
  await tasks.add('r', ticker({ time: 3600, run_nexttime: (T0 + 3_600_000) / 1000, overlap: 'skip' }), 100);
  await redis.client.hset(keys.running, 'r', 'r:42');
  assert.deepEqual(await tasks.runNow('r', T0), { how: 'fire', fireId: 'r:1', done: false });
  assert.equal(await running('r'), 'r:1');
});

test('overlap=allow (the default): runs overlap, no mark is kept', async () => {
  await tasks.add('a', ticker(), 100);
  await claimAndBegin(T0);
  const second = await claimAndBegin(T0 + 10_000);
  assert.deepEqual(
    second.map((f) => f.id),
    ['a:2'],
  );
  assert.equal(await redis.client.exists(keys.running), 0);
});

// --- Retries ---------------------------------------------------------------------------------

test('retries: a failed run is retried as k:N.A, pending until its time, through to the last attempt', async () => {
  await tasks.add('k', storedTask({ run_nexttime: T0 / 1000, retries: 2, retry_delay: 10 }), 100);
  const [first] = await claimAndBegin(T0);
  assert.deepEqual([first?.id, first?.retries, first?.retry_delay], ['k:1', 2, 10]);
  const retry2 = retryAtOf(first as Fire, T0 + 100);
  assert.deepEqual(await finish(first as Fire, false, T0 + 100, true), {
    recorded: true,
    streak: 0,
    retried: true,
  });
  const pending = await storedFire('k:1.2');
  assert.deepEqual(
    [pending?.state, pending?.trigger, pending?.attempt, pending?.first, pending?.owner, pending?.due],
    ['pending', 'retry', 2, 'k:1', undefined, retry2 / 1000],
  );
  assert.equal(Number(await redis.client.zscore(keys.leases, 'k:1.2')), retry2);
  assert.equal(await redis.client.hget(keys.retrying, 'k'), 'k:1.2');
  assert.equal(await redis.client.hexists(keys.fires, 'k:1'), 0, 'the first attempt is done');
  const [rec1] = await history('k');
  assert.deepEqual([rec1?.result, rec1?.retry_at], ['failed', retry2 / 1000]);

  const early = await claim(retry2 - 1);
  assert.deepEqual(early.entries, [], 'not before its time');
  assert.equal(early.nextDueMs, retry2, 'and the claim knows when');
  const [second] = await claimAndBegin(retry2, 'B');
  assert.deepEqual(
    [second?.id, second?.trigger, second?.attempt, second?.first, second?.run_num, second?.retries],
    ['k:1.2', 'retry', 2, 'k:1', 1, 2],
  );
  assert.equal(await redis.client.hget(keys.retrying, 'k'), null, 'taken: no longer waiting');
  const retry3 = retryAtOf(second as Fire, retry2 + 100);
  assert.ok(retry3 - (retry2 + 100) > 10_000 * 0.8 * 2 - 1, 'the delay doubled for a second retry');
  assert.deepEqual(await finish(second as Fire, false, retry2 + 100, true, 'B'), {
    recorded: true,
    streak: 0,
    retried: true,
  });
  assert.equal((await storedFire('k:1.3'))?.first, 'k:1', 'the id stays on the first attempt');
  const [third] = await claimAndBegin(retry3);
  assert.deepEqual([third?.id, third?.attempt, third?.trigger], ['k:1.3', 3, 'retry']);
  // The last attempt fails too: its failure is one to retry, but finish.lua retries it no more
  // (attempt 3 > retries 2): a failure in a row.
  assert.deepEqual(await finish(third as Fire, false, retry3 + 100, true), {
    recorded: true,
    streak: 1,
    retried: false,
  });
  assert.equal(await redis.client.hlen(keys.fires), 0);
  assert.equal(await redis.client.zcard(keys.leases), 0);
  assert.equal(await redis.client.exists(keys.retrying), 0);
  assert.deepEqual(
    (await history('k')).map((r) => [r.fire_id, r.trigger, r.attempt, r.result]),
    [
      ['k:1.3', 'retry', 3, 'failed'],
      ['k:1.2', 'retry', 2, 'failed'],
      ['k:1', 'schedule', 1, 'failed'],
    ],
  );
  const last = decodeLastRun('last', await redis.client.hget(keys.last, 'k'));
  assert.deepEqual([last.fire_id, last.trigger, last.attempt], ['k:1.3', 'retry', 3]);
});

test('retries never touch the schedule, and a retry that succeeds ends the chain', async () => {
  await tasks.add('k', ticker({ time: 60, retries: 3, retry_delay: 5 }), 100);
  const [first] = await claimAndBegin(T0);
  await finish(first as Fire, false, T0 + 100, true);
  assert.equal((await tasks.get('k'))?.task.run_nexttime, (T0 + 60_000) / 1000);
  assert.equal(await runNum('k'), 1, 'a retry takes no run number');
  const retryAt = retryAtOf(first as Fire, T0 + 100);
  const [second] = await claimAndBegin(retryAt);
  assert.equal(second?.id, 'k:1.2');
  assert.equal(second?.run_num, 1);
  assert.deepEqual(await finish(second as Fire, true, retryAt + 100), {
    recorded: true,
    streak: 0,
    retried: false,
  });
  assert.equal(await redis.client.hlen(keys.fires), 0);
  assert.deepEqual(
    firesOf(await claim(T0 + 60_000)).map((f) => f.id),
    ['k:2'],
  );
});

test('retries with overlap: the running mark moves to the retry, so scheduled runs wait for it', async () => {
  await tasks.add('k', ticker({ time: 10, overlap: 'skip', retries: 1, retry_delay: 30 }), 100);
  const [first] = await claimAndBegin(T0);
  await finish(first as Fire, false, T0 + 100, true);
  assert.equal(await running('k'), 'k:1.2');
  const during = await claim(T0 + 10_000);
  assert.deepEqual(
    during.entries.map((e) => (e.kind === 'skipped' ? e.record.fire_id : e.kind)),
    ['k:2'],
    'the retry waiting counts as under way',
  );
  const retryAt = retryAtOf(first as Fire, T0 + 100);
  const [retry] = await claimAndBegin(retryAt);
  assert.equal(retry?.id, 'k:1.2');
  await finish(retry as Fire, true, retryAt + 100);
  assert.equal(await running('k'), null);
});

test('a task paused or deleted while its run went on is not retried', async () => {
  for (const how of ['pause', 'del'] as const) {
    const kid = `k-${how}`;
    await tasks.add(kid, ticker({ time: 3600, retries: 2, retry_delay: 10 }), 100);
    const [fire] = await claimAndBegin(T0);
    assert.ok(fire);
    if (how === 'pause') await tasks.pause([kid], T0 / 1000);
    else assert.equal((await tasks.del([kid])).removed, 1);
    const done = await finish(fire, false, T0 + 100, true);
    assert.deepEqual(
      done,
      { recorded: true, streak: 1, retried: false },
      `${how}: a final failure, not retried`,
    );
    assert.equal(await redis.client.hexists(keys.fires, `${kid}:1.2`), 0, `${how}: no retry`);
    assert.equal(await redis.client.hget(keys.retrying, kid), null);
    const [rec] = await history(kid);
    assert.equal(rec?.retry_at, undefined, `${how}: the record says no retry`);
    assert.deepEqual(firesOf(await claim(T0 + 20_000)), []);
  }
});

test("del stops a fired timer's retries: the one waiting is dropped and counted, a run under way is not retried", async () => {
  for (const kid of ['waits', 'runs']) {
    await tasks.add(kid, storedTask({ run_nexttime: T0 / 1000, retries: 3, retry_delay: 10 }), 100);
  }
  const first = await claimAndBegin(T0);
  assert.equal(first.length, 2);
  const fireOf = (kid: string) => first.find((f) => f.kid === kid) as Fire;
  // 'waits' fails: its retry waits for its time. Both timers are gone from the hash now.
  assert.deepEqual(await finish(fireOf('waits'), false, T0 + 100, true), {
    recorded: true,
    streak: 0,
    retried: true,
  });
  assert.equal(await redis.client.hget(keys.retrying, 'waits'), 'waits:1.2');
  assert.deepEqual(await tasks.del(['waits']), { removed: 0, dropped: 1 }, 'no task, one retry dropped');
  assert.equal(await redis.client.hexists(keys.fires, 'waits:1.2'), 0);
  // 'runs' is deleted while its run goes on: when it fails, it is not retried.
  assert.deepEqual(await tasks.del(['runs']), { removed: 0, dropped: 0 });
  assert.deepEqual(await finish(fireOf('runs'), false, T0 + 200, true), {
    recorded: true,
    streak: 1,
    retried: false,
  });
  assert.equal(await redis.client.hexists(keys.fires, 'runs:1.2'), 0, 'no retry');
  assert.equal((await history('runs'))[0]?.retry_at, undefined);
  assert.deepEqual(firesOf(await claim(T0 + 60_000)), [], 'nothing left to hand out');
  const ttl = await redis.client.pttl(`${keys.noRetry}runs`);
  assert.ok(ttl > 0, `the mark expires (pttl ${ttl})`);
});

test("the daemon's recorder: what it hands on (alerts, metrics) says retried only when finish.lua retried", async () => {
  const handed: { fire_id: string; retry_at?: number; streak: number; retried: boolean }[] = [];
  const recorder = new RunRecorder({
    fires: fires('A'),
    clock: new ManualClock(T0 + 100),
    owner: 'A',
    keepMs: KEEP_MS,
    logs: memoryLogs(),
    onRecorded: (record, streak, retried) =>
      handed.push({ fire_id: record.fire_id, retry_at: record.retry_at, streak, retried }),
  });
  await tasks.add('kept', ticker({ time: 3600, retries: 2, retry_delay: 10 }), 100);
  await tasks.add('paused', ticker({ time: 3600, retries: 2, retry_delay: 10 }), 100);
  const got = await claimAndBegin(T0);
  assert.equal(got.length, 2);
  await tasks.pause(['paused'], T0 / 1000);
  const failed = { ...emptyResult('shell'), exitCode: 3, error: 'exit 3' };
  for (const fire of got) {
    recorder.started(fire, T0 + KEEP_MS);
    recorder.finished(fire, T0, failed);
  }
  await recorder.close();
  const byId = new Map(handed.map((h) => [h.fire_id, h]));
  assert.deepEqual(byId.get('kept:1'), {
    fire_id: 'kept:1',
    // The wait: retry_delay with the jitter of its fire id (runs/retry.ts).
    retry_at: (T0 + 100 + retryWaitMs(10, 1, jitterOf('kept:1'))) / 1000,
    streak: 0,
    retried: true,
  });
  assert.deepEqual(
    byId.get('paused:1'),
    { fire_id: 'paused:1', retry_at: undefined, streak: 1, retried: false },
    'a retry finish.lua declined: a failure that counts, and no retry_at in what alerts get',
  );
});

test('a timer (gone from the hash once fired) is still retried; a ticker at its -limit too', async () => {
  await tasks.add('t', storedTask({ run_nexttime: T0 / 1000, retries: 1, retry_delay: 1 }), 100);
  await tasks.add('l', ticker({ limit: 1, retries: 1, retry_delay: 1 }), 100);
  const got = await claimAndBegin(T0);
  assert.equal(got.length, 2);
  assert.equal(await redis.client.hlen(keys.pool), 0);
  for (const fire of got) await finish(fire, false, T0 + 100, true);
  assert.deepEqual(
    firesOf(await claim(Math.max(...got.map((f) => retryAtOf(f, T0 + 100)))))
      .map((f) => f.id)
      .sort(),
    ['l:1.2', 't:1.2'],
  );
});

test('del and pause cancel a waiting retry and a queued run; a retry already taken runs on', async () => {
  for (const how of ['pause', 'del'] as const) {
    const kid = `k-${how}`;
    await tasks.add(kid, ticker({ time: 3600, retries: 2, retry_delay: 10 }), 100);
    const [fire] = await claimAndBegin(T0);
    await finish(fire as Fire, false, T0 + 100, true);
    assert.notEqual(await storedFire(`${kid}:1.2`), null);
    if (how === 'pause') await tasks.pause([kid], T0 / 1000 + 1);
    else await tasks.del([kid]);
    assert.equal(await storedFire(`${kid}:1.2`), null, `${how}: the retry is gone`);
    assert.equal(await redis.client.zscore(keys.leases, `${kid}:1.2`), null);
    assert.equal(await redis.client.hget(keys.retrying, kid), null);
    assert.deepEqual((await claim(T0 + 20_000)).entries, [], `${how}: nothing fires`);
  }
  // A queued run (overlap=queue) is dropped too.
  for (const how of ['pause', 'del'] as const) {
    const kid = `q-${how}`;
    await tasks.add(kid, ticker({ time: 3600, overlap: 'queue' }), 100);
    const [fire] = await claimAndBegin(T0);
    assert.deepEqual(await tasks.runNow(kid, T0 + 1), { how: 'queued', fireId: `${kid}:2`, done: false });
    if (how === 'pause') await tasks.pause([kid], T0 / 1000 + 1);
    else await tasks.del([kid]);
    assert.equal(await queued(kid), null, `${how}: the queued run is gone`);
    await finish(fire as Fire, true, T0 + 200);
    assert.deepEqual((await claim(T0 + 300)).entries, [], `${how}: nothing handed out`);
  }
  // A retry a daemon has taken already is not the pause's to stop.
  await tasks.add('r', ticker({ time: 3600, retries: 2, retry_delay: 10 }), 100);
  const [fire] = await claimAndBegin(T0);
  await finish(fire as Fire, false, T0 + 100, true);
  const retryAt = retryAtOf(fire as Fire, T0 + 100);
  const [retry] = await claimAndBegin(retryAt);
  assert.equal(retry?.id, 'r:1.2');
  await tasks.pause(['r'], retryAt / 1000 + 1);
  assert.equal((await storedFire('r:1.2'))?.state, 'started');
  assert.equal((await finish(retry as Fire, true, retryAt + 100)).recorded, true);
});

test('clear cancels every waiting retry and queued run, as del does', async () => {
  await tasks.add('r', ticker({ time: 3600, retries: 2, retry_delay: 10 }), 100);
  await tasks.add('q', ticker({ time: 3600, overlap: 'queue' }), 100);
  const got = await claimAndBegin(T0);
  const byKid = (kid: string) => got.find((f) => f.kid === kid) as Fire;
  await finish(byKid('r'), false, T0 + 100, true);
  assert.deepEqual(await tasks.runNow('q', T0 + 1), { how: 'queued', fireId: 'q:2', done: false });
  assert.equal(await tasks.clear(), 2);
  assert.equal(await storedFire('r:1.2'), null, 'the retry is gone');
  assert.equal(await redis.client.zscore(keys.leases, 'r:1.2'), null);
  assert.equal(await redis.client.exists(keys.retrying), 0);
  assert.equal(await redis.client.exists(keys.queued), 0, 'the queued run is gone');
  await finish(byKid('q'), true, T0 + 200);
  assert.deepEqual((await claim(T0 + 20_000)).entries, [], 'nothing of the cleared tasks fires');
});

test("clear keeps a fired timer's run under way from being retried, as del does", async () => {
  await tasks.add('t', storedTask({ run_nexttime: T0 / 1000, retries: 3, retry_delay: 10 }), 100);
  const [fire] = await claimAndBegin(T0);
  assert.ok(fire);
  assert.equal(await tasks.clear(), 0, 'the timer left the hash when it was claimed');
  assert.deepEqual(await finish(fire, false, T0 + 100, true), {
    recorded: true,
    streak: 1,
    retried: false,
  });
  assert.equal(await redis.client.hexists(keys.fires, 't:1.2'), 0, 'no retry');
  assert.ok((await redis.client.pttl(`${keys.noRetry}t`)) > 0);
});

test('a lost attempt is retried as a failed one is, until the retries are spent: then lost for good', async () => {
  const how = { cwd: '/srv', env: { TOKEN: 'x1' }, user: 'backup', output_max: 512, notify: 'off' as const };
  await tasks.add(
    'k',
    storedTask({ run_nexttime: T0 / 1000, retries: 2, retry_delay: 1, timeout: 30, name: 'nightly', ...how }),
    100,
  );
  const [fire] = await claimAndBegin(T0);
  await finish(fire as Fire, false, T0 + 100, true);
  // Attempt 2, begun by a daemon that dies: lost once its lease ran out, and retried after the
  // task's retry delay (doubled for a second retry, with its fire id's jitter).
  const secondAt = retryAtOf(fire as Fire, T0 + 100);
  await claimAndBegin(secondAt, 'host:9:dead');
  const lostAt = secondAt + KEEP_MS;
  const reply = await claim(lostAt, 'B');
  const retryAt = lostAt + retryWaitMs(1, 2, jitterOf('k:1.2'));
  assert.deepEqual(
    reply.entries.map((e) =>
      e.kind === 'lost'
        ? [e.record.fire_id, e.record.trigger, e.record.attempt, e.streak, e.record.retry_at]
        : e.kind,
    ),
    [['k:1.2', 'retry', 2, 0, retryAt / 1000]],
    'on record lost, its retry due: not yet a failure in a row',
  );
  const next = await storedFire('k:1.3');
  assert.deepEqual(
    [next?.state, next?.attempt, next?.first, next?.trigger, next?.timeout, next?.retries],
    ['pending', 3, 'k:1', 'retry', 30, 2],
    'what to run and how, from the attempt before',
  );
  assert.deepEqual([next?.owner, next?.token, next?.started], [undefined, undefined, undefined], 'no lease');
  assert.deepEqual(
    [next?.name, next?.cwd, next?.env, next?.user, next?.output_max, next?.notify],
    ['nightly', how.cwd, how.env, how.user, how.output_max, how.notify],
    "how it runs (fire-of.lua's run fields), through finish's retry and the claim's",
  );
  assert.equal(Number(await redis.client.zscore(keys.leases, 'k:1.3')), retryAt);
  assert.equal(await redis.client.hget(keys.retrying, 'k'), 'k:1.3');
  assert.deepEqual(firesOf(await claim(retryAt - 1, 'B')), [], 'not before its time');
  // Attempt 3, the last, is lost too: on record lost for good, a failure that counts.
  const [third] = await claimAndBegin(retryAt, 'host:9:dead');
  assert.deepEqual([third?.id, third?.trigger, third?.attempt], ['k:1.3', 'retry', 3]);
  const last = await claim(retryAt + KEEP_MS, 'B');
  assert.deepEqual(
    last.entries.map((e) => (e.kind === 'lost' ? [e.record.fire_id, e.streak, e.record.retry_at] : e.kind)),
    [['k:1.3', 1, undefined]],
  );
  assert.equal(await redis.client.hlen(keys.fires), 0);
  assert.equal(await redis.client.hget(keys.retrying, 'k'), null);
  assert.deepEqual((await claim(T0 + 1_000_000, 'B')).entries, []);
  assert.deepEqual(
    (await history('k')).map((r) => [r.fire_id, r.result, r.attempt]),
    [
      ['k:1.3', 'lost', 3],
      ['k:1.2', 'lost', 2],
      ['k:1', 'failed', 1],
    ],
  );
});

test('a lost run of a task paused or deleted meanwhile, or without retries, is not retried', async () => {
  for (const how of ['pause', 'del', 'none'] as const) {
    const kid = `k-${how}`;
    await tasks.add(
      kid,
      ticker({ time: 3600, ...(how === 'none' ? {} : { retries: 2, retry_delay: 1 }) }),
      100,
    );
    const [fire] = await claimAndBegin(T0, 'host:9:dead');
    assert.equal(fire?.kid, kid);
    if (how === 'pause') await tasks.pause([kid], T0 / 1000 + 1);
    if (how === 'del') await tasks.del([kid]);
    const reply = await claim(T0 + KEEP_MS, 'B');
    assert.deepEqual(
      reply.entries.map((e) =>
        e.kind === 'lost' ? [e.record.fire_id, e.streak, e.record.retry_at] : e.kind,
      ),
      [[`${kid}:1`, 1, undefined]],
      how,
    );
    assert.equal(await redis.client.hlen(keys.fires), 0, `${how}: no retry`);
    await redis.client.del(keys.fires, keys.leases, keys.schedule);
  }
});

test('a lost run of a task that keeps one run at a time: its mark moves to the retry', async () => {
  await tasks.add('k', ticker({ time: 10, overlap: 'skip', retries: 1, retry_delay: 30 }), 100);
  await claimAndBegin(T0, 'host:9:dead');
  const lostAt = T0 + KEEP_MS;
  const reply = await claim(lostAt, 'B');
  // The ticker's runs due meanwhile (misfire once: the latest, the others missed) are skipped:
  // the retry counts as under way.
  assert.deepEqual(
    reply.entries.map(
      (e) => `${e.kind}:${e.kind === 'lost' || e.kind === 'skipped' ? e.record.fire_id : ''}`,
    ),
    ['lost:k:1', 'missed:', 'skipped:k:2'],
  );
  assert.equal(await running('k'), 'k:1.2');
  const retryAt = lostAt + retryWaitMs(30, 1, jitterOf('k:1'));
  const [retry] = await claimAndBegin(retryAt, 'B');
  assert.equal(retry?.id, 'k:1.2');
  await finish(retry as Fire, true, retryAt + 100, false, 'B');
  assert.equal(await running('k'), null, 'free once the retry is on record');
});

// --- Failures in a row -----------------------------------------------------------------------

test('failures in a row: counted after final failures and lost runs, given back (negated) by a success', async () => {
  await tasks.add('k', ticker({ time: 10, retries: 1, retry_delay: 1 }), 100);
  let lastFire: Fire | undefined;
  const run = async (at: number, ok: boolean, retryable = false) => {
    const [fire] = await claimAndBegin(at);
    assert.ok(fire, `a fire at ${at - T0}`);
    lastFire = fire;
    return (await finish(fire, ok, at + 100, retryable)).streak;
  };
  assert.equal(await run(T0, true), 0, 'a success after none: 0');
  assert.equal(await run(T0 + 10_000, false), 1);
  assert.equal(await run(T0 + 20_000, false), 2);
  assert.equal(await run(T0 + 30_000, false, true), 0, 'a failure to be retried: 0');
  assert.equal(await redis.client.get(`${keys.streak}k`), '2', 'and the count stays');
  const retryAt = retryAtOf(lastFire as Fire, T0 + 30_100);
  assert.equal(await run(retryAt, false, true), 3, 'its retry failed (its retries spent): the run failed');
  assert.equal(await run(T0 + 40_000, true), -3, 'a success: minus how many there were');
  assert.equal(await redis.client.exists(`${keys.streak}k`), 0);
  assert.equal(await run(T0 + 50_000, true), 0);
  // A lost run counts (here of a task without retries: a retried one's counts once its retries
  // are spent); a skipped one neither counts nor resets.
  await tasks.del(['k']);
  await tasks.add('n', ticker({ time: 10, run_nexttime: (T0 + 60_000) / 1000 }), 100);
  await tasks.add('s', ticker({ time: 10, overlap: 'skip' }), 100);
  // Both begun by a daemon that dies: s's run is put on record before, n's is lost.
  const dead = 'host:1:dead';
  const both = await claimAndBegin(T0 + 60_000, dead);
  assert.deepEqual(both.map((f) => f.kid).sort(), ['n', 's']);
  const s1 = both.find((f) => f.kid === 's') as Fire;
  const skipped = await claim(T0 + 70_000);
  assert.ok(skipped.entries.some((e) => e.kind === 'skipped' && e.record.kid === 's'));
  assert.equal(await redis.client.exists(`${keys.streak}s`), 0, 'skipped: not a failure');
  await finish(s1, false, T0 + 70_100, false, dead);
  assert.equal(await redis.client.get(`${keys.streak}s`), '1');
  const lost = await claim(T0 + 60_000 + KEEP_MS, 'B');
  const entry = lost.entries.find((e) => e.kind === 'lost');
  assert.ok(entry?.kind === 'lost');
  assert.deepEqual([entry.record.kid, entry.streak], ['n', 1]);
  const streakTtl = await redis.client.pttl(`${keys.streak}n`);
  assert.ok(streakTtl > 0, 'the count ages out with the history');
});
