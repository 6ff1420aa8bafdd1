// The list script against a real Redis: pages by cursor walk every row of the window once, in
// order, through rows of one score and rows that vanish between pages; a page deep in a big
// schedule costs Redis about what the first page does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoreKeys } from '../../src/store/keys.js';
import type { ListAfter, ListWindow, TaskStore } from '../../src/store/open-store.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { storesOn, testKeys } from '../helpers/stores.js';

const redis = usePrivateRedis();
let n = 0;

function setup(): { keys: StoreKeys; tasks: TaskStore } {
  const keys = testKeys(`l${++n}`);
  return { keys, tasks: storesOn(redis.client, keys).tasks };
}

/** Schedule entries only (list reads the hash for the rows it shows; a missing entry is null). */
async function schedule(keys: StoreKeys, entries: [kid: string, score: number][]): Promise<void> {
  for (let i = 0; i < entries.length; i += 10_000) {
    const batch = entries.slice(i, i + 10_000).flatMap(([kid, score]) => [score, kid]);
    await redis.client.zadd(keys.schedule, ...batch);
  }
}

const window = (over: Partial<ListWindow> = {}): ListWindow => ({
  fromSec: null,
  toSec: null,
  count: 3,
  offset: 0,
  after: null,
  ...over,
});

/** Every kid of the window, page after page by cursor; `between` runs before each next page. */
async function walk(tasks: TaskStore, w: Partial<ListWindow>, between?: () => Promise<void>) {
  const kids: string[] = [];
  const positions: number[] = [];
  let after: ListAfter | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const page = await tasks.list(window({ ...w, after }));
    positions.push(page.position);
    kids.push(...page.rows.map((r) => r.kid));
    const last = page.rows.at(-1);
    if (!last || page.position + page.rows.length >= page.total) return { kids, positions };
    after = last;
    await between?.();
  }
  throw new Error('more than 100 pages');
}

test('pages by cursor walk the window once, in order of next run then kid, with their positions', async () => {
  const { keys, tasks } = setup();
  // Ten rows, four of them sharing one score (a bulk add gives many tasks one due time).
  await schedule(keys, [
    ['e', 100],
    ['a', 100.5],
    ['d', 101],
    ['b', 101],
    ['c', 101],
    ['f', 101],
    ['g', 102.25],
    ['h', 103],
    ['i', 104],
    ['j', 105],
  ]);
  const all = await walk(tasks, {});
  assert.deepEqual(all.kids, ['e', 'a', 'b', 'c', 'd', 'f', 'g', 'h', 'i', 'j']);
  assert.deepEqual(all.positions, [0, 3, 6, 9]);
  const first = await tasks.list(window());
  assert.deepEqual(
    first.rows.map((r) => [r.kid, r.score]),
    [
      ['e', '100'],
      ['a', '100.5'],
      ['b', '101'],
    ],
  );
  // A window (both ends included) with the cursor inside it.
  const inside = await walk(tasks, { fromSec: 101, toSec: 103, count: 2 });
  assert.deepEqual(inside.kids, ['b', 'c', 'd', 'f', 'g', 'h']);
  assert.deepEqual(inside.positions, [0, 2, 4]);
  // Offsets count rows of the window, by rank.
  const offset = await tasks.list(window({ fromSec: 101, offset: 3, count: 2 }));
  assert.deepEqual(
    offset.rows.map((r) => r.kid),
    ['f', 'g'],
  );
  assert.equal(offset.position, 3);
  assert.equal(offset.total, 8);
});

test('a cursor whose row vanished or moved still starts where that row stood', async () => {
  const { keys, tasks } = setup();
  await schedule(keys, [
    ['a', 10],
    ['b', 20],
    ['c', 20],
    ['d', 20],
    ['e', 30],
  ]);
  const page = await tasks.list(window({ count: 2 }));
  const after = page.rows.at(-1) as ListAfter;
  assert.equal(after.kid, 'b');
  // The row of the cursor fires (gone), and a ticker before it is rescheduled behind it.
  await redis.client.zrem(keys.schedule, 'b');
  await redis.client.zadd(keys.schedule, 40, 'a');
  const next = await tasks.list(window({ count: 2, after }));
  assert.deepEqual(
    next.rows.map((r) => r.kid),
    ['c', 'd'],
  );
  assert.equal(next.position, 0, 'nothing of the window stands before it now');
  // Moved to another score: the page starts where the cursor's (score, kid) would stand.
  await redis.client.zadd(keys.schedule, 5, 'c');
  const moved = await tasks.list(window({ count: 5, after: { score: '20', kid: 'c' } }));
  assert.deepEqual(
    moved.rows.map((r) => r.kid),
    ['d', 'e', 'a'],
  );
  // Past the end: an empty page at the end of the window.
  const end = await tasks.list(window({ after: { score: '40', kid: 'a' } }));
  assert.deepEqual(end, { total: 4, position: 4, rows: [] });
});

test('rows missing from the hash come back with raw null; stored ones with their JSON', async () => {
  const { keys, tasks } = setup();
  await schedule(keys, [
    ['x', 1],
    ['y', 2],
  ]);
  await redis.client.hset(keys.pool, 'y', '{"json":1}');
  const page = await tasks.list(window());
  assert.deepEqual(page.rows, [
    { kid: 'x', score: '1', raw: null },
    { kid: 'y', score: '2', raw: '{"json":1}' },
  ]);
});

/** Microseconds Redis spent in each call of `fn` (SLOWLOG with every command logged), median of 7. */
async function redisUsec(fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    await redis.client.slowlog('RESET');
    await fn();
    const log = (await redis.client.slowlog('GET', 10)) as [number, number, number, string[]][];
    const run = log.find((entry) => /^(EVALSHA|EVAL|FCALL)$/i.test(String(entry[3][0])));
    if (!run) throw new Error(`no script in SLOWLOG: ${JSON.stringify(log)}`);
    times.push(run[2]);
  }
  return times.sort((a, b) => a - b)[3] as number;
}

test('a page deep in 200,000 rows costs Redis about what the first page does (O(log n + count))', async () => {
  const { keys, tasks } = setup();
  const rows = 200_000;
  await schedule(
    keys,
    Array.from({ length: rows }, (_, i) => [`k${String(i).padStart(7, '0')}`, 1_000_000 + Math.floor(i / 3)]),
  );
  const deep = await tasks.list(window({ count: 100, offset: 10_000 }));
  // Where a cursor near the end would come from: the row before, as a page would end on it.
  const before = (await redis.client.zrange(keys.schedule, rows - 101, rows - 101, 'WITHSCORES')) as [
    string,
    string,
  ];
  const after = { kid: before[0], score: before[1] };
  const slowlog = (await redis.client.config('GET', 'slowlog-log-slower-than')) as string[];
  await redis.client.config('SET', 'slowlog-log-slower-than', '0');
  try {
    const firstUs = await redisUsec(() => tasks.list(window({ count: 100 })));
    const lastUs = await redisUsec(() => tasks.list(window({ count: 100, after })));
    const offsetUs = await redisUsec(() => tasks.list(window({ count: 100, offset: 10_000 })));
    // The old script walked to the row: on Redis 7.0, ZRANGEBYSCORE ... LIMIT 199800 100 took
    // about 2 ms here, 10 times its first page. Now each is a few rank lookups and the 100 rows.
    assert.ok(lastUs < 3 * firstUs + 200, `first page ${firstUs} us, last page ${lastUs} us`);
    assert.ok(offsetUs < 3 * firstUs + 200, `first page ${firstUs} us, offset 10000 ${offsetUs} us`);
  } finally {
    await redis.client.config('SET', 'slowlog-log-slower-than', slowlog[1] ?? '10000');
  }
  const last = await tasks.list(window({ count: 100, after }));
  assert.equal(last.position, rows - 100);
  assert.equal(last.rows.length, 100);
  assert.equal(last.rows[0]?.kid, `k${String(rows - 100).padStart(7, '0')}`);
  assert.equal(deep.rows[0]?.kid, 'k0010000');
});
