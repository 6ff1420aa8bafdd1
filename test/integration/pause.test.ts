// The pause and resume scripts against a real Redis, on a fixed clock: a paused task leaves the
// schedule for the paused set, keeps its fields and run state, and no claim sees it; resumed, it
// goes on at the next run of its schedule after now, with no catch-up; update keeps it paused,
// del and clear remove it, list shows it last; --all goes through every task in batches.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { PAUSE_BATCH, PauseResume } from '../../src/service/pause-resume.js';
import type { TaskChange } from '../../src/service/task-service.js';
import type { StoreKeys } from '../../src/store/keys.js';
import type { ClaimRequest, FireStore, ListAfter, TaskStore } from '../../src/store/open-store.js';
import { CRON_AHEAD, firstSchedule, refillCron } from '../../src/tasks/schedule.js';
import { decodeTask, encodeTask, type Task } from '../../src/tasks/task.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { storedTask, storeTasks } from '../helpers/stored-tasks.js';
import { storesOn, testKeys } from '../helpers/stores.js';

const redis = usePrivateRedis();
const T0 = 1_800_000_000_000; // a fixed "now" in unix ms: the scripts take time as an argument
let keys: StoreKeys;
let tasks: TaskStore;
let fires: FireStore;
let n = 0;
let nowMs = T0;
let changes: TaskChange[];
let pauses: PauseResume;

beforeEach(() => {
  keys = testKeys(`p${++n}`);
  ({ tasks, fires } = storesOn(redis.client, keys));
  nowMs = T0;
  changes = [];
  pauses = new PauseResume({
    store: async () => tasks,
    nowMs: async () => nowMs,
    onChange: (c) => changes.push(c),
  });
});

const ticker = (over: Partial<Task> = {}): Task =>
  storedTask({
    type: 'ticker',
    time: 10,
    limit: 0,
    misfire: 'once',
    run_nexttime: (T0 + 10_000) / 1000,
    ...over,
  });

const cron = (expr: string, over: Partial<Task> = {}): Task => {
  const spec = {
    type: 'cron' as const,
    time: 0,
    limit: 0,
    command: 'true',
    cron: expr,
    tz: 'UTC',
    misfire: 'once' as const,
  };
  return { ...spec, run_num: 0, run_lasttime: 0, ...firstSchedule(spec, 100, T0), ...over };
};

const claim = (at: number, over: Partial<Omit<ClaimRequest, 'history'>> = {}) =>
  fires.claim({
    nowMs: at,
    owner: 'A',
    leaseMs: 86_400_000, // fires are never begun here: a lease running out would hand them out again
    maxShell: 100,
    maxUrl: 100,
    expireLimitSec: 60,
    ...over,
  });

/** The due times (unix ms) of the fires a claim at `at` hands out. */
const firedAt = async (at: number): Promise<number[]> =>
  (await claim(at)).entries.flatMap((e) => (e.kind === 'fire' ? [e.fire.dueMs] : []));

/** A kid of the stored form (32 hex digits) that reads as `name`, keeping the order of names. */
const K = (name: string): string => Buffer.from(name).toString('hex').padEnd(32, '0');

const inSchedule = async (kid: string) => (await redis.client.zscore(keys.schedule, kid)) !== null;
const inPaused = async (kid: string) => (await redis.client.zscore(keys.paused, kid)) !== null;

const [T, OTHER] = [K('t'), K('other')];

test('pause: the task leaves the schedule for the paused set, keeps its fields, and no claim sees it', async () => {
  const before = ticker({ run_num: 3, run_lasttime: T0 / 1000 - 10 });
  await tasks.add(T, before, 100);
  await tasks.add(OTHER, ticker(), 100);
  assert.deepEqual(await tasks.pause([T, K('missing')], T0 / 1000), ['done', 'missing']);
  assert.equal(await inSchedule(T), false);
  assert.equal(await inPaused(T), true);
  assert.equal(await redis.client.hlen(keys.pool), 2, 'count still counts it');
  const stored = await tasks.get(T);
  assert.deepEqual(stored?.task, { ...before, paused: T0 / 1000 });
  assert.deepEqual(await tasks.pause([T], T0 / 1000 + 5), ['already']);
  assert.equal((await tasks.get(T))?.task.paused, T0 / 1000, 'paused since the first pause');
  // An hour of claims: the other ticker fires on its grid, the paused one never.
  const kids = new Set<string>();
  for (let at = T0; at <= T0 + 3_600_000; at += 10_000) {
    for (const e of (await claim(at)).entries) if (e.kind === 'fire') kids.add(e.fire.kid);
  }
  assert.deepEqual([...kids], [OTHER]);
  assert.equal((await tasks.get(T))?.raw, stored?.raw, 'untouched by the claims');
});

test('resume: a ticker goes on at the next slot of its grid after now, with no burst of missed runs', async () => {
  await tasks.add(T, ticker(), 100); // due T0+10s, every 10 s
  await tasks.pause([T], T0 / 1000);
  nowMs = T0 + 95_500; // slots T0+10s .. T0+90s passed while paused
  const [out] = await pauses.resume([T]);
  assert.equal(out?.state, 'resumed');
  assert.equal(out?.task?.run_nexttime, (T0 + 100_000) / 1000, 'the next slot of the grid');
  assert.equal(await inPaused(T), false);
  assert.equal(Number(await redis.client.zscore(keys.schedule, T)), (T0 + 100_000) / 1000);
  assert.equal((await tasks.get(T))?.task.paused, undefined);
  assert.deepEqual(await firedAt(T0 + 99_999), [], 'nothing before the slot: no catch-up');
  assert.deepEqual(await firedAt(T0 + 100_000), [T0 + 100_000]);
  assert.deepEqual(await firedAt(T0 + 110_003), [T0 + 110_000], 'and on the grid after');
  assert.deepEqual(changes, [{ op: 'resume', kids: [T], count: 1 }]);
});

test('resume: a ticker paused briefly keeps its next slot; misfire=all does not catch up either', async () => {
  const [soon, all] = [K('soon'), K('all')];
  await tasks.add(soon, ticker(), 100);
  await tasks.add(all, ticker({ misfire: 'all' }), 100);
  await tasks.pause([soon, all], T0 / 1000);
  nowMs = T0 + 4000;
  assert.equal((await pauses.resume([soon]))[0]?.task?.run_nexttime, (T0 + 10_000) / 1000);
  nowMs = T0 + 60_000;
  assert.equal((await pauses.resume([all]))[0]?.task?.run_nexttime, (T0 + 70_000) / 1000);
  // soon was resumed in time: the slots it then missed (no claim ran) follow its misfire policy.
  assert.deepEqual(await firedAt(T0 + 69_999), [T0 + 10_000]);
  assert.deepEqual(await firedAt(T0 + 70_001), [T0 + 70_000, T0 + 70_000], 'all: no catch-up of the pause');
});

test('resume: a timer whose time passed while paused fires once, at once, even past task_expire_limit', async () => {
  const [late, ahead] = [K('late'), K('ahead')];
  await tasks.add(late, storedTask({ run_nexttime: (T0 + 1000) / 1000 }), 100);
  await tasks.add(ahead, storedTask({ run_nexttime: (T0 + 7_200_000) / 1000 }), 100);
  await tasks.pause([late, ahead], T0 / 1000);
  nowMs = T0 + 3_600_000; // an hour: far beyond task_expire_limit = 60
  const out = await pauses.resume([late, ahead]);
  assert.deepEqual(
    out.map((o) => [o.kid, o.state, o.task?.run_nexttime]),
    [
      [late, 'resumed', nowMs / 1000],
      [ahead, 'resumed', (T0 + 7_200_000) / 1000],
    ],
  );
  assert.deepEqual(await firedAt(nowMs + 2), [nowMs]);
  assert.equal(await tasks.get(late), null, 'fired and gone');
});

test('resume: a cron task gets its run times from its expression after now; claim and refill go on', async () => {
  await tasks.add(T, cron('*/5 * * * *'), 100); // every 5 minutes
  await tasks.pause([T], T0 / 1000);
  nowMs = T0 + 3_660_000; // an hour and a minute later
  const [out] = await pauses.resume([T]);
  const next = Math.ceil(nowMs / 300_000) * 300_000;
  assert.equal(out?.task?.run_nexttime, next / 1000);
  assert.equal(out?.task?.runs?.length, CRON_AHEAD);
  assert.equal(out?.task?.parked, undefined);
  assert.deepEqual(await firedAt(next - 1), []);
  assert.deepEqual(await firedAt(next + 3), [next]);
  const stored = await tasks.get(T);
  assert.equal(stored?.task.run_nexttime, (next + 300_000) / 1000);
  assert.equal(stored?.task.run_num, 1);
});

test('a refill computed before a pause is refused: the paused task stays paused', async () => {
  const c = cron('*/5 * * * *', { runs: [] });
  await tasks.add(T, c, 100);
  const planned = refillCron(c, T0);
  assert.ok(planned);
  await tasks.pause([T], T0 / 1000);
  assert.equal(
    await tasks.refill([{ kid: T, expectedRaw: encodeTask(c), task: planned.task }], {
      owner: 'A',
      nowMs: T0,
    }),
    0,
  );
  assert.equal(await inSchedule(T), false);
});

test('resume is a compare-and-set: a task changed since read is not written, and is read again', async () => {
  await tasks.add(T, ticker(), 100);
  await tasks.pause([T], T0 / 1000);
  const stored = await tasks.get(T);
  assert.ok(stored);
  const task = { ...stored.task, paused: undefined };
  const stale = stored.raw.replace('"time":10', '"time":11');
  assert.notEqual(stale, stored.raw);
  assert.deepEqual(await tasks.resume([{ kid: T, expectedRaw: stale, task }]), ['changed']);
  assert.equal(await inPaused(T), true);
  assert.deepEqual(await tasks.resume([{ kid: K('x'), expectedRaw: '{}', task }]), ['missing']);
  await tasks.add(OTHER, ticker(), 100);
  const running = await tasks.get(OTHER);
  assert.deepEqual(
    await tasks.resume([{ kid: OTHER, expectedRaw: running?.raw ?? '', task }]),
    ['already'],
    'a task not paused is left alone',
  );
  assert.deepEqual(
    (await pauses.resume([OTHER, K('x'), T])).map((o) => o.state),
    ['not_paused', 'missing', 'resumed'],
  );
});

test('update keeps a paused task paused (out of the schedule); del and clear remove it', async () => {
  await tasks.add(T, ticker(), 100);
  await tasks.add(OTHER, ticker(), 100);
  await tasks.pause([T, OTHER], T0 / 1000);
  const stored = await tasks.get(T);
  assert.ok(stored);
  const changed = { ...stored.task, command: 'echo changed', run_nexttime: (T0 + 1000) / 1000 };
  assert.equal(await tasks.update(T, stored, changed), 'updated');
  assert.equal(await inSchedule(T), false);
  assert.equal(await inPaused(T), true);
  assert.deepEqual(await firedAt(T0 + 60_000), []);
  assert.equal((await tasks.del([T])).removed, 1);
  assert.equal(await inPaused(T), false);
  assert.equal(await tasks.clear(), 1);
  assert.equal(await redis.client.exists(keys.paused), 0);
});

test('list: paused tasks come last, by kid, in a window without an end; the cursor walks across', async () => {
  const [a, b, c, p1, p2, p3] = ['a', 'b', 'c', 'p1', 'p2', 'p3'].map(K) as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  await storeTasks(redis.client, keys, [
    [a, ticker({ run_nexttime: (T0 + 1000) / 1000 })],
    [b, ticker({ run_nexttime: (T0 + 2000) / 1000 })],
    [c, ticker({ run_nexttime: (T0 + 3000) / 1000 })],
    [p2, ticker({ run_nexttime: (T0 + 500) / 1000 })],
    [p1, ticker({ run_nexttime: (T0 + 4000) / 1000 })],
    [p3, ticker({ run_nexttime: (T0 + 4000) / 1000 })],
  ]);
  await tasks.pause([p2, p1, p3], T0 / 1000);
  const window = { fromSec: null, toSec: null, count: 2, offset: 0 };
  const kids: string[] = [];
  const positions: number[] = [];
  let after: ListAfter | null = null;
  for (let page = 0; page < 10; page++) {
    const res = await tasks.list({ ...window, after });
    assert.equal(res.total, 6);
    positions.push(res.position);
    kids.push(...res.rows.map((r) => r.kid));
    const last = res.rows.at(-1);
    if (!last || res.position + res.rows.length >= res.total) break;
    after = last;
  }
  assert.deepEqual(kids, [a, b, c, p1, p2, p3]);
  assert.deepEqual(positions, [0, 2, 4]);
  const page = await tasks.list({ ...window, count: 4, offset: 2, after: null });
  assert.deepEqual(
    page.rows.map((r) => [r.kid, r.score]),
    [
      [c, String((T0 + 3000) / 1000)],
      [p1, 'inf'],
      [p2, 'inf'],
      [p3, 'inf'],
    ],
  );
  assert.equal(decodeTask(p1, page.rows[1]?.raw ?? '').paused, T0 / 1000);
  // A cursor on a paused row whose task was resumed since: the page starts where it stood.
  await pauses.resume([p1]);
  const rest = await tasks.list({ ...window, after: { score: 'inf', kid: p1 } });
  assert.deepEqual(
    rest.rows.map((r) => r.kid),
    [p2, p3],
  );
  const bounded = await tasks.list({ ...window, toSec: (T0 + 1_000_000) / 1000, count: 10, after: null });
  assert.deepEqual(
    bounded.rows.map((r) => r.kid),
    [a, b, c, p1],
    'a window with an end holds no paused task',
  );
  assert.equal(bounded.total, 4);
});

test('pause --all and resume --all go through every task, batch by batch, and are logged once', async () => {
  const count = PAUSE_BATCH * 2 + 500;
  const kidOf = (i: number) => K(`k${String(i).padStart(5, '0')}`);
  await storeTasks(
    redis.client,
    keys,
    Array.from({ length: count }, (_, i) => [kidOf(i), ticker()] as const),
  );
  const bad = K('bad');
  await redis.client.hset(keys.pool, bad, '{broken');
  await redis.client.zadd(keys.schedule, T0 / 1000, bad);
  assert.equal(await pauses.pauseAll(), count + 1, 'corrupt data is paused as it is');
  assert.equal(await redis.client.zcard(keys.schedule), 0);
  assert.equal(await redis.client.zcard(keys.paused), count + 1);
  assert.deepEqual(await firedAt(T0 + 3_600_000), []);
  nowMs = T0 + 15_000;
  assert.deepEqual(await pauses.resumeAll(), { resumed: count, corrupt: [bad] });
  assert.equal(await redis.client.zcard(keys.schedule), count);
  assert.deepEqual(await redis.client.zrange(keys.paused, 0, -1), [bad]);
  assert.equal(Number(await redis.client.zscore(keys.schedule, kidOf(42))), (T0 + 20_000) / 1000);
  assert.deepEqual(changes, [
    { op: 'pause', kids: 'all', count: count + 1 },
    { op: 'resume', kids: 'all', count },
  ]);
  assert.equal((await tasks.del([bad])).removed, 1);
  assert.equal(await redis.client.exists(keys.paused), 0);
});

test('bad kids are refused before any round trip', async () => {
  await assert.rejects(pauses.pause([]), { code: 'usage' });
  // A word that is neither a kid nor a task name (`not-a-kid` would be a name: resolved, missing).
  await assert.rejects(pauses.resume(['not a kid']), { code: 'usage' });
  await assert.rejects(pauses.pause(Array.from({ length: 1001 }, (_, i) => `${i}`)), { code: 'usage' });
});
