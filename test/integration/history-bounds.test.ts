// What a run printed, kept apart from its record, and the history's bounds across the fleet
// (issue 24 item 3, issue 27 L5), against a real Redis: stdout and stderr apart; outputs leave
// with their records; history_max_runs bounds every task's history together, the oldest first;
// history_max_output bounds the outputs, the oldest dropped first while their records stay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KtimerError } from '../../src/errors.js';
import { RECORD_FIELDS } from '../../src/runs/record.js';
import { HistoryStore } from '../../src/store/history-store.js';
import type { Fire } from '../../src/store/open-store.js';
import { RedisAccess } from '../../src/store/redis-access.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { storedTask } from '../helpers/stored-tasks.js';
import { claimBeginFinish, endingOf, historyRules, storesOn, testKeys } from '../helpers/stores.js';

const redis = usePrivateRedis();
const T0 = 1_800_000_000_000;
let n = 0;

/** What each run of a task prints: run `i` of kid, on stdout and stderr. */
type Printer = (fire: Fire) => { stdout?: string; stderr?: string };
const printsItsId: Printer = (f) => ({ stdout: `out ${f.id}\n`, stderr: `err ${f.id}\n` });

function setup(rules: Parameters<typeof historyRules>[1] = {}) {
  const keys = testKeys(`b${++n}`);
  const stores = storesOn(redis.client, keys, 0, historyRules(keys, rules));
  const history = new HistoryStore(
    new RedisAccess(redis.client, keys, (e) => new KtimerError('redis', String(e))),
  );
  let clockMs = T0;
  /** Tickers `kids`, added once; each round fires every one of them once, a second apart. */
  const added = new Set<string>();
  const fireRounds = async (kids: string[], rounds: number, prints: Printer = printsItsId) => {
    for (const kid of kids) {
      if (added.has(kid)) continue;
      added.add(kid);
      await stores.tasks.add(
        kid,
        storedTask({ type: 'ticker', time: 1, limit: 0, command: 'echo', run_nexttime: clockMs / 1000 }),
        100,
      );
    }
    for (let i = 0; i < rounds; i++) {
      const nowMs = clockMs;
      clockMs += 1000;
      await claimBeginFinish(stores.fires, {
        nowMs,
        room: 100,
        endingOf: (f) => endingOf(f, { startedMs: nowMs, ...prints(f) }),
      });
    }
  };
  /** The output keys there are, and the fleet's count of their bytes. */
  const outputs = async () => {
    const found = await redis.client.keys(`${keys.output}*`);
    const lengths = await Promise.all(found.map((k) => redis.client.strlen(k)));
    return {
      ids: found.map((k) => k.slice(keys.output.length)).sort(),
      bytes: lengths.reduce((a, b) => a + b, 0),
      counted: Number((await redis.client.get(keys.outputBytes)) ?? 0),
    };
  };
  const listed = async (kid: string) =>
    (await redis.client.lrange(`${keys.history}${kid}`, 0, -1)).map(
      // A row in the list holds its fire id less the kid (`:run`); one of 4.2, all of it.
      (r) => ((JSON.parse(r) as unknown[])[0] as string).replace(/^:/, `${kid}:`),
    );
  return { keys, history, fireRounds, outputs, listed };
}

/** A stored row's `output`: the bytes of stdout and stderr, null (or left off) when none kept. */
const OUTPUT_AT = RECORD_FIELDS.indexOf('output');
const rowOutput = (raw: string | null): unknown => (JSON.parse(raw ?? '') as unknown[])[OUTPUT_AT] ?? null;

test('stdout and stderr are kept apart from the record: output reads both, history the tail', async () => {
  const { keys, history, fireRounds, outputs } = setup();
  await fireRounds(['t'], 1);
  assert.deepEqual(
    rowOutput(await redis.client.lindex(`${keys.history}t`, 0)),
    [8, 8],
    "the row's output: the bytes of stdout and of stderr",
  );
  const one = await history.byFireId('t:1');
  assert.deepEqual(
    [one?.stdout, one?.stderr, one?.output, one?.output_dropped],
    ['out t:1\n', 'err t:1\n', 'out t:1\nerr t:1\n', undefined],
  );
  const [listedRun] = await history.ofTask('t', 1);
  assert.equal(listedRun?.output, 'out t:1\nerr t:1\n', 'a listing shows the tail of both');
  assert.deepEqual(await outputs(), { ids: ['t:1'], bytes: 16, counted: 16 });
});

test("an output found under a run's fire id (a kid used again) is replaced, its bytes counted once", async () => {
  const { keys, fireRounds, outputs } = setup();
  await redis.client.set(`${keys.output}t:1`, 'stale output');
  await redis.client.set(keys.outputBytes, 12);
  await fireRounds(['t'], 1);
  assert.equal(await redis.client.get(`${keys.output}t:1`), 'out t:1\nerr t:1\n');
  assert.deepEqual(await outputs(), { ids: ['t:1'], bytes: 16, counted: 16 });
});

test('a listing shows the last 4 KiB of stdout then stderr; output reads them whole', async () => {
  const { history, fireRounds } = setup();
  const stdout = `${'a'.repeat(5000)}\n`;
  await fireRounds(['t'], 1, () => ({ stdout, stderr: 'oops\n' }));
  const [listedRun] = await history.ofTask('t', 1);
  assert.equal(listedRun?.output, `${'a'.repeat(4096 - 6)}\noops\n`);
  assert.equal((await history.byFireId('t:1'))?.stdout, stdout);
});

test('a run that printed nothing keeps nothing apart, and its row is as before', async () => {
  const { keys, history, fireRounds, outputs } = setup();
  await fireRounds(['t'], 1, () => ({}));
  assert.equal(rowOutput(await redis.client.lindex(`${keys.history}t`, 0)), null);
  const one = await history.byFireId('t:1');
  assert.deepEqual([one?.output, one?.output_bytes, one?.output_dropped], [undefined, undefined, undefined]);
  assert.deepEqual(await outputs(), { ids: [], bytes: 0, counted: 0 });
});

test("records past history_per_task leave their task's list with their outputs", async () => {
  const { fireRounds, outputs, listed } = setup({ perTask: 3 });
  await fireRounds(['t'], 5);
  assert.deepEqual(await listed('t'), ['t:5', 't:4', 't:3']);
  const { ids, bytes, counted } = await outputs();
  assert.deepEqual(ids, ['t:3', 't:4', 't:5']);
  assert.equal(counted, bytes);
});

test('rows as ktimer 4.2 kept them (the fire id whole) read beside rows without the kid, and leave with their outputs', async () => {
  const { keys, history, fireRounds, outputs, listed } = setup({ perTask: 3, maxRuns: 4 });
  await fireRounds(['t'], 2);
  const key = `${keys.history}t`;
  const rows = await redis.client.lrange(key, 0, -1);
  assert.ok(
    rows.every((r) => r.startsWith('[":')),
    'kept without the kid',
  );
  await redis.client.del(key);
  await redis.client.rpush(key, ...rows.map((r) => `["t${r.slice(2)}`));
  assert.deepEqual(await listed('t'), ['t:2', 't:1'], 'the whole fire id, as 4.2 wrote it');
  assert.deepEqual(
    (await history.ofTask('t', 10)).map((r) => [r.fire_id, r.kid]),
    [
      ['t:2', 't'],
      ['t:1', 't'],
    ],
  );
  assert.equal((await history.byFireId('t:1'))?.stdout, 'out t:1\n');
  await fireRounds(['t'], 3);
  assert.deepEqual(await listed('t'), ['t:5', 't:4', 't:3'], 'the 4.2 rows left by history_per_task');
  assert.deepEqual((await outputs()).ids, ['t:3', 't:4', 't:5'], 'with their outputs');
  assert.equal((await history.byFireId('t:4'))?.stdout, 'out t:4\n');
});

test('history_max_runs bounds every task together: the fleet-wide oldest leave first, outputs too', async () => {
  const { keys, fireRounds, outputs, listed } = setup({ maxRuns: 10 });
  // a runs alone for 4 rounds, then a and b together for 4: 12 runs, the 2 oldest (a's) leave.
  await fireRounds(['a'], 4);
  await fireRounds(['a', 'b'], 4);
  assert.equal(await redis.client.xlen(keys.runs), 10);
  assert.deepEqual(await listed('a'), ['a:8', 'a:7', 'a:6', 'a:5', 'a:4', 'a:3']);
  assert.deepEqual(await listed('b'), ['b:4', 'b:3', 'b:2', 'b:1']);
  const { ids, bytes, counted } = await outputs();
  assert.equal(ids.length, 10);
  assert.ok(!ids.includes('a:1') && !ids.includes('a:2'));
  assert.equal(counted, bytes);
});

test('history_max_output: the oldest outputs are dropped first; their records stay, marked', async () => {
  // Each run prints 16 bytes: 50 bytes keep the newest 3.
  const { history, fireRounds, outputs, listed } = setup({ maxOutputBytes: 50 });
  await fireRounds(['t'], 5);
  assert.deepEqual(await listed('t'), ['t:5', 't:4', 't:3', 't:2', 't:1'], 'every record stays');
  assert.deepEqual(await outputs(), { ids: ['t:3', 't:4', 't:5'], bytes: 48, counted: 48 });
  const old = await history.byFireId('t:1');
  assert.deepEqual([old?.output_dropped, old?.output, old?.output_bytes], [true, undefined, [8, 8]]);
  assert.equal((await history.byFireId('t:5'))?.stdout, 'out t:5\n');
  const listing = await history.ofTask('t', 5);
  assert.deepEqual(
    listing.map((r) => r.output_dropped === true),
    [false, false, false, true, true],
  );
});

test('history_max_output: an output bigger than the budget alone is dropped at once', async () => {
  const { history, fireRounds, outputs } = setup({ maxOutputBytes: 10 });
  await fireRounds(['t'], 1);
  assert.deepEqual(await outputs(), { ids: [], bytes: 0, counted: 0 });
  assert.equal((await history.byFireId('t:1'))?.output_dropped, true);
});

test('history_max_output = 0 or history_max_runs = 0: no output is kept', async () => {
  for (const rules of [{ maxOutputBytes: 0 }, { maxRuns: 0 }]) {
    const { keys, history, fireRounds, outputs } = setup(rules);
    await fireRounds(['t'], 2);
    assert.deepEqual(await outputs(), { ids: [], bytes: 0, counted: 0 }, JSON.stringify(rules));
    const raw = await redis.client.lindex(`${keys.history}t`, 0);
    assert.equal(rowOutput(raw), null, 'the record says nothing was kept');
    assert.equal((await history.byFireId('t:2'))?.output_dropped, undefined);
  }
});

test('outputs stay within the budget however long a chatty fleet runs, counted exactly', async () => {
  const { fireRounds, outputs } = setup({ maxOutputBytes: 20 * 1024 });
  const kib: Printer = () => ({ stdout: 'x'.repeat(1000), stderr: 'y'.repeat(24) });
  await fireRounds(['a', 'b', 'c'], 40, kib);
  const { ids, bytes, counted } = await outputs();
  assert.equal(counted, bytes);
  assert.ok(bytes <= 20 * 1024, `${bytes} bytes kept`);
  assert.equal(ids.length, 20, 'the newest 20 outputs');
  assert.ok(ids.every((id) => Number(id.split(':')[1]) > 33));
});

test('a count of output bytes that went wrong (keys deleted by hand) mends itself', async () => {
  const { keys, fireRounds, outputs } = setup({ maxOutputBytes: 1000 });
  await fireRounds(['t'], 2);
  await redis.client.set(keys.outputBytes, 1_000_000);
  await fireRounds(['t'], 1);
  const after = await outputs();
  assert.equal(
    after.counted,
    after.bytes,
    'every output the stream knows was dropped, and the count restarted',
  );
  await fireRounds(['t'], 2);
  const mended = await outputs();
  assert.deepEqual([mended.ids, mended.counted], [['t:4', 't:5'], 32]);
});
