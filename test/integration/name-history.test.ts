// History and output by name after the task has left, against a real Redis: a task that leaves
// holding a name (a timer fired, a ticker at its limit, del, clear) leaves the name's record
// (ended-name: name -> kid, kept history_max_age), which the history reads fall back on; the
// names hash, where a live task holds the name, wins; the commands acting on a live task still
// find no such name.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { KtimerError } from '../../src/errors.js';
import { HistoryService } from '../../src/service/history-service.js';
import { resolveHistoryKid, resolveKid } from '../../src/service/task-ref.js';
import { LiveOutputStore } from '../../src/store/live-output-store.js';
import { HistoryStore } from '../../src/store/history-store.js';
import type { StoreKeys } from '../../src/store/keys.js';
import type { Fire, FireStore, TaskStore } from '../../src/store/open-store.js';
import { RedisAccess } from '../../src/store/redis-access.js';
import type { Task } from '../../src/tasks/task.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { storedTask } from '../helpers/stored-tasks.js';
import { claimBeginFinish, endingOf, historyRules, storesOn, testKeys } from '../helpers/stores.js';

const redis = usePrivateRedis();
const T0 = 1_800_000_000_000;
const MAX = 1000;
const MAX_AGE_MS = historyRules(testKeys('x')).maxAgeMs;
let keys: StoreKeys;
let tasks: TaskStore;
let fires: FireStore;
let history: HistoryService;
let n = 0;

const kid = (c: string): string => c.repeat(32);
const timer = (fields: Partial<Task> = {}): Task => storedTask({ run_nexttime: T0 / 1000, ...fields });
const endedKey = (name: string): string => keys.endedName + name;

beforeEach(() => {
  keys = testKeys(`nh${++n}`);
  ({ tasks, fires } = storesOn(redis.client, keys));
  const store = new HistoryStore(
    new RedisAccess(redis.client, keys, (e) => new KtimerError('redis', String(e))),
  );
  // As the command line and the web API build it (cli/context.ts, daemon/web-worker.ts).
  history = new HistoryService({
    history: async () => store,
    live: async () =>
      new LiveOutputStore(new RedisAccess(redis.client, keys, (e) => new KtimerError('redis', String(e)))),
    resolveKid: (ref) => resolveHistoryKid(ref, async () => tasks),
    nowMs: async () => T0,
    timezone: 'UTC',
  });
});

/**
 * Claims at `nowMs`, begins and finishes what came 5 ms later (ok unless `ok` says not, a failure
 * worth a retry when `retryable`).
 */
async function fireDue(nowMs: number, ok = true, retryable = false): Promise<Fire[]> {
  const { fired, recorded } = await claimBeginFinish(fires, {
    nowMs,
    endingOf: (f) => endingOf(f, { startedMs: nowMs, ok, stdout: `run ${f.id}\n` }),
    retryable,
  });
  assert.ok(
    recorded.every((r) => r),
    'recorded',
  );
  return fired;
}

const live = (ref: string) => resolveKid(ref, async () => tasks);
const unknownName = (name: string) => ({
  name: 'KtimerError',
  code: 'not_found',
  message: new RegExp(`^no task is named "${name}"`),
});

/** The ended-name record's time to live is about history_max_age (set just now). */
async function assertKeptForMaxAge(name: string): Promise<void> {
  const ttl = await redis.client.pttl(endedKey(name));
  assert.ok(
    ttl > MAX_AGE_MS - 60_000 && ttl <= MAX_AGE_MS,
    `${name}: PTTL ${ttl}, expected about ${MAX_AGE_MS}`,
  );
}

test('a named timer that fired: history and output by name read its runs; get and the like do not find it', async () => {
  await tasks.add(kid('a'), timer({ name: 'backup' }), MAX);
  await fireDue(T0);
  assert.equal(await redis.client.hget(keys.names, 'backup'), null, 'the name is free');
  assert.equal(await redis.client.get(endedKey('backup')), kid('a'));
  await assertKeptForMaxAge('backup');

  const { kid: found, runs } = await history.ofTask('backup');
  assert.equal(found, kid('a'));
  assert.deepEqual(
    runs.map((r) => r.fire_id),
    [`${kid('a')}:1`],
  );
  const one = await history.byFireId('backup:1');
  assert.deepEqual([one.fire_id, one.output], [`${kid('a')}:1`, `run ${kid('a')}:1\n`]);
  await assert.rejects(history.byFireId('backup:2'), { code: 'not_found', message: /is not on record/ });

  // get, update, del, pause, resume, run, next: the task is gone, and so is its name for them.
  await assert.rejects(live('backup'), unknownName('backup'));
  await assert.rejects(history.ofTask('nobody'), unknownName('nobody'));
  await assert.rejects(history.byFireId('nobody:1'), unknownName('nobody'));
});

test('a named ticker deleted (del), or cleared, keeps its history by name', async () => {
  await tasks.add(kid('a'), timer({ type: 'ticker', time: 1, limit: 0, name: 'tick' }), MAX);
  await tasks.add(kid('b'), timer({ type: 'ticker', time: 1, limit: 0, name: 'tock' }), MAX);
  await tasks.add(kid('c'), timer({ type: 'ticker', time: 1, limit: 0 }), MAX);
  await fireDue(T0);
  await fireDue(T0 + 1000);
  assert.equal((await tasks.del([kid('a')])).removed, 1);
  assert.equal(await redis.client.get(endedKey('tick')), kid('a'));
  await assertKeptForMaxAge('tick');
  assert.equal((await history.ofTask('tick')).runs.length, 2);
  await assert.rejects(live('tick'), unknownName('tick'));

  assert.equal(await tasks.clear(), 2);
  assert.equal(await redis.client.get(endedKey('tock')), kid('b'));
  await assertKeptForMaxAge('tock');
  const { kid: found, runs } = await history.ofTask('tock', '1');
  assert.deepEqual([found, runs.map((r) => r.fire_id)], [kid('b'), [`${kid('b')}:2`]]);
  assert.equal((await history.byFireId('tock:1')).fire_id, `${kid('b')}:1`);
  assert.deepEqual(
    (await redis.client.keys(`${keys.endedName}*`)).sort(),
    [endedKey('tick'), endedKey('tock')],
    'an unnamed task leaves no record',
  );
});

test('a ticker at its limit leaves its name on record; a name renamed away leaves none', async () => {
  await tasks.add(kid('a'), timer({ type: 'ticker', time: 1, limit: 2, name: 'twice' }), MAX);
  await fireDue(T0);
  assert.equal(await redis.client.exists(endedKey('twice')), 0, 'still live: nothing recorded');
  assert.equal((await history.ofTask('twice')).kid, kid('a'), 'a live name, from the names hash');
  await fireDue(T0 + 1000);
  assert.equal(await redis.client.get(endedKey('twice')), kid('a'));
  assert.equal((await history.ofTask('twice')).runs.length, 2);

  // A task whose name was renamed away (update) leaves no record of the old name when it ends.
  await tasks.add(kid('b'), timer({ name: 'old' }), MAX);
  const stored = await tasks.get(kid('b'));
  assert.ok(stored);
  assert.equal(await tasks.update(kid('b'), stored, { ...stored.task, name: 'new' }), 'updated');
  await fireDue(T0 + 2000);
  assert.equal(await redis.client.exists(endedKey('old')), 0);
  assert.equal(await redis.client.get(endedKey('new')), kid('b'));
});

test('a new task taking the name wins; when it leaves, the name leads to it', async () => {
  await tasks.add(kid('a'), timer({ name: 'job' }), MAX);
  await fireDue(T0);
  assert.equal((await history.ofTask('job')).kid, kid('a'));

  await tasks.add(kid('b'), timer({ name: 'job', run_nexttime: T0 / 1000 + 60 }), MAX);
  const { kid: now, runs } = await history.ofTask('job');
  assert.deepEqual([now, runs], [kid('b'), []], 'the live holder, though it has no run yet');
  assert.equal(await live('job'), kid('b'));
  await assert.rejects(history.byFireId('job:1'), {
    code: 'not_found',
    message: new RegExp(`run ${kid('b')}:1 `),
  });

  await fireDue(T0 + 60_000);
  assert.equal(await redis.client.get(endedKey('job')), kid('b'), 'the last holder');
  assert.equal((await history.byFireId('job:1')).fire_id, `${kid('b')}:1`);
  // The first task's history is still there, by its kid.
  assert.equal((await history.ofTask(kid('a'))).runs.length, 1);
});

test("a run recorded after its task left (a retry) keeps the name's record as long as its history", async () => {
  await tasks.add(kid('a'), timer({ name: 'flaky', retries: 1, retry_delay: 10 }), MAX);
  await tasks.add(kid('b'), timer({ name: 'taken', retries: 1, retry_delay: 10 }), MAX);
  assert.equal((await fireDue(T0, false, true)).length, 2);
  assert.equal(await redis.client.get(endedKey('flaky')), kid('a'), 'left when it was claimed');
  const retry = JSON.parse((await redis.client.hget(keys.fires, `${kid('a')}:1.2`)) ?? '{}');
  assert.equal(retry.name, 'flaky', 'the retry carries the name');

  // Much later (as history_max_age counts): the retry's record keeps the name's record going,
  // but not a record the name has since made of another task.
  await redis.client.pexpire(endedKey('flaky'), 5000);
  await redis.client.set(endedKey('taken'), kid('z'), 'PX', 5000);
  const retried = await fireDue(T0 + 13_000);
  assert.deepEqual(retried.map((f) => f.id).sort(), [`${kid('a')}:1.2`, `${kid('b')}:1.2`]);
  await assertKeptForMaxAge('flaky');
  assert.equal(await redis.client.get(endedKey('taken')), kid('z'));
  assert.ok((await redis.client.pttl(endedKey('taken'))) <= 5000);

  const { runs } = await history.ofTask('flaky');
  assert.deepEqual(
    runs.map((r) => [r.fire_id, r.result]),
    [
      [`${kid('a')}:1.2`, 'ok'],
      [`${kid('a')}:1`, 'failed'],
    ],
  );
  assert.equal((await history.byFireId('flaky:1.2')).attempt, 2);
});
