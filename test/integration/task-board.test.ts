// The dashboard's board and its running view against a real Redis (issue 26): counts per state
// over the filters, sorting, pages, why a failed run failed; runs under way read from the fires
// hash; names that do not fail for gone tasks. And the change log: entries bounded, read newest
// first, with who and why.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KtimerError } from '../../src/errors.js';
import { ChangeLog } from '../../src/service/change-log.js';
import { BOARD_FRESH_MS, TaskBoard } from '../../src/service/task-board.js';
import { ChangeStore } from '../../src/store/change-store.js';
import { HistoryStore } from '../../src/store/history-store.js';
import { RedisAccess } from '../../src/store/redis-access.js';
import { encodeTask } from '../../src/tasks/task.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { storedTask, storeTasks } from '../helpers/stored-tasks.js';
import { claimBeginFinish, endingOf, storesOn, testKeys } from '../helpers/stores.js';

const redis = usePrivateRedis();
const T0 = 1_800_000_000_000;
let n = 0;

const kidOf = (i: number): string => i.toString(16).padStart(32, '0');

function setup() {
  const keys = testKeys(`b${++n}`);
  const access = new RedisAccess(redis.client, keys, (e) => new KtimerError('redis', String(e)));
  const stores = storesOn(redis.client, keys);
  const history = new HistoryStore(access);
  const board = new TaskBoard({ tasks: async () => stores.tasks, history: async () => history });
  return { keys, access, stores, history, board };
}

test('the board counts each state over the filters, sorts and pages; a failed run says why', async () => {
  const { keys, stores, board } = setup();
  // Tickers 1..6 due in order; 5 and 6 in group "db"; 4 is a cron task.
  const tasks = [1, 2, 3, 4, 5, 6].map((i) => {
    const task = storedTask({
      type: i === 4 ? 'cron' : 'ticker',
      time: 1,
      limit: 0,
      name: `t${7 - i}`,
      run_nexttime: T0 / 1000 + i,
      ...(i === 4 ? { cron: '* * * * * *', tz: 'UTC' } : {}),
    });
    return [kidOf(i), task] as const;
  });
  await storeTasks(redis.client, keys, tasks);
  for (const i of [5, 6]) {
    const json = JSON.parse(encodeTask(tasks[i - 1]?.[1] ?? storedTask({ run_nexttime: 0 }))) as object;
    await redis.client.hset(keys.pool, kidOf(i), JSON.stringify({ ...json, group: 'db' }));
  }
  // Run 1 ok, 2 and 3 failed (3 with exit 7), then pause 2.
  await claimBeginFinish(stores.fires, {
    nowMs: T0 + 3500,
    endingOf: (f) =>
      endingOf(f, { startedMs: T0 + 3500, ok: f.kid === kidOf(1), exitCode: f.kid === kidOf(3) ? 7 : 1 }),
  });
  await stores.tasks.pause([kidOf(2)], T0 / 1000 + 4);

  const all = await board.page({});
  assert.deepEqual(all.counts, { all: 6, failing: 2, running: 0, paused: 1 });
  assert.deepEqual(all.groups, ['db']);
  assert.equal(all.tasks.length, 6);
  // By next run, paused last.
  assert.equal(all.tasks.at(-1)?.kid, kidOf(2));

  const failing = await board.page({ state: 'failing' });
  assert.deepEqual(failing.tasks.map((t) => t.kid).sort(), [kidOf(2), kidOf(3)]);
  assert.equal(failing.tasks.find((t) => t.kid === kidOf(3))?.last_exit, 7);

  const db = await board.page({ group: 'db' });
  assert.deepEqual(db.counts, { all: 2, failing: 0, running: 0, paused: 0 });
  assert.deepEqual(
    (await board.page({ type: 'cron' })).tasks.map((t) => t.kid),
    [kidOf(4)],
  );
  assert.equal((await board.page({ search: 'T6' })).total, 1, 'search by name, any case');

  const byName = await board.page({ sort: 'name', size: '4' });
  assert.deepEqual(
    byName.tasks.map((t) => t.name),
    ['t1', 't2', 't3', 't4'],
  );
  assert.equal(byName.pages, 2);
  const second = await board.page({ sort: 'name', order: 'desc', size: '4', page: '2' });
  assert.deepEqual(
    second.tasks.map((t) => t.name),
    ['t2', 't1'],
  );
  const beyond = await board.page({ size: '4', page: '9' });
  assert.equal(beyond.tasks.length, 0);

  await assert.rejects(
    board.page({ state: 'broken' }),
    /state "broken" is invalid; expected all, failing, running, paused/,
  );
  await assert.rejects(board.page({ size: '500' }), /size 500 is invalid/);
});

test('runs under way come from the fires hash: which daemon, since when; the board counts them running', async () => {
  const { keys, stores, history, board } = setup();
  await storeTasks(redis.client, keys, [
    [kidOf(1), storedTask({ type: 'ticker', time: 1, limit: 0, run_nexttime: T0 / 1000 })],
  ]);
  const reply = await stores.fires.claim({
    nowMs: T0,
    owner: 'db1:4242:x',
    leaseMs: 5000,
    maxShell: 5,
    maxUrl: 5,
    expireLimitSec: 0,
  });
  const fired = reply.entries.flatMap((e) => (e.kind === 'fire' ? [e.fire] : []));
  await stores.fires.begin({ nowMs: T0 + 3, owner: 'db1:4242:x', keepMs: 60_000, fires: fired });
  const running = await history.running();
  assert.equal(running.length, 1);
  assert.deepEqual(
    { ...running[0], fire_id: undefined },
    {
      fire_id: undefined,
      kid: kidOf(1),
      state: 'started',
      host: 'db1',
      pid: 4242,
      due_ms: T0,
      started_ms: T0 + 3,
      trigger: 'schedule',
      attempt: 1,
    },
  );
  // One task's: its fields only (a task's page polls them), another's none.
  assert.deepEqual(await history.running(kidOf(1)), running);
  assert.deepEqual(await history.running(kidOf(2)), []);
  const page = await board.page({ state: 'running' });
  assert.equal(page.counts.running, 1);
  assert.equal(page.tasks[0]?.running?.[0]?.host, 'db1');
});

test('one read of every task serves the board for BOARD_FRESH_MS while nothing changed; a run, a change, a task added or forget() end it at once', async () => {
  const { keys, access, stores, history } = setup();
  let clock = 0;
  const board = new TaskBoard({
    tasks: async () => stores.tasks,
    history: async () => history,
    clockMs: () => clock,
  });
  const named = (i: number, name: string) =>
    [kidOf(i), storedTask({ type: 'ticker', time: 1, limit: 0, name, run_nexttime: T0 / 1000 + i })] as const;
  await storeTasks(redis.client, keys, [named(1, 'one'), named(2, 'two')]);
  const names = async (q = {}) => (await board.page(q)).tasks.map((t) => t.name);
  assert.deepEqual(await names(), ['one', 'two']);
  // Written behind the services' back (no run, no change on record, as many tasks): not seen...
  const renamed = () => redis.client.hset(keys.pool, kidOf(1), encodeTask(named(1, `one-${clock}`)[1]));
  await renamed();
  assert.deepEqual(await names(), ['one', 'two']);
  clock += BOARD_FRESH_MS - 1;
  assert.deepEqual(await names({ search: 'one' }), ['one'], 'the filters work on the kept read');
  // ... until the read is BOARD_FRESH_MS old.
  clock += 1;
  assert.deepEqual(await names(), ['one-0', 'two']);

  // A change on record (any process's `ktimer pause`, say): read again at once.
  await renamed();
  await new ChangeStore(access, { maxEntries: 100, maxAgeMs: 86_400_000 }).append(
    [{ op: 'pause' }],
    Date.now(),
  );
  assert.deepEqual(await names(), [`one-${clock}`, 'two']);
  // A task added.
  clock += 1;
  await renamed();
  await storeTasks(redis.client, keys, [named(3, 'three')]);
  assert.deepEqual(await names(), [`one-${clock}`, 'two', 'three']);
  // A change through these services (forget), before its change log entry is written.
  clock += 1;
  await renamed();
  board.forget();
  assert.deepEqual(await names(), [`one-${clock}`, 'two', 'three']);
  // A run on record: its task's last run shows at once; runs under way are read for each request.
  assert.equal((await board.page({ state: 'failing' })).total, 0);
  await claimBeginFinish(stores.fires, {
    nowMs: T0 + 1500,
    endingOf: (f) => endingOf(f, { startedMs: T0 + 1500, ok: false }),
  });
  assert.deepEqual(
    (await board.page({ state: 'failing' })).tasks.map((t) => t.name),
    [`one-${clock}`],
  );
  const claimed = await stores.fires.claim({
    nowMs: T0 + 2500,
    owner: 'db1:4242:x',
    leaseMs: 5000,
    maxShell: 5,
    maxUrl: 5,
    expireLimitSec: 0,
  });
  const fired = claimed.entries.flatMap((e) => (e.kind === 'fire' ? [e.fire] : []));
  await stores.fires.begin({ nowMs: T0 + 2503, owner: 'db1:4242:x', keepMs: 60_000, fires: fired });
  assert.equal((await board.page({})).counts.running, fired.length);
  assert.ok(fired.length > 0);
  // A read begun by warm() (a login) serves the next request as well.
  clock += BOARD_FRESH_MS;
  await board.warm();
  await redis.client.hset(keys.pool, kidOf(2), encodeTask(named(2, 'two-renamed')[1]));
  assert.ok((await names()).includes('two'));
  clock += BOARD_FRESH_MS;
  assert.ok((await names()).includes('two-renamed'));
});

test('names: a task gone is said gone, not refused; a kid of another form is', async () => {
  const { keys, board } = setup();
  await storeTasks(redis.client, keys, [[kidOf(1), storedTask({ name: 'one', run_nexttime: T0 / 1000 })]]);
  assert.deepEqual(await board.names([kidOf(1), kidOf(2)]), {
    [kidOf(1)]: { name: 'one', exists: true },
    [kidOf(2)]: { name: null, exists: false },
  });
  await assert.rejects(board.names(['nope']), /kid "nope" is invalid/);
});

test('the change log: who and why, newest first, the changes of a moment in one round trip, bounded', async () => {
  const { access } = setup();
  const store = new ChangeStore(access, { maxEntries: 100, maxAgeMs: 86_400_000 });
  let actor = { via: 'cli' as const, user: 'alice', host: 'db1', reason: 'disk full' };
  const warnings: string[] = [];
  const log = new ChangeLog({
    changes: async () => store,
    actor: () => actor,
    nowMs: async () => Date.now(),
    timezone: 'UTC',
    warn: (m) => warnings.push(m),
  });
  log.record({ op: 'pause', kids: [kidOf(1)], count: 1 });
  actor = { via: 'cli', user: 'bob', host: 'web2', reason: '' };
  log.record({ op: 'del', kids: [kidOf(2), kidOf(3)], removed: 2, dropped: 0 });
  await log.flush();
  const rows = await log.latest({});
  assert.deepEqual(
    rows.map((r) => [r.op, r.who, r.reason, r.kids, r.detail]),
    [
      ['del', 'bob@web2', undefined, [kidOf(2), kidOf(3)], '2 removed'],
      ['pause', 'alice@db1', 'disk full', [kidOf(1)], '1 paused'],
    ],
  );
  assert.deepEqual(warnings, []);
  for (let i = 0; i < 300; i++) log.record({ op: 'resume', kids: 'all', count: i });
  await log.flush();
  const len = await redis.client.xlen(access.keys.changes);
  assert.ok(len >= 100 && len < 302, `trimmed to about 100, not ${len}`);
  assert.equal((await log.latest({ count: '1' }))[0]?.detail, '299 resumed');
  await assert.rejects(log.latest({ count: '5000' }), /n 5000 is invalid/);
});
