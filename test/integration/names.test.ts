// Task names in the scripts against a real Redis: the names hash (name -> kid) written with the
// tasks by add, add_many, update, del, clear and the claim, names unique as they are written, and
// a task's own timeout carried into its fire.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import type { StoreKeys } from '../../src/store/keys.js';
import type { FireStore, TaskStore } from '../../src/store/open-store.js';
import type { Task } from '../../src/tasks/task.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { storedTask } from '../helpers/stored-tasks.js';
import { storesOn, testKeys } from '../helpers/stores.js';

const redis = usePrivateRedis();
const T0 = 1_800_000_000_000;
const MAX = 1000;
let keys: StoreKeys;
let tasks: TaskStore;
let fires: FireStore;
let n = 0;

const kid = (c: string): string => c.repeat(32);
const names = () => redis.client.hgetall(keys.names);
const timer = (fields: Partial<Task> = {}): Task => storedTask({ run_nexttime: T0 / 1000, ...fields });

beforeEach(() => {
  keys = testKeys(`nm${++n}`);
  ({ tasks, fires } = storesOn(redis.client, keys));
});

const claim = (nowMs = T0) =>
  fires.claim({ nowMs, owner: 'A', leaseMs: 5000, maxShell: 10, maxUrl: 10, expireLimitSec: 0 });

test('add takes a free name; a name held by a live task refuses the add, naming its kid', async () => {
  assert.equal(await tasks.add(kid('a'), timer({ name: 'backup' }), MAX), 'added');
  assert.deepEqual(await names(), { backup: kid('a') });
  assert.deepEqual(await tasks.add(kid('b'), timer({ name: 'backup' }), MAX), { takenBy: kid('a') });
  assert.equal(await redis.client.hexists(keys.pool, kid('b')), 0, 'nothing stored');
  assert.equal(await redis.client.zscore(keys.schedule, kid('b')), null);
  assert.equal(await tasks.add(kid('c'), timer(), MAX), 'added', 'no name, no check');
  assert.deepEqual(await names(), { backup: kid('a') });
});

test('a name whose kid left the hash (data changed by hand) is free', async () => {
  await redis.client.hset(keys.names, 'backup', kid('9'));
  assert.equal(await tasks.add(kid('a'), timer({ name: 'backup' }), MAX), 'added');
  assert.deepEqual(await names(), { backup: kid('a') });
  assert.deepEqual(await tasks.kidsOfNames(['backup', 'nope']), [kid('a'), null]);
});

test('update moves the name with the task: rename, refusal of a taken one, removal', async () => {
  await tasks.add(kid('a'), timer({ name: 'one' }), MAX);
  await tasks.add(kid('b'), timer({ name: 'two' }), MAX);
  const read = async (k: string) => {
    const stored = await tasks.get(k);
    assert.ok(stored);
    return stored;
  };
  let a = await read(kid('a'));
  assert.equal(await tasks.update(kid('a'), a, { ...a.task, name: 'uno' }), 'updated');
  assert.deepEqual(await names(), { uno: kid('a'), two: kid('b') });
  a = await read(kid('a'));
  assert.deepEqual(await tasks.update(kid('a'), a, { ...a.task, name: 'two', limit: 0 }), {
    takenBy: kid('b'),
  });
  assert.equal((await read(kid('a'))).raw, a.raw, 'nothing changed');
  assert.equal(await tasks.update(kid('a'), a, { ...a.task, name: undefined }), 'updated');
  assert.deepEqual(await names(), { two: kid('b') });
  const b = await read(kid('b'));
  assert.equal(await tasks.update(kid('b'), b, { ...b.task, command: 'date' }), 'updated', 'same name');
  assert.deepEqual(await names(), { two: kid('b') });
});

test('del and clear free the names of the tasks they remove, and only theirs', async () => {
  await tasks.add(kid('a'), timer({ name: 'one' }), MAX);
  await tasks.add(kid('b'), timer({ name: 'two' }), MAX);
  await tasks.add(kid('c'), timer(), MAX);
  assert.equal((await tasks.del([kid('a'), kid('c'), kid('d')])).removed, 2);
  assert.deepEqual(await names(), { two: kid('b') });
  // A task whose name was taken over (by hand) does not take it from its new holder.
  await redis.client.hset(keys.names, 'two', kid('e'));
  assert.equal((await tasks.del([kid('b')])).removed, 1);
  assert.deepEqual(await names(), { two: kid('e') });
  await tasks.add(kid('f'), timer({ name: 'three' }), MAX);
  assert.equal(await tasks.clear(), 1);
  assert.equal(await redis.client.exists(keys.names), 0);
});

test('add_many: names taken refuse the whole batch, saying which; else all are stored with their names', async () => {
  await tasks.add(kid('a'), timer({ name: 'held' }), MAX);
  const batch = [
    { kid: kid('b'), task: timer({ name: 'free' }) },
    { kid: kid('c'), task: timer() },
    { kid: kid('d'), task: timer({ name: 'held' }) },
  ];
  assert.deepEqual(await tasks.addMany(batch, MAX), [{ index: 2, takenBy: kid('a') }]);
  assert.equal(await tasks.count(), 1, 'nothing of the batch stored');
  assert.equal(await tasks.addMany(batch.slice(0, 2), MAX), 'added');
  assert.deepEqual(await names(), { held: kid('a'), free: kid('b') });
  assert.equal(await tasks.count(), 3);
});

test('the claim frees the name of a task that ends, and carries its timeout into the fire', async () => {
  await tasks.add(kid('a'), timer({ name: 'once', timeout: 7 }), MAX);
  await tasks.add(
    kid('b'),
    timer({ type: 'ticker', time: 1, limit: 2, name: 'twice', command: 'http://127.0.0.1:1/' }),
    MAX,
  );
  await tasks.add(kid('c'), timer({ type: 'ticker', time: 1, limit: 0, name: 'always' }), MAX);
  const first = await claim();
  const fired = first.entries.flatMap((e) => (e.kind === 'fire' ? [e.fire] : []));
  assert.deepEqual(fired.map((f) => [f.kid, f.timeout]).sort(), [
    [kid('a'), 7],
    [kid('b'), undefined],
    [kid('c'), undefined],
  ]);
  assert.deepEqual(await names(), { twice: kid('b'), always: kid('c') }, 'a fired timer frees its name');
  await claim(T0 + 1000);
  assert.deepEqual(await names(), { always: kid('c') }, 'a ticker at its limit frees its name');
  assert.equal(await tasks.add(kid('d'), timer({ name: 'once' }), MAX), 'added', 'free again');
});

test('a stray timeout in stored data is left out of the fire, never breaking the claim', async () => {
  for (const [c, timeout] of [
    ['a', '5'],
    ['b', 1.5],
    ['c', -1],
  ] as const) {
    const json = JSON.stringify({ ...timer(), timeout });
    await redis.client.hset(keys.pool, kid(c), json);
    await redis.client.zadd(keys.schedule, T0 / 1000, kid(c));
  }
  const reply = await claim();
  const fired = reply.entries.flatMap((e) => (e.kind === 'fire' ? [e.fire] : []));
  assert.equal(fired.length, 3);
  for (const f of fired) assert.equal(f.timeout, undefined);
});
