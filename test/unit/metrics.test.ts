// The daemon's metrics as a scrape shows them: what its parts report (every result the lead's
// features will report too: skipped, retries, notification failures), the histograms' buckets,
// the gauges read at the scrape, and a scrape that Redis cannot hold up.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIRE_RESULTS, Metrics, type MetricsSources } from '../../src/metrics/metrics.js';

const sources = (over: Partial<MetricsSources> = {}): MetricsSources => ({
  running: (kind) => (kind === 'shell' ? 3 : 1),
  redisUp: () => true,
  taskCounts: async () => ({ total: 12, paused: 2, withoutDaemon: 1 }),
  ...over,
});

/** The value of one series in Prometheus text (`name{labels} value`). */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  assert.ok(line, `no series ${series} in:\n${text.slice(0, 2000)}`);
  return Number(line.slice(series.length + 1));
}

test('every kind and result is there from the start, at 0; runRecorded counts by kind and result', async () => {
  const m = new Metrics(sources());
  const before = await m.scrape();
  for (const kind of ['shell', 'url'])
    for (const result of FIRE_RESULTS)
      assert.equal(value(before, `ktimer_fires_total{kind="${kind}",result="${result}"}`), 0);
  m.runRecorded('shell', 'skipped');
  m.runRecorded('url', 'lost');
  m.runRecorded('url', 'lost');
  const text = await m.scrape();
  assert.equal(value(text, 'ktimer_fires_total{kind="shell",result="skipped"}'), 1);
  assert.equal(value(text, 'ktimer_fires_total{kind="url",result="lost"}'), 2);
  assert.equal(value(text, 'ktimer_fires_total{kind="shell",result="ok"}'), 0);
  assert.match(text, /# TYPE ktimer_fires_total counter/);
});

test('retries by kind and notification failures', async () => {
  const m = new Metrics(sources());
  m.retryScheduled('shell');
  m.retryScheduled('shell');
  m.notificationFailed();
  const text = await m.scrape();
  assert.equal(value(text, 'ktimer_retries_total{kind="shell"}'), 2);
  assert.equal(value(text, 'ktimer_retries_total{kind="url"}'), 0);
  assert.equal(value(text, 'ktimer_notification_failures_total'), 1);
});

test('fireEnded counts the result and puts lateness and duration in seconds into their buckets', async () => {
  const m = new Metrics(sources());
  m.fireEnded('url', 'ok', 0.7, 40);
  m.fireEnded('url', 'timed_out', 1500, 30_000);
  m.fireEnded('shell', 'failed', -3, 12); // started before due cannot be: counted as on time
  const text = await m.scrape();
  assert.equal(value(text, 'ktimer_fires_total{kind="url",result="ok"}'), 1);
  assert.equal(value(text, 'ktimer_fires_total{kind="url",result="timed_out"}'), 1);
  assert.equal(value(text, 'ktimer_fires_total{kind="shell",result="failed"}'), 1);
  // Lateness buckets fit 0.5 ms .. 2 s and beyond.
  assert.equal(value(text, 'ktimer_fire_lateness_seconds_bucket{le="0.0005",kind="url"}'), 0);
  assert.equal(value(text, 'ktimer_fire_lateness_seconds_bucket{le="0.001",kind="url"}'), 1);
  assert.equal(value(text, 'ktimer_fire_lateness_seconds_bucket{le="1",kind="url"}'), 1);
  assert.equal(value(text, 'ktimer_fire_lateness_seconds_bucket{le="2",kind="url"}'), 2);
  assert.equal(value(text, 'ktimer_fire_lateness_seconds_count{kind="url"}'), 2);
  assert.equal(value(text, 'ktimer_fire_lateness_seconds_sum{kind="url"}'), 1.5007);
  assert.equal(value(text, 'ktimer_fire_lateness_seconds_bucket{le="0.0005",kind="shell"}'), 1);
  assert.equal(value(text, 'ktimer_run_duration_seconds_bucket{le="0.05",kind="url"}'), 1);
  assert.equal(value(text, 'ktimer_run_duration_seconds_bucket{le="30",kind="url"}'), 2);
  assert.equal(value(text, 'ktimer_run_duration_seconds_sum{kind="shell"}'), 0.012);
});

test('claim durations', async () => {
  const m = new Metrics(sources());
  m.claimTook(0.3);
  m.claimTook(4);
  const text = await m.scrape();
  assert.equal(value(text, 'ktimer_claim_duration_seconds_bucket{le="0.0005"}'), 1);
  assert.equal(value(text, 'ktimer_claim_duration_seconds_bucket{le="0.005"}'), 2);
  assert.equal(value(text, 'ktimer_claim_duration_seconds_count'), 2);
});

test("claims refused by a shard's fence: 0 from the start, then counted", async () => {
  const m = new Metrics(sources());
  assert.equal(value(await m.scrape(), 'ktimer_shard_claims_refused_total'), 0);
  m.shardClaimRefused();
  assert.equal(value(await m.scrape(), 'ktimer_shard_claims_refused_total'), 1);
});

test('gauges read their sources at each scrape; process metrics come along', async () => {
  let up = true;
  let counts = { total: 12, paused: 2, withoutDaemon: 3 };
  let asked = 0;
  const m = new Metrics(
    sources({
      redisUp: () => up,
      taskCounts: async () => {
        asked++;
        return counts;
      },
    }),
  );
  let text = await m.scrape();
  assert.equal(value(text, 'ktimer_running_tasks{kind="shell"}'), 3);
  assert.equal(value(text, 'ktimer_running_tasks{kind="url"}'), 1);
  assert.equal(value(text, 'ktimer_tasks'), 12);
  assert.equal(value(text, 'ktimer_tasks_paused'), 2);
  assert.equal(value(text, 'ktimer_tasks_without_daemon'), 3);
  assert.equal(value(text, 'ktimer_redis_up'), 1);
  assert.equal(asked, 1, 'one question to Redis per scrape for the task gauges');
  assert.ok(value(text, 'process_resident_memory_bytes') > 0);
  assert.match(text, /^nodejs_eventloop_lag_seconds /m);
  up = false;
  counts = { total: 13, paused: 0, withoutDaemon: 0 };
  text = await m.scrape();
  assert.equal(value(text, 'ktimer_redis_up'), 0);
  assert.equal(value(text, 'ktimer_tasks'), 13);
  assert.equal(value(text, 'ktimer_tasks_paused'), 0);
});

test('task counts that fail or hang: the scrape answers at once or within 0.5 s, with the last counts', async () => {
  let mode: 'ok' | 'fail' | 'hang' = 'ok';
  const m = new Metrics(
    sources({
      taskCounts: () =>
        mode === 'ok'
          ? Promise.resolve({ total: 7, paused: 1, withoutDaemon: 0 })
          : mode === 'fail'
            ? Promise.reject(new Error('cannot reach Redis'))
            : new Promise(() => {}),
    }),
  );
  assert.equal(value(await m.scrape(), 'ktimer_tasks'), 7);
  mode = 'fail';
  assert.equal(value(await m.scrape(), 'ktimer_tasks'), 7);
  mode = 'hang';
  const started = performance.now();
  const text = await m.scrape();
  const tookMs = performance.now() - started;
  assert.ok(tookMs < 2000, `scrape took ${tookMs} ms`);
  assert.equal(value(text, 'ktimer_tasks'), 7);
  assert.equal(value(text, 'ktimer_tasks_paused'), 1);
});

test('missed runs by misfire policy, every policy there from the start', async () => {
  const m = new Metrics(sources());
  assert.equal(value(await m.scrape(), 'ktimer_missed_runs_total{misfire="all"}'), 0);
  m.runsMissed('skip', 7);
  m.runsMissed('skip', 1);
  const text = await m.scrape();
  assert.equal(value(text, 'ktimer_missed_runs_total{misfire="skip"}'), 8);
  assert.equal(value(text, 'ktimer_missed_runs_total{misfire="once"}'), 0);
});
