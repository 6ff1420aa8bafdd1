// The run history against a real Redis: what finish.lua and claim.lua put on record, how much is
// kept (per task, by age, across tasks), and what the history reads give back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Fire, RunRecord, RunSummary } from '../../src/store/open-store.js';
import { SUMMARY_FIELDS } from '../../src/runs/record.js';
import { HistoryStore } from '../../src/store/history-store.js';
import { RedisAccess } from '../../src/store/redis-access.js';
import { KtimerError } from '../../src/errors.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { storedTask } from '../helpers/stored-tasks.js';
import { claimBeginFinish, endingOf, historyRules, storesOn, testKeys } from '../helpers/stores.js';

const redis = usePrivateRedis();
const T0 = 1_800_000_000_000;
let n = 0;

function setup(rules: Parameters<typeof historyRules>[1] = {}) {
  const keys = testKeys(`h${++n}`);
  const stores = storesOn(redis.client, keys, 0, historyRules(keys, rules));
  const history = new HistoryStore(
    new RedisAccess(redis.client, keys, (e) => new KtimerError('redis', String(e))),
  );
  /** Claims, begins and finishes `runs` fires of a 1-second ticker `kid`, the i-th ok unless failed(i). */
  const fireTicker = async (
    kid: string,
    runs: number,
    failed = (_i: number) => false,
    startMs = T0,
    from = 0,
  ) => {
    if (from === 0)
      await stores.tasks.add(
        kid,
        storedTask({ type: 'ticker', time: 1, limit: 0, command: 'true', run_nexttime: startMs / 1000 }),
        100,
      );
    for (let i = from; i < from + runs; i++) {
      const nowMs = startMs + i * 1000;
      const { fired, recorded } = await claimBeginFinish(stores.fires, {
        nowMs,
        owner: OWNER,
        endingOf: (f) => ending(f, nowMs, failed(i)),
      });
      assert.deepEqual(
        recorded,
        fired.map(() => true),
      );
    }
  };
  return { keys, stores, history, fireTicker };
}

/** The daemon that runs them: host h1, pid 11. */
const OWNER = 'h1:11:x';

/** How a run that started at `startedMs` ended: 5 ms later, ok, or failed with exit 7. */
const ending = (fire: Fire, startedMs: number, failed: boolean) =>
  endingOf(fire, { startedMs, ok: !failed, exitCode: failed ? 7 : 0, stdout: failed ? 'boom\n' : 'fine\n' });

/** The record finish.lua makes of such a run of `fire` (due at dueMs). */
const recordOf = (
  fire: Pick<Fire, 'id' | 'kid' | 'type' | 'kind' | 'dueMs'>,
  startedMs: number,
): RunRecord => ({
  fire_id: fire.id,
  kid: fire.kid,
  type: fire.type,
  kind: fire.kind,
  due: fire.dueMs / 1000,
  started: startedMs / 1000,
  finished: (startedMs + 5) / 1000,
  lateness_ms: startedMs - fire.dueMs,
  duration_ms: 5,
  result: 'ok',
  ok: true,
  exit_code: 0,
  output_bytes: [5, 0],
  output: 'fine\n',
  host: 'h1',
  pid: 11,
  trigger: 'schedule',
  attempt: 1,
});

test("a task's runs, newest first, each once, with its last run beside the task", async () => {
  const { keys, stores, history, fireTicker } = setup();
  await fireTicker('t', 5, (i) => i === 3);
  const runs = await history.ofTask('t', 20);
  assert.deepEqual(
    runs.map((r) => [r.fire_id, r.result, r.exit_code]),
    [
      ['t:5', 'ok', 0],
      ['t:4', 'failed', 7],
      ['t:3', 'ok', 0],
      ['t:2', 'ok', 0],
      ['t:1', 'ok', 0],
    ],
  );
  assert.equal((await history.ofTask('t', 2)).length, 2);
  assert.equal((await history.byFireId('t:4'))?.output, 'boom\n');
  assert.equal(await history.byFireId('t:99'), null);
  const [last] = await stores.tasks.lastRuns(['t']);
  assert.deepEqual([last?.fire_id, last?.result, last?.host], ['t:5', 'ok', 'h1']);
  assert.equal((last as Record<string, unknown>).output, undefined, 'the summary carries no output');
  assert.equal(await redis.client.xlen(keys.runs), 5);
});

test('bounded: history_per_task records per task, none past history_max_age, history_max_runs across tasks', async () => {
  const { keys, history, fireTicker } = setup({ perTask: 10, maxAgeMs: 60_000, maxRuns: 50 });
  await fireTicker('t', 30);
  assert.equal(await redis.client.llen(`${keys.history}t`), 10, 'the newest 10');
  assert.equal((await history.ofTask('t', 100))[0]?.fire_id, 't:30');
  const ttl = await redis.client.pttl(`${keys.history}t`);
  assert.ok(ttl > 50_000 && ttl <= 60_000, `a list nobody adds to expires (pttl ${ttl})`);
  // A run 2 minutes after the others: the old ones go (a few per run).
  await fireTicker('u', 1, () => false, T0 + 30_000);
  await fireTicker('t2', 1, () => false, T0 + 120_000);
  await fireTicker('t3', 60);
  assert.ok(
    (await redis.client.xlen(keys.runs)) <= 50 + 100,
    'the stream is trimmed near 50 (approximately)',
  );
});

test('a ticker firing every second keeps the same memory once its bounds are reached', async () => {
  const { keys, fireTicker } = setup({ perTask: 100, maxRuns: 200 });
  const usage = async () =>
    Number(await redis.client.memory('USAGE', `${keys.history}t`)) +
    Number(await redis.client.memory('USAGE', keys.runs));
  await fireTicker('t', 300);
  const before = await usage();
  await fireTicker('t', 300, () => false, T0, 300);
  const after = await usage();
  assert.ok(after < before * 1.25, `flat: ${before} B after 300 runs, ${after} B after 600`);
  assert.equal(await redis.client.llen(`${keys.history}t`), 100);
});

test('the runs of every task, newest first: only failures, only since a time', async () => {
  const { history, fireTicker } = setup();
  await fireTicker('a', 3, (i) => i === 1);
  await fireTicker('b', 3, (i) => i === 2);
  const all = await history.runs({ sinceMs: null, count: 50, failedOnly: false });
  assert.equal(all.length, 6);
  assert.deepEqual(
    all.slice(0, 2).map((r) => r.fire_id),
    ['b:3', 'b:2'],
  );
  const failed = await history.runs({ sinceMs: null, count: 50, failedOnly: true });
  assert.deepEqual(
    failed.map((r) => r.fire_id),
    ['b:3', 'a:2'],
  );
  assert.equal(
    (await history.runs({ sinceMs: Date.now() + 60_000, count: 50, failedOnly: false })).length,
    0,
  );
  assert.equal((await history.runs({ sinceMs: null, count: 4, failedOnly: false })).length, 4);
});

test('a deleted task loses its last run; its history stays until it ages out', async () => {
  const { keys, stores, history, fireTicker } = setup();
  await fireTicker('t', 2);
  assert.equal((await stores.tasks.del(['t'])).removed, 1);
  assert.deepEqual(await stores.tasks.lastRuns(['t']), [null]);
  assert.equal((await history.ofTask('t', 10)).length, 2);
  assert.equal(await redis.client.hexists(keys.last, 't'), 0);
});

test('a record is kept as a row of values, no field names, and read back whole', async () => {
  const { keys, history, fireTicker } = setup();
  await fireTicker('t', 2);
  const raw = await redis.client.lindex(`${keys.history}t`, 0);
  const [fire] = await history.ofTask('t', 1);
  assert.ok(fire);
  // type and kind as codes (ticker 1, shell 0); the nulls of most runs (http_status) after pid;
  // the fire id less the kid, which the list's key names.
  assert.deepEqual(JSON.parse(raw ?? ''), [
    ':2',
    1,
    0,
    fire.due,
    (T0 + 1000) / 1000,
    (T0 + 1005) / 1000,
    T0 + 1000 - fire.due * 1000,
    5,
    'ok',
    0,
    'h1',
    11,
    [5, 0],
  ]);
  const given = { id: 't:2', kid: 't', type: 'ticker', kind: 'shell', dueMs: fire.due * 1000 } as const;
  assert.deepEqual(fire, recordOf(given, T0 + 1000), 'every field of the fire and its ending');
});

test('a row as ktimer 4.0.0 stored it (type and kind by name, http_status and output before host) reads the same', async () => {
  const { keys, history, fireTicker } = setup();
  await fireTicker('t', 2);
  const [now] = await history.ofTask('t', 1);
  const whole = await history.byFireId('t:2');
  assert.ok(now && whole);
  // The same run as 4.0.0 wrote it, its output apart as now; a URL run's too (http_status, no exit code).
  const old = [
    't:2',
    'ticker',
    'shell',
    now.due,
    now.started,
    now.finished,
    now.lateness_ms,
    5,
    'ok',
    0,
    null,
    [5, 0],
    'h1',
    11,
  ];
  const oldUrl = [
    't:1',
    'ticker',
    'url',
    now.due,
    null,
    now.finished,
    null,
    null,
    'failed',
    null,
    503,
    null,
    'h2',
    12,
    'HTTP 503',
  ];
  await redis.client.del(`${keys.history}t`);
  await redis.client.rpush(`${keys.history}t`, JSON.stringify(old), JSON.stringify(oldUrl));
  assert.deepEqual(await history.ofTask('t', 1), [now], 'history');
  assert.deepEqual(await history.byFireId('t:2'), whole, 'output: the record and its output whole');
  const url = await history.byFireId('t:1');
  assert.deepEqual(
    [
      url?.type,
      url?.kind,
      url?.result,
      url?.ok,
      url?.http_status,
      url?.exit_code,
      url?.host,
      url?.pid,
      url?.error,
    ],
    ['ticker', 'url', 'failed', false, 503, undefined, 'h2', 12, 'HTTP 503'],
  );
});

/** A summary as ktimer 4.2 wrote it into the runs stream: its fields, empty where none, started in ms. */
const entryOf42 = (s: RunSummary): string[] =>
  SUMMARY_FIELDS.flatMap((f) => {
    const v = s[f];
    const usual = (f === 'trigger' && v === 'schedule') || (f === 'attempt' && v === 1);
    if (f === 'started') return ['started_ms', v === undefined ? '' : String(Math.round(Number(v) * 1000))];
    return [f, v === undefined || usual ? '' : String(v)];
  });

test('runs stream entries and last runs as ktimer 4.2 stored them read the same beside rows, and leave as theirs', async () => {
  const { keys, stores, history, fireTicker } = setup({ maxRuns: 4 });
  await fireTicker('t', 2, (i) => i === 1);
  const all = { sinceMs: null, count: 10, failedOnly: false };
  const runs = await history.runs(all);
  const [last] = await stores.tasks.lastRuns(['t']);
  assert.deepEqual(
    (await redis.client.xrange(keys.runs, '-', '+')).map(([, f]) => f[0]),
    ['row', 'row'],
    'an entry holds the row',
  );
  // The same row, its fire id whole (in the list, less the kid the key names).
  assert.equal(
    await redis.client.hget(keys.last, 't'),
    `["t${(await redis.client.lindex(`${keys.history}t`, 0))?.slice(2) ?? ''}`,
  );
  // The same runs as 4.2 kept them: an entry's fields (under the same ids), the last run's JSON.
  const ids = (await redis.client.xrange(keys.runs, '-', '+')).map(([id]) => id);
  await redis.client.del(keys.runs);
  for (const [i, s] of [...runs].reverse().entries())
    await redis.client.xadd(keys.runs, ids[i] ?? '*', ...entryOf42(s));
  const { kid: _kid, ok: _ok, ...stored } = last ?? { kid: '', ok: false };
  await redis.client.hset(keys.last, 't', JSON.stringify(stored));
  assert.equal(
    JSON.stringify(await history.runs(all)),
    JSON.stringify(runs),
    'the same summaries, fields in order',
  );
  assert.deepEqual(await stores.tasks.lastRuns(['t']), [last]);
  // Four runs more: the stream keeps 4, the two 4.2 entries leave first, with their rows and outputs.
  await fireTicker('t', 4, () => false, T0, 2);
  const fireIds = ['t:6', 't:5', 't:4', 't:3'];
  assert.deepEqual(
    (await history.runs(all)).map((r) => r.fire_id),
    fireIds,
  );
  assert.deepEqual(
    (await history.ofTask('t', 10)).map((r) => r.fire_id),
    fireIds,
  );
  assert.equal(await redis.client.exists(`${keys.output}t:1`, `${keys.output}t:2`), 0);
  assert.equal((await stores.tasks.lastRuns(['t']))[0]?.fire_id, 't:6');
});

test('records past history_max_age leave the list: rows, and objects as ktimer 2.0 stored them', async () => {
  const { keys, history, fireTicker } = setup({ maxAgeMs: 60_000 });
  await fireTicker('t', 3);
  const old = {
    fire_id: 't:0',
    type: 'ticker',
    kind: 'shell',
    due: 1,
    finished: T0 / 1000 - 3600,
    result: 'ok',
    host: 'h0',
  };
  await redis.client.rpush(`${keys.history}t`, JSON.stringify(old));
  assert.deepEqual(
    (await history.ofTask('t', 10)).map((r) => [r.fire_id, r.kid, r.ok]),
    [
      ['t:3', 't', true],
      ['t:2', 't', true],
      ['t:1', 't', true],
      ['t:0', 't', true],
    ],
    'a 2.0 object is read as before',
  );
  assert.equal((await history.byFireId('t:0'))?.host, 'h0');
  assert.equal((await history.byFireId('t:2'))?.fire_id, 't:2');
  await fireTicker('t', 1, () => false, T0 + 120_000, 3);
  assert.deepEqual(
    (await history.ofTask('t', 10)).map((r) => r.fire_id),
    ['t:4', 't:missed-1800000004'],
    'the object and the rows older than 60 s went (the runs of the two minutes skipped over: on record as missed)',
  );
});
