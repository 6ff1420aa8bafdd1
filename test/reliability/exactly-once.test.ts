// Exactly once, proven under load: 3 daemons on one Redis fire 10,000 timers, 50 tickers and 50
// cron tasks (every second, 15 runs each: their carried run times are refilled as they go) over 20 s; then the same while daemons are SIGKILLed and restarted; then while Redis is shut
// down for 10 s and restarted from its AOF. Each prints its figures.
import { decodeRunRecord, decodeRunsEntry } from '../../src/store/run-record.js';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestDaemon } from '../helpers/daemon.js';
import { RedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';
import {
  checkRecords,
  fencedKids,
  type PlannedTask,
  plan,
  report,
  seed,
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
  const lastDueMs = (nowSec + 4 + SPREAD_SEC + 2 * 5) * 1000;
  return { redis, client, tasks, daemons, lastDueMs, startMs: (nowSec + 4) * 1000 };
}

/** Waits for every planned fire (less the excused), then long enough for a late duplicate to show. */
async function settle(
  tasks: PlannedTask[],
  lastDueMs: number,
  excused: () => Set<string> = () => new Set(),
  refresh: () => Promise<void> = () => Promise.resolve(),
) {
  const settled = () => tally(tasks, sink, excused()).lost === 0;
  await waitFor(async () => settled() || (await refresh(), settled()), {
    timeoutMs: 120_000,
    intervalMs: 250,
    what: 'every fire',
  });
  // A fire handed out twice would come at the latest one lease (5 s) after the first.
  await waitFor(() => Date.now() > lastDueMs + 7000, {
    timeoutMs: 60_000,
    intervalMs: 250,
    what: 'the settle time',
  });
}

test('3 daemons, one Redis, 10,000 timers + 50 tickers + 50 cron tasks over 20 s: no duplicate, no miss, none early', async () => {
  const { client, tasks, daemons, lastDueMs } = await setup('fleet');
  await settle(tasks, lastDueMs);
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

test('the same with a daemon SIGKILLed every 3 s and restarted: nothing lost, nothing doubled', async () => {
  const { client, tasks, daemons, lastDueMs, startMs } = await setup('chaos');
  let kills = 0;
  const deadOwners = new Set<string>();
  await waitFor(() => Date.now() > startMs + 1000, { what: 'the first fires', timeoutMs: 10_000 });
  while (Date.now() < startMs + SPREAD_SEC * 1000) {
    const victim = daemons[kills % daemons.length] as TestDaemon;
    deadOwners.add(String(victim.pid));
    victim.kill('SIGKILL');
    await victim.waitExit();
    kills++;
    await victim.start();
    const until = Date.now() + 3000;
    await waitFor(() => Date.now() > until, { what: 'the next kill', timeoutMs: 5000 });
  }
  // A fire that a killed daemon had begun (its command started, or about to) is never run
  // again: those are the only ones excused. Such a fire is begun in Redis until its lease runs
  // out, then on record as lost, naming the killed daemon's pid.
  const begunByDead = async () => {
    const all = await client.hgetall('chaos:tasks:lock:fires');
    const kids = new Set<string>();
    for (const raw of Object.values(all)) {
      const fire = JSON.parse(raw) as { kid: string; owner: string; state: string };
      if (fire.state === 'started' && deadOwners.has(fire.owner.split(':')[1] ?? '')) kids.add(fire.kid);
    }
    for (const [, fields] of await client.xrange('chaos:tasks:lock:runs', '-', '+')) {
      const run = decodeRunsEntry('test', fields);
      if (run.result !== 'lost') continue;
      const history = await client.lrange(`chaos:tasks:lock:history:${run.kid}`, 0, -1);
      const record = history.map((r) => decodeRunRecord('test', r)).find((r) => r.fire_id === run.fire_id);
      if (deadOwners.has(String(record?.pid))) kids.add(run.kid);
    }
    return kids;
  };
  let excused = await begunByDead();
  await settle(tasks, lastDueMs, () => excused);
  excused = await begunByDead();
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
  // A run its daemon stopped for want of a lease renewal is on record, not lost (see fencedKids):
  // those under way when Redis went, and on a starved machine some begun just after it came back
  // (their daemon could not renew within task_lost_after's fence time, 5 s here).
  let fenced = new Map<string, number>();
  await settle(
    tasks,
    lastDueMs + 10_000,
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
