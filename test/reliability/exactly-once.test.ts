// Exactly once, proven under load: 3 daemons on one Redis fire 10,000 timers, 50 tickers and 50
// cron tasks (every second, 15 runs each: their carried run times are refilled as they go) over 20 s; then the same while daemons are SIGKILLed and restarted; then while Redis is shut
// down for 10 s and restarted from its AOF; then a labelled fleet (half the tasks placed on two
// label sets among three daemons) under the same SIGKILL chaos. Each prints its figures.
// Each waits after its last fire as long as a double could still come (settle), no longer; the
// kills stop early enough that this wait ends about when it would without them.
import { decodeRunsEntry } from '../../src/store/run-record.js';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';
import {
  afterKills,
  begunByDead,
  checkRecords,
  fencedKids,
  killInTurn,
  lastDueMs,
  LOST_AFTER_MS,
  plan,
  report,
  seed,
  redisStateOf,
  settle,
  Sink,
  startFleet,
  tally,
} from './fleet.js';

const TIMERS = 10_000;
const TICKERS = 50;
const SPREAD_SEC = 20;
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

/** A Redis with the planned load seeded under `prefix`, and 3 daemons on it. */
async function setup(prefix: string, aof = false) {
  const redis = await RedisServer.start({ aof });
  cleanup.push(() => redis.destroy());
  const client = redis.client();
  cleanup.push(() => client.disconnect());
  const nowSec = Number((await client.time())[0]);
  const tasks = plan({
    tag: Buffer.from(prefix).toString('hex').slice(0, 8),
    sinkUrl: sink.url(`/${prefix}`),
    startSec: nowSec + 4,
    spreadSec: SPREAD_SEC,
    timers: TIMERS,
    tickers: TICKERS,
    tickerEverySec: 2,
    tickerLimit: 5,
    crons: 50,
    cronLimit: 15,
  });
  await seed(client, prefix, tasks);
  const daemons = await startFleet(3, { redisPort: redis.port, prefix });
  cleanup.push(() => {
    for (const d of daemons) d.kill();
  });
  return { redis, client, tasks, daemons, lastDueMs: lastDueMs(tasks), startMs: (nowSec + 4) * 1000 };
}

test('3 daemons, one Redis, 10,000 timers + 50 tickers + 50 cron tasks over 20 s: no duplicate, no miss, none early', async () => {
  const { client, tasks, daemons, lastDueMs } = await setup('fleet');
  await settle(sink, tasks, lastDueMs, undefined, undefined, redisStateOf(client, 'fleet'));
  const t = tally(tasks, sink);
  const perDaemon = daemons.map((d) => d.fires().length);
  report('three-daemons', {
    fired: t.fired,
    expected: t.expected,
    duplicates: t.duplicates,
    lost: t.lost,
    early: t.early,
    lateness_ms: t.lateness,
    perDaemon,
  });
  assert.equal(t.duplicates, 0);
  assert.equal(t.lost, 0, `lost: ${t.lostKids.slice(0, 5)}`);
  const records = await checkRecords(client, 'fleet', sink, tasks);
  report('three-daemons-records', records);
  assert.equal(records.duplicates, 0, 'a run on record twice');
  assert.equal(records.pending, 0, 'begun fires not on record');
  assert.deepEqual(records.unrecorded.slice(0, 5), [], 'fires that ran and are not on record');
  assert.equal(t.early, 0);
  assert.ok(
    perDaemon.every((n) => n > 0),
    `every daemon took a share: ${perDaemon}`,
  );
});

test('the same with a daemon SIGKILLed every 2 s and restarted: nothing lost, nothing doubled', async () => {
  const { client, tasks, daemons, lastDueMs, startMs } = await setup('chaos');
  await waitFor(() => Date.now() > startMs + 1000, { what: 'the first fires', timeoutMs: 10_000 });
  // Kills until task_lost_after before the last timers are due: the doubles of the last death's
  // runs would come by then (afterKills). Every 2 s once up again, 4 kills at least, as every 3 s
  // over the whole spread made on a quiet machine.
  const chaos = await killInTurn(daemons, startMs + SPREAD_SEC * 1000 - LOST_AFTER_MS, {
    everyMs: 2000,
    minKills: 4,
  });
  const { kills, dead: deadOwners } = chaos;
  let excused = await begunByDead(client, ['chaos:tasks:lock'], deadOwners);
  await settle(sink, tasks, Math.max(lastDueMs, afterKills(chaos.killedAt)), () => excused);
  excused = await begunByDead(client, ['chaos:tasks:lock'], deadOwners);
  const t = tally(tasks, sink, excused);
  const unsent = [...excused].filter((k) => (sink.hits.get(k) ?? []).length === 0).length;
  report('sigkill-chaos', {
    kills,
    fired: t.fired,
    expected: t.expected,
    duplicates: t.duplicates,
    lost: t.lost,
    begun_by_killed_daemon_not_delivered: unsent,
    lateness_ms: t.lateness,
  });
  assert.equal(t.duplicates, 0);
  assert.equal(t.lost, 0, `lost: ${t.lostKids.slice(0, 5)}`);
  const records = await checkRecords(client, 'chaos', sink, tasks);
  report('sigkill-chaos-records', records);
  assert.equal(records.duplicates, 0, 'a run on record twice');
  assert.equal(records.pending, 0, 'begun fires not on record');
  assert.deepEqual(records.unrecorded.slice(0, 5), [], 'fires that ran and are not on record');
});

test('Redis shut down for 10 s mid-run and restarted from its AOF: nothing lost, nothing doubled', async () => {
  const { redis, client, tasks, daemons, lastDueMs, startMs } = await setup('outage', true);
  await waitFor(() => Date.now() > startMs + 6000, { what: 'mid-run', timeoutMs: 15_000 });
  const firedBefore = tally(tasks, sink).fired;
  await redis.stop();
  const downAt = Date.now();
  await waitFor(() => Date.now() > downAt + 10_000, { what: '10 s of outage', timeoutMs: 15_000 });
  await redis.launch();
  const upAt = Date.now();
  // A run its daemon stopped for want of a lease renewal is on record, not lost (see fencedKids):
  // those under way when Redis went, and on a starved machine some begun just after it came back
  // (their daemon could not renew within task_lost_after's fence time, 5 s here).
  let fenced = new Map<string, number>();
  // Leases kept through the restart lapse task_lost_after after it: any double of theirs by then.
  await settle(
    sink,
    tasks,
    Math.max(lastDueMs, upAt + LOST_AFTER_MS),
    () => new Set(fenced.keys()),
    async () => {
      fenced = await fencedKids(client, 'outage');
    },
  );
  fenced = await fencedKids(client, 'outage');
  const t = tally(tasks, sink, new Set(fenced.keys()));
  report('redis-outage', {
    outage_ms: 10_000,
    fired_before_outage: firedBefore,
    stopped_by_fence: fenced.size,
    fired: t.fired,
    expected: t.expected,
    duplicates: t.duplicates,
    lost: t.lost,
    lateness_ms: t.lateness,
  });
  assert.equal(t.duplicates, 0);
  assert.equal(t.lost, 0, `lost: ${t.lostKids.slice(0, 5)}`);
  const records = await checkRecords(client, 'outage', sink, tasks);
  report('redis-outage-records', records);
  assert.equal(records.duplicates, 0, 'a run on record twice');
  assert.equal(records.pending, 0, 'begun fires not on record');
  assert.deepEqual(records.unrecorded.slice(0, 5), [], 'fires that ran and are not on record');
  assert.ok(daemons.every((d) => d.alive()));
});

test('a labelled fleet under SIGKILL chaos: each run exactly once, always on a daemon holding its labels', async () => {
  // Three daemons, two label sets: lf0 holds db, lf1 eu, lf2 both; half the tasks need db or eu.
  // One daemon is down at a time, so each set always has a live holder.
  const held: Record<string, string[]> = { lf0: ['db'], lf1: ['eu'], lf2: ['db', 'eu'] };
  const redis = await RedisServer.start();
  cleanup.push(() => redis.destroy());
  const client = redis.client();
  cleanup.push(() => client.disconnect());
  // The daemons first (idle), then the tasks: the chaos covers the whole spread, however long a
  // loaded machine takes to start them.
  const daemons = await startFleet(3, {
    redisPort: redis.port,
    prefix: 'labels',
    daemon: (i) => [`name = lf${i}`, `labels = ${(held[`lf${i}`] ?? []).join(',')}`],
  });
  cleanup.push(() => {
    for (const d of daemons) d.kill();
  });
  const nowSec = Number((await client.time())[0]);
  const spreadSec = 12;
  const tasks = plan({
    tag: Buffer.from('labels').toString('hex').slice(0, 8),
    sinkUrl: sink.url('/labels'),
    startSec: nowSec + 2,
    spreadSec,
    timers: 2000,
    tickers: 40,
    tickerEverySec: 2,
    tickerLimit: 5,
  }).map((t, i) => (i % 4 === 0 ? { ...t, on: ['db'] } : i % 4 === 1 ? { ...t, on: ['eu'] } : t));
  await seed(client, 'labels', tasks);
  const startMs = (nowSec + 2) * 1000;
  await waitFor(() => Date.now() > startMs + 1000, { what: 'the first fires', timeoutMs: 10_000 });
  // Every 2 s until 4 s before the last timers are due, 3 kills at least (as every 3 s over the
  // spread made on a quiet machine); the wait after the last fire covers task_lost_after after
  // the last death.
  const chaos = await killInTurn(daemons, startMs + (spreadSec - 4) * 1000, { everyMs: 2000, minKills: 3 });
  const { kills, dead } = chaos;
  let excused = await begunByDead(client, ['labels:tasks:lock'], dead);
  await settle(sink, tasks, Math.max(lastDueMs(tasks), afterKills(chaos.killedAt)), () => excused);
  excused = await begunByDead(client, ['labels:tasks:lock'], dead);
  const t = tally(tasks, sink, excused);
  const records = await checkRecords(client, 'labels', sink, tasks);
  // Every run on record (ok, failed or lost) names the daemon that had it: one holding its labels.
  const onOf = new Map(tasks.map((p) => [p.kid, p.on ?? []]));
  const misplaced: string[] = [];
  const byDaemon: Record<string, number> = {};
  for (const [, fields] of await client.xrange('labels:tasks:lock:runs', '-', '+')) {
    const run = decodeRunsEntry('test', fields);
    byDaemon[run.host] = (byDaemon[run.host] ?? 0) + 1;
    const holds = held[run.host];
    if (!holds || !(onOf.get(run.kid) ?? []).every((l) => holds.includes(l)))
      misplaced.push(`${run.fire_id} on ${run.host}`);
  }
  report('labelled-sigkill-chaos', {
    kills,
    fired: t.fired,
    expected: t.expected,
    duplicates: t.duplicates,
    lost: t.lost,
    misplaced: misplaced.length,
    by_daemon: byDaemon,
    lateness_ms: t.lateness,
  });
  assert.ok(kills >= 1, `killed ${kills} times`);
  assert.equal(t.duplicates, 0);
  assert.equal(t.lost, 0, `lost: ${t.lostKids.slice(0, 5)}`);
  assert.deepEqual(misplaced.slice(0, 5), [], 'runs on a daemon without their labels');
  assert.equal(records.duplicates, 0, 'a run on record twice');
  assert.equal(records.pending, 0, 'begun fires not on record');
  assert.deepEqual(records.unrecorded.slice(0, 5), [], 'fires that ran and are not on record');
  assert.equal(
    await client.zcard('labels:tasks:lock:on'),
    0,
    'every label set emptied, and the registry with them',
  );
});
