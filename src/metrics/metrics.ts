// The daemon's Prometheus metrics (docs/metrics-and-health.md): what its parts report as fires happen
// (counters, histograms), what a scrape reads at that moment (running tasks, task counts, Redis),
// and Node's process metrics. One registry per daemon, on its main thread, where fires happen;
// the web API's thread asks for the text (scrape()).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { type CommandKind, MISFIRES, type Misfire } from '../tasks/task.js';
import { CLAIM_BUCKETS_SEC, DURATION_BUCKETS_SEC, LATENESS_BUCKETS_SEC } from './buckets.js';

/** How a fire ended, as ktimer_fires_total counts it. */
export type FireResult = 'ok' | 'failed' | 'timed_out' | 'skipped' | 'lost';

export const FIRE_RESULTS: readonly FireResult[] = ['ok', 'failed', 'timed_out', 'skipped', 'lost'];
const KINDS: readonly CommandKind[] = ['shell', 'url'];

/** What a scrape reads from the daemon at that moment. */
export interface MetricsSources {
  /** Fires of this kind running now. */
  running(kind: CommandKind): number;
  /** The loop reaches Redis. */
  redisUp(): boolean;
  /** Tasks in Redis, paused ones included, the paused ones, those waiting for a daemon. */
  taskCounts(): Promise<TaskCounts>;
}

export interface TaskCounts {
  total: number;
  paused: number;
  /** Tasks scheduled whose labels no live daemon holds all of: they wait (docs/fleet.md). */
  withoutDaemon: number;
}

/** A scrape waits this long for the task counts; beyond, it shows the last ones it had. */
const COUNT_WAIT_MS = 500;

export class Metrics {
  private readonly registry = new Registry();
  private readonly fires: Counter<'kind' | 'result'>;
  private readonly retries: Counter<'kind'>;
  private readonly notificationFailures: Counter;
  private readonly missed: Counter<'misfire'>;
  private readonly lateness: Histogram<'kind'>;
  private readonly duration: Histogram<'kind'>;
  private readonly claim: Histogram;
  private readonly shardRefusals: Counter;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    this.fires = new Counter({
      name: 'ktimer_fires_total',
      help: 'Fires that ended, by kind (shell, url) and result (ok, failed, timed_out, skipped, lost)',
      labelNames: ['kind', 'result'],
      registers,
    });
    this.retries = new Counter({
      name: 'ktimer_retries_total',
      help: 'Retries of failed fires scheduled, by kind',
      labelNames: ['kind'],
      registers,
    });
    this.notificationFailures = new Counter({
      name: 'ktimer_notification_failures_total',
      help: 'Failure notifications (alerts) that could not be delivered',
      registers,
    });
    this.missed = new Counter({
      name: 'ktimer_missed_runs_total',
      help: "Runs of tickers and cron tasks that came due while no daemon claimed them and were not fired, by the task's misfire policy",
      labelNames: ['misfire'],
      registers,
    });
    this.lateness = new Histogram({
      name: 'ktimer_fire_lateness_seconds',
      help: 'How long after its due time a fire started, by kind',
      labelNames: ['kind'],
      buckets: [...LATENESS_BUCKETS_SEC],
      registers,
    });
    this.duration = new Histogram({
      name: 'ktimer_run_duration_seconds',
      help: 'How long a fire ran, by kind',
      labelNames: ['kind'],
      buckets: [...DURATION_BUCKETS_SEC],
      registers,
    });
    this.claim = new Histogram({
      name: 'ktimer_claim_duration_seconds',
      help: "How long one claim (the loop's Lua script, round trip included) took",
      buckets: [...CLAIM_BUCKETS_SEC],
      registers,
    });
    this.shardRefusals = new Counter({
      name: 'ktimer_shard_claims_refused_total',
      help: "Claims on a schedule shard refused by its lease's fence: another daemon took the shard while this one was paused or cut off (docs/shards.md)",
      registers,
    });
    // Every series from the start, at 0: rate() and alerts see the first failure too.
    for (const kind of KINDS) {
      for (const result of FIRE_RESULTS) this.fires.inc({ kind, result }, 0);
      this.retries.inc({ kind }, 0);
    }
    for (const misfire of MISFIRES) this.missed.inc({ misfire }, 0);
    this.gauges(sources);
    collectDefaultMetrics({ register: this.registry });
  }

  /** A fire ended (ok, failed, timed_out), was skipped (overlap), or was found lost. */
  runRecorded(kind: CommandKind, result: FireResult): void {
    this.fires.inc({ kind, result });
  }

  /** A fire that ran: its result, lateness (started - due) and duration, ms. */
  fireEnded(kind: CommandKind, result: FireResult, latenessMs: number, durationMs: number): void {
    this.runRecorded(kind, result);
    this.lateness.observe({ kind }, Math.max(0, latenessMs) / 1000);
    this.duration.observe({ kind }, Math.max(0, durationMs) / 1000);
  }

  /** A failed fire was scheduled to run again. */
  retryScheduled(kind: CommandKind): void {
    this.retries.inc({ kind });
  }

  /** `count` runs of a task were not fired: due while nobody claimed, and its misfire policy says so. */
  runsMissed(misfire: Misfire, count: number): void {
    this.missed.inc({ misfire }, count);
  }

  /** A failure notification (alert) could not be delivered. */
  notificationFailed(): void {
    this.notificationFailures.inc();
  }

  /** One claim took this long, ms. */
  claimTook(ms: number): void {
    this.claim.observe(ms / 1000);
  }

  /** A claim on a shard this daemon held was refused: another daemon holds its lease now. */
  shardClaimRefused(): void {
    this.shardRefusals.inc();
  }

  /** The Prometheus text of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private gauges(sources: MetricsSources): void {
    const registers = [this.registry];
    new Gauge({
      name: 'ktimer_running_tasks',
      help: 'Fires running now in this daemon, by kind',
      labelNames: ['kind'],
      registers,
      collect() {
        for (const kind of KINDS) this.set({ kind }, sources.running(kind));
      },
    });
    new Gauge({
      name: 'ktimer_redis_up',
      help: "1 while the daemon's loop reaches Redis, 0 while it retries",
      registers,
      collect() {
        this.set(sources.redisUp() ? 1 : 0);
      },
    });
    // Both from one question to Redis per scrape (the collects of a scrape run side by side).
    let asking: Promise<TaskCounts | null> | undefined;
    let last: TaskCounts | null = null;
    const counts = () =>
      (asking ??= withinMs(sources.taskCounts(), COUNT_WAIT_MS)
        .then((c) => (last = c ?? last))
        .finally(() => {
          asking = undefined;
        }));
    // Redis away or slow: the last counts stay (ktimer_redis_up says why).
    new Gauge({
      name: 'ktimer_tasks',
      help: 'Tasks in Redis, paused ones included (all daemons sharing it)',
      registers,
      async collect() {
        const c = await counts();
        if (c) this.set(c.total);
      },
    });
    new Gauge({
      name: 'ktimer_tasks_paused',
      help: 'Paused tasks in Redis (all daemons sharing it)',
      registers,
      async collect() {
        const c = await counts();
        if (c) this.set(c.paused);
      },
    });
    new Gauge({
      name: 'ktimer_tasks_without_daemon',
      help: 'Tasks whose labels (-on) no live daemon holds all of: they wait for one (all daemons sharing it)',
      registers,
      async collect() {
        const c = await counts();
        if (c) this.set(c.withoutDaemon);
      },
    });
  }
}

/** The value, or null when it fails or takes longer than `ms`. */
function withinMs<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  return Promise.race([promise.catch(() => null), late]).finally(() => clearTimeout(timer));
}
