// `history` and `runs` show the runs latest start first. Redis keeps them in the order they were
// recorded (when each ended): a run that started first and ran longest came out on top, so
// STARTED read out of order (the issue's `history slow`: 4, 6, 5, 1, 3, 2).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KtimerError } from '../../src/errors.js';
import { HistoryService, latestStartFirst } from '../../src/service/history-service.js';
import { LiveOutputStore } from '../../src/store/live-output-store.js';
import { HistoryStore } from '../../src/store/history-store.js';
import type { RunEnding } from '../../src/runs/record.js';
import { RedisAccess } from '../../src/store/redis-access.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { storedTask } from '../helpers/stored-tasks.js';
import { claimBeginFinish, storesOn, testKeys } from '../helpers/stores.js';

const redis = usePrivateRedis();
const T0 = 1_800_000_000_000;

/** A run that started at `startedMs` and took `durationMs`. */
const endingOf = (startedMs: number, durationMs: number): RunEnding => ({
  startedMs,
  finishedMs: startedMs + durationMs,
  latenessMs: 0,
  durationMs,
  result: 'ok',
  exitCode: 0,
  signal: null,
  httpStatus: null,
  timedOut: false,
  error: null,
  stdout: '',
  stderr: '',
});

test('history and runs: latest start first, though recorded as they ended', async () => {
  const keys = testKeys('order');
  const stores = storesOn(redis.client, keys);
  const store = new HistoryStore(
    new RedisAccess(redis.client, keys, (e) => new KtimerError('redis', String(e))),
  );
  const kid = 'slow';
  await stores.tasks.add(
    kid,
    storedTask({ type: 'ticker', time: 1, limit: 0, run_nexttime: T0 / 1000 }),
    100,
  );
  // Recorded in this order (as they ended); run 1 started first and ran longest.
  const startedS = [0, 3, 1, 2];
  for (const [i, s] of startedS.entries()) {
    await claimBeginFinish(stores.fires, {
      nowMs: T0 + i * 1000,
      endingOf: () => endingOf(T0 + s * 1000, (10 - s) * 1000),
    });
  }
  const history = new HistoryService({
    history: async () => store,
    live: async () =>
      new LiveOutputStore(new RedisAccess(redis.client, keys, (e) => new KtimerError('redis', String(e)))),
    resolveKid: async (ref) => ref,
    nowMs: async () => T0,
    timezone: 'UTC',
  });
  const seconds = (rows: { started?: number }[]) => rows.map((r) => ((r.started ?? 0) * 1000 - T0) / 1000);
  assert.deepEqual(seconds((await store.ofTask(kid, 10)).reverse()), startedS, 'the store: as recorded');
  assert.deepEqual(seconds((await history.ofTask(kid)).runs), [3, 2, 1, 0]);
  assert.deepEqual(seconds(await history.runs({})), [3, 2, 1, 0]);
});

test('a run that never started goes by its due time, or beside the run recorded after it', () => {
  const rows = [
    { id: 'a', started: 5 },
    { id: 'skipped', due: 9 },
    { id: 'b', started: 7 },
    { id: 'summary-skipped' },
    { id: 'c', started: 1 },
  ];
  assert.deepEqual(
    latestStartFirst(rows).map((r) => r.id),
    ['skipped', 'b', 'summary-skipped', 'a', 'c'],
  );
});
