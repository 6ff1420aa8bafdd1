// Placement against a real Redis (docs/fleet.md): a task with labels is claimed only by a daemon
// holding them all, from its label set's own schedule, so other daemons' claims never meet it;
// runs handed out without an owner (by hand, retries, queued runs, a lapsed lease) wait in its
// set the same way; every write moves a task between sets in one script, and keeps the registry;
// apply (issue 25) places, moves and prunes as add, update and del do.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import type { StoreKeys } from '../../src/store/keys.js';
import type { ClaimRequest, Fire, FireStore, TaskStore } from '../../src/store/open-store.js';
import { FleetStore } from '../../src/store/fleet-store.js';
import { RedisAccess } from '../../src/store/redis-access.js';
import { KtimerError } from '../../src/errors.js';
import { loadConfig } from '../../src/config/load-config.js';
import { openServices } from '../../src/service/services.js';
import { openStore } from '../../src/store/open-store.js';
import { retryWaitOf } from '../../src/runs/retry.js';
import { storeKeys } from '../../src/store/keys.js';
import { writeTestConfig } from '../helpers/cli.js';
import { firstSchedule, refillCron } from '../../src/tasks/schedule.js';
import { decodeTask, type Task } from '../../src/tasks/task.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { storedTask, storeTasks } from '../helpers/stored-tasks.js';
import { endedRun, endingOf, fireStoresByOwner, storesOn, testKeys } from '../helpers/stores.js';

const redis = usePrivateRedis();
let keys: StoreKeys;
let tasks: TaskStore;
let n = 0;
const T0 = 1_800_000_000_000;

const stores = fireStoresByOwner(
  () => redis.client,
  () => keys,
);
const fires = (owner: string): FireStore => stores.of(owner);

beforeEach(() => {
  n++;
  keys = testKeys(`pl${n}`);
  tasks = storesOn(redis.client, keys).tasks;
  stores.reset();
});

const task = (over: Partial<Task> = {}): Task =>
  storedTask({ command: 'echo hi', run_nexttime: T0 / 1000, ...over });

/** A claim by daemon `owner` holding `labels`, room for 100 of a kind. */
const claim = (owner: string, labels: string[], over: Partial<Omit<ClaimRequest, 'history'>> = {}) =>
  fires(owner).claim({
    nowMs: T0,
    owner,
    labels,
    leaseMs: 5000,
    maxShell: 100,
    maxUrl: 100,
    expireLimitSec: 0,
    ...over,
  });

const firesOf = (reply: Awaited<ReturnType<FireStore['claim']>>): Fire[] =>
  reply.entries.flatMap((e) => (e.kind === 'fire' ? [e.fire] : []));
const ids = (reply: Awaited<ReturnType<FireStore['claim']>>): string[] => firesOf(reply).map((f) => f.id);

const registry = async (): Promise<Record<string, number>> => {
  const flat = await redis.client.zrange(keys.placement, 0, -1, 'WITHSCORES');
  const out: Record<string, number> = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i] as string] = Number(flat[i + 1]);
  return out;
};

test('a task with labels is claimed only by a daemon holding them all; the others never meet it', async () => {
  await tasks.add('db', task({ on: ['db'] }), 100);
  await tasks.add('dbeu', task({ on: ['db', 'eu'] }), 100);
  await tasks.add('any', task(), 100);
  assert.equal(await redis.client.zscore(keys.schedule, 'db'), null, 'not in the schedule');
  assert.equal(Number(await redis.client.zscore(`${keys.placedSchedule}db`, 'db')), T0 / 1000);
  assert.equal(Number(await redis.client.zscore(`${keys.placedSchedule}db,eu`, 'dbeu')), T0 / 1000);
  assert.deepEqual(await registry(), { db: T0, 'db,eu': T0 });

  const plain = await claim('A', ['host:a']);
  assert.deepEqual(ids(plain), ['any:1']);
  assert.equal(plain.nextDueMs, T0 + 5000, "told of its fire's lease, not of the others' due times");
  assert.equal(plain.dueLeft, null, 'nothing due that it may run');
  assert.deepEqual(ids(await claim('B', ['db', 'host:b'])), ['db:1']);
  assert.deepEqual(ids(await claim('C', ['db', 'eu', 'host:c'])), ['dbeu:1']);
  assert.deepEqual(await registry(), {}, 'sets left empty leave the registry');
});

test('the claim merges the schedule and the label sets it holds by due time, within its room', async () => {
  await tasks.add('m1', task({ run_nexttime: (T0 - 3000) / 1000 }), 100);
  await tasks.add('d1', task({ on: ['db'], run_nexttime: (T0 - 4000) / 1000 }), 100);
  await tasks.add('e1', task({ on: ['eu'], run_nexttime: (T0 - 2000) / 1000 }), 100);
  await tasks.add('d2', task({ on: ['db'], run_nexttime: (T0 - 1000) / 1000 }), 100);
  await tasks.add('later', task({ on: ['eu'], run_nexttime: (T0 + 700) / 1000 }), 100);
  const first = await claim('A', ['db', 'eu'], { maxShell: 3, maxUrl: 0 });
  assert.deepEqual(ids(first), ['d1:1', 'm1:1', 'e1:1'], 'earliest first across the sets');
  assert.equal(first.dueLeft, 'room', 'd2 waits for room');
  const second = await claim('A', ['db', 'eu']);
  assert.deepEqual(ids(second), ['d2:1']);
  assert.equal(second.nextDueMs, T0 + 700, "the next time, from a set's schedule");
  assert.equal((await claim('B', [])).nextDueMs, T0 + 5000, "the leases' deadline only");
});

test('over 16 label sets, claims in small batches take every due task once, earliest first', async () => {
  // 10 tasks in each of 16 sets and 10 without labels, their due times interleaved across the sets
  // (a step of 7 ms modulo 170 scatters them): each claim's heap of sources must hand out the
  // earliest left, pages of each set's share included; a tie goes to the schedule first.
  const due = (i: number) => T0 - 10_000 + ((i * 7) % 170) * 10;
  const all = Array.from({ length: 170 }, (_, i) => {
    const on = i < 10 ? undefined : [`g${i % 16}`];
    return { kid: `k${String(i).padStart(3, '0')}`, at: due(i), on };
  });
  all.push({ kid: 'tie-labelled', at: due(0), on: ['g3'] });
  for (const t of all)
    assert.equal(
      await tasks.add(t.kid, task({ run_nexttime: t.at / 1000, ...(t.on ? { on: t.on } : {}) }), 1000),
      'added',
    );
  const labels = Array.from({ length: 16 }, (_, i) => `g${i}`);
  const claimed: string[] = [];
  for (let i = 0; i < 40 && claimed.length < all.length; i++)
    claimed.push(...firesOf(await claim('A', labels, { maxShell: 7, maxUrl: 0 })).map((f) => f.kid));
  const inOrder = [...all].sort((a, b) => a.at - b.at || (a.on ? 1 : 0) - (b.on ? 1 : 0)).map((t) => t.kid);
  assert.deepEqual(claimed, inOrder);
  assert.deepEqual(await registry(), {}, 'every set emptied leaves the registry');
});

test("a daemon passes over a set's due tasks without room, and claims again at once when its budget ran out", async () => {
  const many = Array.from({ length: 40 }, (_, i) => [`d${i}`, task({ on: ['db'] })] as const);
  for (const [kid, t] of many) await tasks.add(kid, t, 100);
  const first = await claim('A', ['db'], { maxShell: 10, maxUrl: 0, maxSkip: 0 });
  assert.equal(firesOf(first).length, 10);
  assert.equal(first.dueLeft, 'room');
  let total = 10;
  for (let i = 0; i < 3; i++) total += firesOf(await claim('A', ['db'], { maxShell: 10, maxUrl: 0 })).length;
  assert.equal(total, 40);
});

test('a task that waited for a daemon with its labels follows its misfire policy when one comes', async () => {
  const overdue = { type: 'ticker' as const, time: 1, limit: 0, run_nexttime: (T0 - 10_000) / 1000 };
  await tasks.add('once', task({ ...overdue, on: ['gpu'], misfire: 'once' }), 100);
  await tasks.add('skip', task({ ...overdue, on: ['gpu'], misfire: 'skip' }), 100);
  assert.deepEqual(ids(await claim('A', ['db'])), [], 'no daemon with the label: they wait');
  const came = await claim('B', ['gpu']);
  assert.deepEqual(ids(came), ['once:1']);
  assert.deepEqual(
    came.entries
      .flatMap((e) => (e.kind === 'missed' ? [[e.kid, e.policy, e.count]] : []))
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    [
      ['once', 'once', 10],
      ['skip', 'skip', 11],
    ],
  );
  assert.deepEqual(await registry(), { gpu: T0 + 1000 }, 'both moved on to their next slot');
});

test('a run by hand of a task with labels waits in its set for a daemon holding them', async () => {
  await tasks.add(
    't',
    task({ type: 'ticker', time: 60, limit: 0, on: ['gpu'], run_nexttime: (T0 + 60_000) / 1000 }),
    100,
  );
  assert.deepEqual(await tasks.runNow('t', T0), { how: 'fire', fireId: 't:1', done: false });
  assert.equal(await redis.client.zscore(keys.leases, 't:1'), null, 'not in the leases');
  assert.equal(Number(await redis.client.zscore(`${keys.placedPending}gpu`, 't:1')), T0);
  assert.deepEqual(ids(await claim('A', ['db'])), []);
  const taken = await claim('B', ['gpu']);
  assert.deepEqual(
    firesOf(taken).map((f) => [f.id, f.owner, f.trigger]),
    [['t:1', 'B', 'manual']],
  );
  assert.equal(await redis.client.zcard(`${keys.placedPending}gpu`), 0);
  assert.ok((await redis.client.zscore(keys.leases, 't:1')) !== null, 'leased as any claimed fire');
  assert.deepEqual(await registry(), { gpu: T0 + 60_000 }, 'its schedule is left');
});

test('run refuses a task no live daemon may run, storing nothing; a heartbeat with the labels lets it', async () => {
  const fleet = new FleetStore(
    new RedisAccess(redis.client, keys, (e) => new KtimerError('redis', String(e))),
  );
  await tasks.add('t', task({ type: 'ticker', time: 60, limit: 0, on: ['gpu'] }), 100);
  await tasks.add('p', task({ type: 'ticker', time: 60, limit: 0 }), 100);
  const liveAfter = T0 - 5000;
  assert.deepEqual(await tasks.runNow('t', T0, liveAfter), { how: 'no_daemon', labels: ['gpu'] });
  assert.deepEqual(await tasks.runNow('p', T0, liveAfter), { how: 'no_daemon', labels: [] });
  assert.equal(await redis.client.hlen(keys.fires), 0, 'nothing handed out');
  assert.equal((await tasks.get('t'))?.task.run_num, 0, 'no run number taken');
  const daemon = {
    name: 'a',
    host: 'a',
    pid: 1,
    labels: ['db', 'host:a'],
    version: 'x',
    started_ms: T0,
    last_claim_ms: null,
    running: 0,
    settings: { task: 't', notify: 'n' },
  };
  await fleet.beat('a:1:x', daemon, T0 - 1000);
  assert.deepEqual(await tasks.runNow('p', T0, liveAfter), { how: 'fire', fireId: 'p:1', done: false });
  assert.deepEqual(await tasks.runNow('t', T0, liveAfter), { how: 'no_daemon', labels: ['gpu'] });
  await fleet.beat('b:1:x', { ...daemon, name: 'b', labels: ['gpu', 'host:b'] }, T0 - 6000);
  assert.deepEqual(
    await tasks.runNow('t', T0, liveAfter),
    { how: 'no_daemon', labels: ['gpu'] },
    'b is gone',
  );
  await fleet.beat('b:1:x', { ...daemon, name: 'b', labels: ['gpu', 'host:b'] }, T0);
  assert.deepEqual(await tasks.runNow('t', T0, liveAfter), { how: 'fire', fireId: 't:1', done: false });
  assert.deepEqual(
    await tasks.runNow('t', T0 + 1, null),
    { how: 'fire', fireId: 't:2', done: false },
    'queued anyway',
  );
  const { daemons } = await fleet.daemons();
  assert.deepEqual(daemons.map((d) => [d.owner, d.name, d.seen_ms]).sort(), [
    ['a:1:x', 'a', T0 - 1000],
    ['b:1:x', 'b', T0],
  ]);
  await fleet.leave('a:1:x');
  assert.deepEqual(
    (await fleet.daemons()).daemons.map((d) => d.owner),
    ['b:1:x'],
  );
  await fleet.beat('b:1:x', { ...daemon, name: 'b' }, T0 + 61_000);
  assert.deepEqual(
    (await fleet.daemons()).daemons.map((d) => d.owner),
    ['b:1:x'],
  );
});

test('a lapsed lease of a fire with labels is handed back by a daemon without them, and taken by one with them', async () => {
  await tasks.add('t', task({ on: ['db'] }), 100);
  const [fire] = firesOf(await claim('A', ['db']));
  assert.ok(fire);
  const later = T0 + 6000;
  assert.deepEqual(ids(await claim('B', ['eu'], { nowMs: later })), [], 'B may not run it');
  assert.equal(await redis.client.zscore(keys.leases, 't:1'), null);
  assert.equal(Number(await redis.client.zscore(`${keys.placedPending}db`, 't:1')), later);
  assert.deepEqual(
    await fires('A').begin({ nowMs: later, owner: 'A', keepMs: 60_000, fires: [fire] }),
    [false],
    'its old lease begins it no more',
  );
  const taken = firesOf(await claim('C', ['db'], { nowMs: later + 1 }));
  assert.deepEqual(
    taken.map((f) => [f.id, f.owner, f.retaken_from]),
    [['t:1', 'C', 'A']],
  );
  assert.deepEqual(await fires('C').begin({ nowMs: later + 1, owner: 'C', keepMs: 60_000, fires: taken }), [
    true,
  ]);
});

test("a failed run's retry, and a queued run, wait in the task's set", async () => {
  await tasks.add('r', task({ on: ['db'], retries: 2, retry_delay: 1 }), 100);
  const [fire] = firesOf(await claim('A', ['db']));
  assert.ok(fire);
  await fires('A').begin({ nowMs: T0, owner: 'A', keepMs: 60_000, fires: [fire] });
  const ending = endingOf(fire, { startedMs: T0, ok: false });
  await fires('A').finish({ owner: 'A', nowMs: T0 + 10, runs: [endedRun(fire, ending, true)] });
  const retryAt = T0 + 5 + retryWaitOf({ id: fire.id, attempt: 1, retry_delay: 1 });
  assert.equal(Number(await redis.client.zscore(`${keys.placedPending}db`, 'r:1.2')), retryAt);
  assert.deepEqual(ids(await claim('B', [], { nowMs: T0 + 2000 })), []);
  const [retry] = firesOf(await claim('C', ['db'], { nowMs: T0 + 2000 }));
  assert.equal(retry?.id, 'r:1.2');
  assert.ok(retry);
  await fires('C').begin({ nowMs: T0 + 2000, owner: 'C', keepMs: 60_000, fires: [retry] });
  await fires('C').finish({
    owner: 'C',
    nowMs: T0 + 2100,
    runs: [endedRun(retry, endingOf(retry, { startedMs: T0 + 2000 }))],
  });

  await tasks.add('q', task({ type: 'ticker', time: 10, limit: 0, on: ['db'], overlap: 'queue' }), 100);
  const [running] = firesOf(await claim('A', ['db']));
  assert.equal(running?.id, 'q:1');
  assert.ok(running);
  await fires('A').begin({ nowMs: T0, owner: 'A', keepMs: 60_000, fires: [running] });
  assert.deepEqual(ids(await claim('A', ['db'], { nowMs: T0 + 10_000 })), [], 'q:2 queued');
  await fires('A').finish({
    owner: 'A',
    nowMs: T0 + 10_500,
    runs: [endedRun(running, endingOf(running, { startedMs: T0 }))],
  });
  assert.equal(Number(await redis.client.zscore(`${keys.placedPending}db`, 'q:2')), T0 + 10_500);
  assert.deepEqual(ids(await claim('B', ['eu'], { nowMs: T0 + 10_600 })), []);
  assert.deepEqual(ids(await claim('C', ['db'], { nowMs: T0 + 10_600 })), ['q:2']);
});

test("a run lost with its daemon is retried in its task's set, whoever's claim found it lost", async () => {
  await tasks.add('l', task({ on: ['db'], retries: 1, retry_delay: 1 }), 100);
  const [fire] = firesOf(await claim('A', ['db']));
  assert.ok(fire);
  await fires('A').begin({ nowMs: T0, owner: 'A', keepMs: 60_000, fires: [fire] });
  // A "dies"; B, without the label, finds its lease run out.
  const found = await claim('B', [], { nowMs: T0 + 60_000 });
  const lost = found.entries.flatMap((e) => (e.kind === 'lost' ? [e.record] : []));
  assert.deepEqual(
    lost.map((r) => [r.fire_id, r.result]),
    [['l:1', 'lost']],
  );
  const retrySec = lost[0]?.retry_at;
  assert.ok(retrySec !== undefined, 'retried: it has attempts left');
  const retryAt = Math.round(retrySec * 1000);
  assert.equal(await redis.client.zscore(keys.leases, 'l:1.2'), null, 'not in the leases');
  assert.equal(Number(await redis.client.zscore(`${keys.placedPending}db`, 'l:1.2')), retryAt);
  assert.deepEqual(await registry(), { db: retryAt });
  assert.deepEqual(ids(await claim('B', [], { nowMs: retryAt })), [], 'B may not run it');
  const [retry] = firesOf(await claim('C', ['db'], { nowMs: retryAt }));
  assert.deepEqual([retry?.id, retry?.owner, retry?.trigger], ['l:1.2', 'C', 'retry']);
  assert.deepEqual(await registry(), {});
});

test('update, pause, resume, del and clear move a task between sets in one step and keep the registry', async () => {
  await tasks.add(
    't',
    task({ type: 'ticker', time: 60, limit: 0, on: ['db'], run_nexttime: (T0 + 1000) / 1000 }),
    100,
  );
  const stored = await tasks.get('t');
  assert.ok(stored);
  assert.equal(await tasks.update('t', stored, { ...stored.task, on: ['eu'] }), 'updated');
  assert.equal(await redis.client.zscore(`${keys.placedSchedule}db`, 't'), null);
  assert.equal(Number(await redis.client.zscore(`${keys.placedSchedule}eu`, 't')), (T0 + 1000) / 1000);
  assert.deepEqual(await registry(), { eu: T0 + 1000 });
  assert.deepEqual(ids(await claim('A', ['db'], { nowMs: T0 + 1000 })), []);

  assert.deepEqual(await tasks.pause(['t'], T0 / 1000), ['done']);
  assert.deepEqual(await registry(), {}, 'paused: in no schedule');
  const paused = await tasks.get('t');
  assert.ok(paused);
  const { paused: _, ...resumed } = paused.task;
  assert.deepEqual(await tasks.resume([{ kid: 't', expectedRaw: paused.raw, task: resumed }]), ['done']);
  assert.deepEqual(await registry(), { eu: T0 + 1000 });

  const now = await tasks.get('t');
  assert.ok(now);
  const { on: __, ...plain } = now.task;
  assert.equal(await tasks.update('t', now, plain), 'updated');
  assert.deepEqual(await registry(), {});
  assert.equal(Number(await redis.client.zscore(keys.schedule, 't')), (T0 + 1000) / 1000);

  await tasks.add('u', task({ on: ['eu'] }), 100);
  await tasks.add('v', task({ type: 'ticker', time: 60, limit: 0, on: ['gpu'] }), 100);
  assert.deepEqual((await tasks.del(['u'])).removed, 1);
  assert.deepEqual(Object.keys(await registry()), ['gpu']);
  assert.deepEqual(await tasks.runNow('v', T0 + 5), { how: 'fire', fireId: 'v:1', done: false });
  // A timer's run by hand is its last: it leaves its set's schedule (the set keeps the run).
  await tasks.add('w', task({ on: ['eu'] }), 100);
  assert.deepEqual(await tasks.runNow('w', T0 + 7), { how: 'fire', fireId: 'w:1', done: true });
  assert.equal(await redis.client.zscore(`${keys.placedSchedule}eu`, 'w'), null, 'done: out of its schedule');
  assert.equal(Number(await redis.client.zscore(`${keys.placedPending}eu`, 'w:1')), T0 + 7);
  assert.deepEqual(await registry(), { gpu: T0, eu: T0 + 7 }, "v's schedule, w's run");
  assert.equal(await tasks.clear(), 2);
  assert.equal(await redis.client.exists(`${keys.placedSchedule}gpu`), 0, "the sets' schedules go");
  assert.deepEqual(
    await registry(),
    { gpu: T0 + 5, eu: T0 + 7 },
    'the runs by hand not yet taken stay, as in the leases',
  );
});

test('list spans the schedule and the label sets, merged by next run then kid, by offset and by cursor', async () => {
  const at = (s: number) => (T0 + s * 1000) / 1000;
  await tasks.add('a', task({ run_nexttime: at(1) }), 100);
  await tasks.add('b', task({ on: ['db'], run_nexttime: at(2) }), 100);
  await tasks.add('c', task({ on: ['eu'], run_nexttime: at(2) }), 100);
  await tasks.add('d', task({ run_nexttime: at(3) }), 100);
  await tasks.add('e', task({ on: ['db'], run_nexttime: at(4) }), 100);
  await tasks.add('f', task({ on: ['db'], run_nexttime: at(9) }), 100);
  await tasks.pause(['f'], T0 / 1000);
  const all = await tasks.list({ fromSec: null, toSec: null, count: 100, offset: 0, after: null });
  assert.equal(all.total, 6);
  assert.deepEqual(
    all.rows.map((r) => r.kid),
    ['a', 'b', 'c', 'd', 'e', 'f'],
  );
  const two = await tasks.list({ fromSec: null, toSec: null, count: 2, offset: 2, after: null });
  assert.deepEqual([two.position, two.rows.map((r) => r.kid)], [2, ['c', 'd']]);
  const last = two.rows[1];
  assert.ok(last);
  const next = await tasks.list({ fromSec: null, toSec: null, count: 2, offset: 0, after: last });
  assert.deepEqual([next.position, next.rows.map((r) => r.kid)], [4, ['e', 'f']]);
  const window = await tasks.list({ fromSec: at(2), toSec: at(3), count: 10, offset: 1, after: null });
  assert.deepEqual([window.total, window.position, window.rows.map((r) => r.kid)], [3, 1, ['c', 'd']]);
});

test('a task with labels found in the schedule (stored before placement) is moved to its set, not claimed', async () => {
  await storeTasks(redis.client, keys, [['old', task({ on: ['db'] })]]);
  assert.deepEqual(ids(await claim('A', [])), []);
  assert.equal(await redis.client.zscore(keys.schedule, 'old'), null);
  assert.equal(Number(await redis.client.zscore(`${keys.placedSchedule}db`, 'old')), T0 / 1000);
  assert.deepEqual(ids(await claim('B', ['db'])), ['old:1']);
});

test('apply places a task with labels in its set, moves it when they change; del and apply --prune remove it', async () => {
  const config = loadConfig(writeTestConfig({ redisPort: redis.server.port, prefix: `plap${n}` }));
  keys = storeKeys(config.keys);
  stores.reset();
  const store = openStore(config, 'oneshot');
  await store.connect();
  try {
    const service = openServices({
      config,
      store: () => Promise.resolve(store),
      onChange: () => undefined,
      actor: () => ({ via: 'cli', user: 'test', host: 'test', reason: '' }),
      warn: () => undefined,
    }).tasks;
    const job = (on: string) =>
      `group: g\ntasks:\n  fetch: {type: ticker, time: 600, command: "echo fetch", on: [${on}]}\n`;
    const inSet = async (set: string, kid: string) =>
      redis.client.zscore(`${keys.placedSchedule}${set}`, kid);
    const kidOf = async () => (await store.tasks.kidsOfNames(['fetch']))[0] ?? null;

    await service.jobs.apply(job('db'), 'f.yaml', {});
    const kid = await kidOf();
    assert.ok(kid);
    const dueMs = Number(await inSet('db', kid)) * 1000;
    assert.ok(dueMs > 0, "in the db set's schedule");
    assert.equal(await redis.client.zscore(keys.schedule, kid), null, 'not in the schedule');
    assert.deepEqual(Object.keys(await registry()), ['db']);
    assert.deepEqual(
      ids(await claim('A', ['host:a'], { nowMs: dueMs })),
      [],
      'a daemon without db never meets it',
    );
    assert.deepEqual(ids(await claim('B', ['db', 'host:b'], { nowMs: dueMs })), [`${kid}:1`]);
    assert.ok(Number(await inSet('db', kid)) * 1000 > dueMs, 'its next run back in its set');

    const [deleted] = await service.each.del({ refs: ['fetch'] });
    assert.equal(deleted?.ok, true);
    assert.equal(await inSet('db', kid), null, 'del takes it out of its set');
    assert.deepEqual(await registry(), {}, 'and the set, empty, out of the registry');

    await service.jobs.apply(job('db'), 'f.yaml', {});
    const again = await kidOf();
    assert.ok(again);
    await service.jobs.apply(job('eu'), 'f.yaml', {});
    assert.equal(await inSet('db', again), null, 'a change of labels moves it');
    assert.ok(await inSet('eu', again));
    assert.deepEqual(Object.keys(await registry()), ['eu']);

    const { plan } = await service.jobs.apply('group: g\ntasks: {}\n', 'f.yaml', { prune: true });
    assert.equal(plan.remove.length, 1);
    assert.equal(await kidOf(), null);
    assert.equal(await inSet('eu', again), null, 'apply --prune takes it out of its set');
    assert.deepEqual(await registry(), {});
  } finally {
    await store.close();
  }
});

test("a parked cron task's refill writes its runs into its set, with its missed runs on record", async () => {
  const spec = {
    type: 'cron' as const,
    time: 0,
    limit: 0,
    command: 'echo hi',
    cron: '0 * * * * *',
    tz: 'UTC',
  };
  const cron: Task = {
    ...spec,
    on: ['db'],
    run_num: 0,
    run_lasttime: 0,
    ...firstSchedule(spec, 100, T0 - 1),
  };
  await tasks.add('c', cron, 100);
  const downUntil = T0 + 3_600_000 + 30_000; // an hour without a daemon holding db
  const parked = await claim('B', ['db'], { nowMs: downUntil });
  const ask = parked.entries.find((e) => e.kind === 'refill');
  assert.ok(ask?.kind === 'refill', 'parked: the claim asks for its runs');
  const planned = refillCron(decodeTask('c', ask.raw), downUntil);
  assert.ok(planned?.missed);
  const { policy, firstDueMs, count, lastDueMs } = planned.missed;
  const missed = { policy, firstDueMs, count: count ?? 1, lastDueMs: lastDueMs ?? firstDueMs };
  const refill = { kid: 'c', expectedRaw: ask.raw, task: planned.task, missed };
  assert.equal(await tasks.refill([refill], { owner: 'B', nowMs: downUntil }), 1);
  assert.equal(await redis.client.zscore(keys.schedule, 'c'), null, 'not in the schedule');
  assert.equal(Number(await redis.client.zscore(`${keys.placedSchedule}db`, 'c')), planned.task.run_nexttime);
  assert.deepEqual(await registry(), { db: planned.task.run_nexttime * 1000 });
  const history = await redis.client.lrange(`${keys.history}c`, 0, -1);
  assert.ok(
    history.some((r) => r.includes('"missed"')),
    'the gap on record',
  );
  assert.deepEqual(ids(await claim('A', ['host:a'], { nowMs: downUntil + 1 })), [], 'no db: never met');
});

test('scheduledHead (pause --all) reads the schedule, then every label set, up to its count', async () => {
  await tasks.add('a', task(), 100);
  for (const [kid, on] of [
    ['d1', ['db']],
    ['d2', ['db']],
    ['e1', ['eu']],
    ['e2', ['db', 'eu']],
  ] as const)
    await tasks.add(kid, task({ on: [...on] }), 100);
  assert.deepEqual((await tasks.scheduledHead(10)).sort(), ['a', 'd1', 'd2', 'e1', 'e2']);
  const three = await tasks.scheduledHead(3);
  assert.equal(three.length, 3);
  assert.equal(three[0], 'a', 'the schedule first');
  assert.deepEqual(await tasks.scheduledHead(1), ['a']);
  assert.deepEqual(await tasks.pause(await tasks.scheduledHead(10), T0 / 1000), Array(5).fill('done'));
  assert.deepEqual(await tasks.scheduledHead(10), []);
  assert.deepEqual(await registry(), {});
});
