// Computes the run times cron tasks carry ahead, when a claim asks for them (a task running low,
// or parked because none of its known runs lies after now). The claim never guesses a calendar:
// croner does it here, off the claim's path, a few milliseconds of work at a time so that the
// loop keeps firing on time, and each result is written only if the task is unchanged.
import type { Clock } from '../clock.js';
import { messageOf } from '../errors.js';
import type { DaemonLogs } from '../log/daemon-logs.js';
import { logMissed } from '../log/fire-log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Refill, TaskStore } from '../store/open-store.js';
import { refillCron } from '../tasks/schedule.js';
import { decodeTask } from '../tasks/task.js';

/** Computing stops for a turn of the event loop after this long, ms. */
const SLICE_MS = 5;
/** At most this many tasks per refill script. */
const BATCH = 500;

export interface CronRefillDeps {
  tasks: Pick<TaskStore, 'refill'>;
  /** The Redis clock: the misfire rules compare runs with its now. */
  clock: Clock;
  logs: Pick<DaemonLogs, 'runed' | 'error'>;
  /** Runs the misfire policy did not fire (docs/metrics-and-health.md). */
  metrics?: Pick<Metrics, 'runsMissed'>;
  /** This daemon's owner id: the host of the missed runs a refill puts on record. */
  owner?: string;
}

export class CronRefiller {
  /** kid -> the task JSON the claim saw (the newest request wins). */
  private readonly pending = new Map<string, string>();
  private working: Promise<void> | null = null;
  /** Kids whose expression croner refuses: said once, not every time the claim asks. */
  private readonly refused = new Set<string>();
  refilled = 0;

  constructor(private readonly deps: CronRefillDeps) {}

  request(kid: string, raw: string): void {
    this.pending.set(kid, raw);
    this.working ??= this.work().finally(() => {
      this.working = null;
    });
  }

  /** Resolves once every request so far is written (or failed): for tests and shutdown. */
  async idle(): Promise<void> {
    while (this.working) await this.working;
  }

  private async work(): Promise<void> {
    while (this.pending.size > 0) {
      const batch = this.computeSlice();
      try {
        this.refilled += await this.deps.tasks.refill(batch, {
          owner: this.deps.owner ?? '',
          nowMs: this.deps.clock.nowMs(),
        });
      } catch (err) {
        // Not written: the claim asks again when the task comes due.
        this.deps.logs.error.warn(
          { event: 'refill_failed', err: messageOf(err) },
          'cannot store cron run times',
        );
      }
      await new Promise((r) => setImmediate(r));
    }
  }

  private computeSlice(): Refill[] {
    const started = performance.now();
    const batch: Refill[] = [];
    for (const [kid, raw] of this.pending) {
      this.pending.delete(kid);
      const item = this.compute(kid, raw);
      if (item) batch.push(item);
      if (batch.length >= BATCH || performance.now() - started >= SLICE_MS) break;
    }
    return batch;
  }

  private compute(kid: string, raw: string): Refill | null {
    try {
      const planned = refillCron(decodeTask(kid, raw), this.deps.clock.nowMs());
      if (!planned) return null;
      this.refused.delete(kid);
      const { missed } = planned;
      if (!missed) return { kid, expectedRaw: raw, task: planned.task };
      logMissed(this.deps.logs, kid, missed);
      const count = missed.count ?? 1;
      this.deps.metrics?.runsMissed(missed.policy, count);
      const { policy, firstDueMs } = missed;
      const gap = { policy, count, firstDueMs, lastDueMs: missed.lastDueMs ?? firstDueMs };
      return { kid, expectedRaw: raw, task: planned.task, missed: gap };
    } catch (err) {
      if (!this.refused.has(kid)) {
        this.refused.add(kid);
        this.deps.logs.error.error(
          { event: 'refill_refused', kid, err: messageOf(err) },
          `cron task ${kid}: its next runs cannot be computed; fix it with \`ktimer update\` or delete it`,
        );
      }
      return null;
    }
  }
}
