// The daemon's cron refiller against a real Redis: what the claim asks for is computed and
// written back (compare-and-set), a parked task is scheduled by its misfire policy, and a task
// whose expression cannot be computed is reported once, not at every claim.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { CronRefiller } from '../../src/daemon/cron-refill.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { CRON_AHEAD, firstSchedule } from '../../src/tasks/schedule.js';
import { encodeTask, type Task } from '../../src/tasks/task.js';
import { memoryLogs } from '../helpers/memory-logs.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { storesOn, testKeys } from '../helpers/stores.js';

const redis = usePrivateRedis();
const T0 = Date.parse('2026-12-01T10:00:00Z');

const cron = (expr: string, over: Partial<Task> = {}): Task => {
  const spec = { type: 'cron' as const, time: 0, limit: 0, command: 'true', cron: expr, tz: 'UTC' };
  return { ...spec, run_num: 0, run_lasttime: 0, ...firstSchedule(spec, 100, T0), ...over };
};

test('requests are computed in the background and written only where the task is unchanged', async () => {
  const keys = testKeys('r1');
  const { tasks } = storesOn(redis.client, keys);
  const logs = memoryLogs();
  const metrics = new Metrics({
    running: () => 0,
    redisUp: () => true,
    taskCounts: async () => ({ total: 0, paused: 0, withoutDaemon: 0 }),
  });
  const refiller = new CronRefiller({ tasks, clock: new ManualClock(T0 + 3_600_000), logs, metrics });
  const low = cron('*/5 * * * *', { runs: [T0 / 1000 + 600] });
  const parked = cron('*/5 * * * *', { parked: T0 / 1000, runs: undefined, run_nexttime: T0 / 1000 + 3605 });
  const changed = cron('@hourly');
  for (const [kid, task] of [
    ['low', low],
    ['parked', parked],
    ['changed', changed],
  ] as const)
    await tasks.add(kid, task, 100);
  refiller.request('low', encodeTask(low));
  refiller.request('parked', encodeTask(parked));
  refiller.request('changed', encodeTask({ ...changed, limit: 9 })); // not what Redis holds
  await refiller.idle();
  assert.equal(refiller.refilled, 2);
  assert.equal((await tasks.get('low'))?.task.runs?.length, CRON_AHEAD);
  const now = (await tasks.get('parked'))?.task;
  assert.equal(now?.parked, undefined);
  assert.equal(now?.run_nexttime, T0 / 1000, 'misfire once: the first run missed fires');
  assert.equal(now?.runs?.[0], (T0 + 3_900_000) / 1000, 'then the first run after now');
  assert.deepEqual(
    logs.events('runed', 'missed').map((e) => [e.kid, e.misfire]),
    [['parked', 'once']],
  );
  // The missed runs of a parked task go uncounted (a calendar walk): the gap counts once.
  const missed = logs.events('runed', 'missed')[0]?.missed;
  assert.match(
    await metrics.scrape(),
    new RegExp(`^ktimer_missed_runs_total\\{misfire="once"\\} ${missed ?? 1}$`, 'm'),
  );
  assert.equal(Number(await redis.client.zscore(keys.schedule, 'parked')), T0 / 1000);
  assert.equal((await tasks.get('changed'))?.task.runs?.length, CRON_AHEAD, 'left as it was');
});

test('an expression that cannot be computed is reported once, and nothing is written', async () => {
  const keys = testKeys('r2');
  const { tasks } = storesOn(redis.client, keys);
  const logs = memoryLogs();
  const refiller = new CronRefiller({ tasks, clock: new ManualClock(T0), logs });
  const bad = { ...cron('@hourly'), cron: 'every tuesday' };
  for (let i = 0; i < 3; i++) {
    refiller.request('bad', encodeTask(bad));
    await refiller.idle();
  }
  assert.equal(refiller.refilled, 0);
  assert.equal(logs.events('error', 'refill_refused').length, 1);
});
