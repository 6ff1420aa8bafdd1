// The claim/begin/finish scripts against a real Redis: each fire goes to one daemon, leases
// are taken over when they run out, timers expire, corrupt data is removed.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import type { StoreKeys } from '../../src/store/keys.js';
import type { ClaimRequest, FireStore, TaskStore } from '../../src/store/open-store.js';
import type { Task } from '../../src/tasks/task.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { storedTask, storeTasks } from '../helpers/stored-tasks.js';
import { storesOn, testKeys } from '../helpers/stores.js';

const redis = usePrivateRedis();
let keys: StoreKeys;
let tasks: TaskStore;
/** One fire store per daemon (owner): each keeps its own started fires. */
let firesOf_: Map<string, FireStore>;
let n = 0;

const T0 = 1_800_000_000_000; // a fixed "now" in unix ms: the scripts take time as an argument

beforeEach(() => {
  n++;
  keys = testKeys(`c${n}`);
  tasks = storesOn(redis.client, keys).tasks;
  firesOf_ = new Map();
});

const fires = (owner: string): FireStore => {
  let store = firesOf_.get(owner);
  if (!store) {
    store = storesOn(redis.client, keys).fires;
    firesOf_.set(owner, store);
  }
  return store;
};

const begin = (nowMs: number, owner: string, keepMs: number, batch: { id: string; token: string }[]) =>
  fires(owner).begin({ nowMs, owner, keepMs, fires: batch });

const task = (over: Partial<Task> = {}): Task =>
  storedTask({ command: 'echo hi', run_nexttime: T0 / 1000, ...over });

/** The claimed fires of a reply, for begin(). */
const firesOf = (reply: Awaited<ReturnType<FireStore['claim']>>) =>
  reply.entries.flatMap((e) => (e.kind === 'fire' ? [e.fire] : []));

const claim = ({ started = [], ...over }: Partial<ClaimRequest> = {}) => {
  const req = {
    nowMs: T0,
    owner: 'A',
    leaseMs: 5000,
    maxShell: 100,
    maxUrl: 100,
    expireLimitSec: 60,
    ...over,
  };
  const store = fires(req.owner);
  for (const id of started) store.started(id);
  return store.claim(req);
};

test('a due timer is claimed once and removed from hash and schedule', async () => {
  await tasks.add('k1', task(), 100);
  const first = await claim();
  assert.equal(first.entries.length, 1);
  const entry = first.entries[0];
  assert.equal(entry?.kind, 'fire');
  if (entry?.kind !== 'fire') return;
  assert.equal(entry.fire.kid, 'k1');
  assert.equal(entry.fire.id, 'k1:1');
  assert.equal(entry.fire.due, T0 / 1000);
  assert.equal(await redis.client.hlen(keys.pool), 0);
  assert.equal(await redis.client.zcard(keys.schedule), 0);
  const second = await claim({ owner: 'B' });
  assert.equal(second.entries.length, 0);
});

test('a task not yet due is not claimed, and its due time is reported', async () => {
  await tasks.add('k1', task({ run_nexttime: (T0 + 1500) / 1000 }), 100);
  const res = await claim();
  assert.equal(res.entries.length, 0);
  assert.equal(res.nextDueMs, T0 + 1500);
  const later = await claim({ nowMs: T0 + 1499 });
  assert.equal(later.entries.length, 0, 'never early, not even by a millisecond');
  const due = await claim({ nowMs: T0 + 1500 });
  assert.equal(due.entries.length, 1);
});

test('a ticker is rescheduled at now + time and removed at its limit', async () => {
  await tasks.add('t', task({ type: 'ticker', time: 10, limit: 2 }), 100);
  const one = await claim({ nowMs: T0 + 300 });
  assert.equal(one.entries.length, 1);
  assert.deepEqual(await begin(T0 + 300, 'A', 60_000, firesOf(one)), [true]);
  const stored = await tasks.get('t');
  assert.equal(stored?.task.run_num, 1);
  assert.equal(stored?.task.run_lasttime, (T0 + 300) / 1000);
  assert.equal(stored?.task.run_nexttime, (T0 + 10_300) / 1000);
  assert.equal(Number(await redis.client.zscore(keys.schedule, 't')), (T0 + 10_300) / 1000);
  const two = await claim({ nowMs: T0 + 10_300 });
  assert.equal(two.entries.length, 1);
  assert.equal(await tasks.get('t'), null, 'removed after its 2nd fire');
  assert.equal(await redis.client.zcard(keys.schedule), 0);
});

test('an overdue ticker fires once and continues from now', async () => {
  await tasks.add('t', task({ type: 'ticker', time: 1, limit: 0 }), 100);
  const res = await claim({ nowMs: T0 + 3_600_000 });
  assert.equal(res.entries.length, 1);
  assert.equal((await tasks.get('t'))?.task.run_nexttime, (T0 + 3_601_000) / 1000);
});

test('a timer overdue beyond task_expire_limit is dropped; 0 never drops', async () => {
  await tasks.add('old', task(), 100);
  await tasks.add('fresh', task({ run_nexttime: (T0 + 30_000) / 1000 }), 100);
  const res = await claim({ nowMs: T0 + 61_000 });
  const kinds = res.entries.map((e) => `${e.kind}:${'kid' in e ? e.kid : e.fire.kid}`).sort();
  assert.deepEqual(kinds, ['expired:old', 'fire:fresh']);
  assert.equal(await redis.client.hlen(keys.pool), 0);
  await tasks.add('older', task(), 100);
  const keep = await claim({ nowMs: T0 + 86_400_000, expireLimitSec: 0 });
  assert.equal(keep.entries[0]?.kind, 'fire');
});

test('corrupt task JSON is removed and reported, and does not block the others', async () => {
  await redis.client.hset(keys.pool, 'bad', '{not json');
  await redis.client.zadd(keys.schedule, T0 / 1000, 'bad');
  await redis.client.hset(keys.pool, 'worse', JSON.stringify({ type: 'weird', time: 1, command: 'x' }));
  await redis.client.zadd(keys.schedule, T0 / 1000, 'worse');
  await tasks.add('good', task(), 100);
  const res = await claim();
  const kinds = res.entries.map((e) => e.kind).sort();
  assert.deepEqual(kinds, ['corrupt', 'corrupt', 'fire']);
  assert.equal(await redis.client.hlen(keys.pool), 0);
  assert.equal(await redis.client.zcard(keys.schedule), 0);
});

test('a schedule entry without its task is dropped silently', async () => {
  await redis.client.zadd(keys.schedule, T0 / 1000, 'ghost');
  const res = await claim();
  assert.equal(res.entries.length, 0);
  assert.equal(await redis.client.zcard(keys.schedule), 0);
});

test('room per kind: URL and shell fires are counted apart; the rest stays scheduled', async () => {
  for (let i = 0; i < 3; i++) await tasks.add(`s${i}`, task(), 100);
  for (let i = 0; i < 3; i++) await tasks.add(`u${i}`, task({ command: 'http://127.0.0.1:1/x' }), 100);
  const res = await claim({ maxShell: 1, maxUrl: 2 });
  const fired = res.entries.flatMap((e) => (e.kind === 'fire' ? [e.fire.kid[0]] : []));
  assert.equal(fired.filter((k) => k === 's').length, 1);
  assert.equal(fired.filter((k) => k === 'u').length, 2);
  assert.equal(await redis.client.zcard(keys.schedule), 3);
  assert.equal(res.nextDueMs, T0, 'what is left is due now');
});

test('a claim passes over at most maxSkip due tasks of a full kind to reach the other kind', async () => {
  // 300 shell tasks due first, one URL task due behind them; room for shell runs out at once.
  await storeTasks(redis.client, keys, [
    ...Array.from({ length: 300 }, (_, i) => [`s${i}`, task({ run_nexttime: T0 / 1000 - 10 })] as const),
    ['u', task({ command: 'https://127.0.0.1:1/x', run_nexttime: T0 / 1000 - 1 })] as const,
  ]);
  const kinds = (res: Awaited<ReturnType<typeof claim>>) => firesOf(res).map((f) => f.kid[0]);
  // Two shell tasks claimed, 298 left in front of the URL task: passing over 297 is not enough.
  assert.deepEqual(kinds(await claim({ maxShell: 2, maxUrl: 10, maxSkip: 297 })), ['s', 's']);
  assert.equal(await redis.client.zscore(keys.schedule, 'u'), String(T0 / 1000 - 1), 'not reached');
  assert.deepEqual(kinds(await claim({ maxShell: 0, maxUrl: 10, maxSkip: 298 })), ['u']);
  assert.equal(await redis.client.zcard(keys.schedule), 298, 'the shell tasks passed over stay');
  assert.equal((await claim({ maxShell: 0, maxUrl: 10, maxSkip: 0 })).entries.length, 0);
});

test('a URL ticker rescheduled by a claim (its JSON rewritten by Redis) is still known as a URL task', async () => {
  await tasks.add('t', task({ type: 'ticker', time: 1, limit: 0, command: 'http://127.0.0.1:1/x' }), 100);
  await tasks.add('s', task({ run_nexttime: T0 / 1000 + 0.5 }), 100);
  assert.equal(firesOf(await claim()).length, 1);
  assert.match((await redis.client.hget(keys.pool, 't')) ?? '', /http:\\\/\\\//, 'cjson escapes the slashes');
  // One second on: the shell task comes first and has no room, the URL ticker behind it has.
  const res = await claim({ nowMs: T0 + 1000, maxShell: 0, maxUrl: 1, maxSkip: 1 });
  assert.deepEqual(
    firesOf(res).map((f) => f.kid),
    ['t'],
  );
});

test('a ticker whose interval is not above 0 is corrupt: removed and reported, not fired in a loop', async () => {
  await redis.client.hset(keys.pool, 'z', JSON.stringify(task({ type: 'ticker', time: 0, limit: 0 })));
  await redis.client.zadd(keys.schedule, T0 / 1000, 'z');
  const res = await claim();
  assert.deepEqual(
    res.entries.map((e) => e.kind),
    ['corrupt'],
  );
  assert.equal(await redis.client.zcard(keys.schedule), 0);
});

test('only the lease holder may begin; begin again by the holder succeeds', async () => {
  await tasks.add('k', task(), 100);
  const held = firesOf(await claim({ owner: 'A' }));
  assert.deepEqual(await begin(T0, 'B', 60_000, held), [false]);
  assert.deepEqual(await begin(T0, 'A', 60_000, [{ id: 'k:1', token: 'forged' }]), [false]);
  assert.deepEqual(await begin(T0, 'A', 60_000, held), [true]);
  assert.deepEqual(await begin(T0, 'A', 60_000, held), [true], 'a lost reply can be retried');
  assert.deepEqual(await begin(T0, 'A', 60_000, [{ id: 'nope:1', token: 'x' }]), [false]);
});

test('a lease that runs out is taken over by another daemon, and the old holder cannot begin it', async () => {
  await tasks.add('k', task(), 100);
  const first = firesOf(await claim({ owner: 'A' }));
  const early = await claim({ owner: 'B', nowMs: T0 + 4999 });
  assert.equal(early.entries.length, 0, 'the lease still holds');
  assert.equal(early.nextDueMs, T0 + 5000, 'the lease deadline is when to look again');
  const taken = await claim({ owner: 'B', nowMs: T0 + 5000 });
  assert.equal(taken.entries.length, 1);
  const entry = taken.entries[0];
  assert.ok(entry?.kind === 'fire' && entry.fire.retaken_from === 'A' && entry.fire.owner === 'B');
  assert.deepEqual(await begin(T0 + 5001, 'A', 60_000, first), [false]);
  assert.deepEqual(await begin(T0 + 5001, 'B', 60_000, firesOf(taken)), [true]);
});

test('a fire claimed again by the same daemon is begun only through its newest lease', async () => {
  await tasks.add('k', task(), 100);
  const first = firesOf(await claim({ owner: 'A' }));
  const again = firesOf(await claim({ owner: 'A', nowMs: T0 + 5000 }));
  assert.equal(again[0]?.id, first[0]?.id);
  assert.notEqual(again[0]?.token, first[0]?.token);
  assert.deepEqual(await begin(T0 + 5001, 'A', 60_000, first), [false], 'the older lease is void');
  assert.deepEqual(await begin(T0 + 5001, 'A', 60_000, again), [true]);
});

test('a begun fire is never handed out again: acked by the next claim, or reported abandoned', async () => {
  await tasks.add('k', task(), 100);
  await tasks.add('j', task(), 100);
  const both = firesOf(await claim({ owner: 'A' }));
  assert.deepEqual(await begin(T0, 'A', 60_000, both), [true, true]);
  // A reports k started; j's daemon "dies" before reporting.
  await claim({ owner: 'A', started: ['k:1'] });
  assert.equal(await redis.client.hexists(keys.fires, 'k:1'), 0);
  const later = await claim({ owner: 'B', nowMs: T0 + 60_000 });
  assert.deepEqual(
    later.entries.map((e) => e.kind),
    ['abandoned'],
  );
  assert.equal(await redis.client.hlen(keys.fires), 0);
  assert.equal(await redis.client.zcard(keys.leases), 0);
});

test('finish removes only the records of its owner', async () => {
  await tasks.add('k', task(), 100);
  await begin(T0, 'A', 60_000, firesOf(await claim({ owner: 'A' })));
  fires('B').started('k:1');
  assert.equal(await fires('B').finishStarted('B'), 0);
  fires('A').started('k:1');
  assert.equal(await fires('A').finishStarted('A'), 1);
  assert.equal(await fires('A').finishStarted('A'), 0, 'forgotten once');
  assert.equal(await redis.client.hlen(keys.fires), 0);
});

test('concurrent claims by many owners hand each fire out once', async () => {
  for (let i = 0; i < 500; i++) await tasks.add(`k${i}`, task({ run_nexttime: (T0 - i) / 1000 }), 1000);
  const owners = ['A', 'B', 'C', 'D'];
  const replies = await Promise.all(
    Array.from({ length: 20 }, (_, i) => claim({ owner: owners[i % 4], maxShell: 40 })),
  );
  const kids = replies.flatMap((r) => r.entries.flatMap((e) => (e.kind === 'fire' ? [e.fire.kid] : [])));
  assert.equal(kids.length, 500);
  assert.equal(new Set(kids).size, 500);
});
