// Puts the daemon's fires on record in Redis: keeps the leases of those running (so that no claim
// takes them for lost while they run), and tells finish.lua how each one ended, in batches (one
// round trip for all that ended within FINISH_LINGER_MS of the first: at a steady 1,000 fires a
// second, one call per run cost Redis more than the runs' records; issue 28). finish.lua puts it on
// record, once: only for a fire this daemon still holds (the row of a run not retried made here:
// store/fire-scripts.ts rowsOf). For a failed run the retry rule says whether its
// failure is one to retry; finish.lua decides whether and when the retry happens
// (include/retry.lua, as the claim does for a lost run).
import { backoffMs } from '../backoff.js';
import type { Clock, Sleep } from '../clock.js';
import { messageOf } from '../errors.js';
import type { DaemonLogs } from '../log/daemon-logs.js';
import { logRetry } from '../log/fire-log.js';
import { isRetryable } from '../runner/retry-rule.js';
import type { RunnerResult } from '../runner/runner-result.js';
import { latenessMs, type RunEnding } from '../runs/record.js';
import type { EndedRun, Fire, FireStore, RunRecord } from '../store/open-store.js';
import { LeaseFence, type LeaseFenceDeps } from './lease-fence.js';

/** A run that ended, with its whole fire (what alerts say of its task). */
export type Ended = EndedRun & { fire: Fire };

const RETRY_MAX_MS = 5000;
/** At shutdown, finishes still failing are given up after this many attempts (their fires go lost). */
const ATTEMPTS_AT_SHUTDOWN = 5;
/**
 * How long the first run that ended waits for others to go on record with it (real time, not the
 * Redis clock: it only gathers a batch). Short beside any lease, and beside a ticker's interval.
 */
export const FINISH_LINGER_MS = 5;

export interface RunRecorderDeps {
  fires: Pick<FireStore, 'finish' | 'renew'>;
  /** The Redis clock. */
  clock: Clock;
  /** This daemon's id: its records name its host and pid (runs/ids.ts). */
  owner: string;
  /** How long a lease lasts from a begin or a renewal; renewed every quarter of it. */
  keepMs: number;
  logs: Pick<DaemonLogs, 'error' | 'runed'>;
  /**
   * Each run put on record as finish.lua kept it, with its task's failures in a row
   * (Finished.streak), and how it ended (its fire, what it printed): alerts, metrics.
   */
  onRecorded?: (record: RunRecord, streak: number, retried: boolean, run: Ended) => void;
  /**
   * Self-fencing (daemon/lease-fence.ts): how a run whose lease this daemon cannot renew is
   * stopped before its deadline, and shutdown_grace. None: runs are never stopped so (tests).
   */
  fence?: Pick<LeaseFenceDeps, 'graceMs' | 'stop'>;
  /** FINISH_LINGER_MS unless given (0: the end of the event loop's turn). */
  lingerMs?: number;
}

export class RunRecorder {
  private readonly running = new Map<string, Pick<Fire, 'id' | 'token'>>();
  private readonly fence: LeaseFence | null;
  private queue: Ended[] = [];
  private flushing: Promise<void> | null = null;
  /** Ends the current linger, while one lasts. */
  private lingering: (() => void) | null = null;
  private renewSleep: Sleep | undefined;
  private renewing = false;
  private closing = false;

  constructor(private readonly deps: RunRecorderDeps) {
    const { fence, clock, keepMs } = deps;
    this.fence = fence ? new LeaseFence({ ...fence, clock, keepMs }) : null;
  }

  /** A begun fire runs, its lease held until `leaseUntilMs` (its begin's): kept until it ends. */
  started(fire: Fire, leaseUntilMs: number): void {
    this.running.set(fire.id, fire);
    this.fence?.holds(fire.id, leaseUntilMs);
    if (!this.renewing) void this.renewLoop();
  }

  /** A fire ended: its record goes with the next batch. */
  finished(fire: Fire, startedMs: number, result: RunnerResult): void {
    this.running.delete(fire.id);
    this.fence?.ended(fire.id);
    this.queue.push(this.ended(fire, startedMs, result));
    this.flushing ??= this.linger().then(() => this.flush());
  }

  /** Waits for more runs to end before a batch goes; close() ends the wait. */
  private linger(): Promise<void> {
    const ms = this.closing ? 0 : (this.deps.lingerMs ?? FINISH_LINGER_MS);
    if (ms <= 0) return new Promise<void>((r) => setImmediate(r));
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.endLinger(), ms);
      this.lingering = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private endLinger(): void {
    const end = this.lingering;
    this.lingering = null;
    end?.();
  }

  /** Writes what is queued (at shutdown: gives up after a few failed attempts). */
  async close(): Promise<void> {
    this.closing = true;
    this.endLinger();
    this.fence?.close();
    this.renewSleep?.wake();
    while (this.flushing) await this.flushing;
  }

  /** How `fire`'s run ended, and the retry rule's verdict on a failure. */
  private ended(fire: Fire, startedMs: number, r: RunnerResult): Ended {
    const ending: RunEnding = {
      startedMs,
      finishedMs: this.deps.clock.nowMs(),
      latenessMs: latenessMs(startedMs, fire.dueMs),
      durationMs: Math.round(r.durationMs),
      result: r.ok ? 'ok' : 'failed',
      exitCode: r.exitCode,
      signal: r.signal,
      httpStatus: r.httpStatus,
      timedOut: r.timedOut,
      error: r.error,
      stdout: r.stdout,
      stderr: r.stderr,
    };
    return { fire, ending, retryable: fire.retry_delay !== undefined && isRetryable(r) };
  }

  private async flush(): Promise<void> {
    for (let attempt = 0; this.queue.length > 0; attempt++) {
      const batch = this.queue;
      this.queue = [];
      try {
        const held = await this.deps.fires.finish({
          owner: this.deps.owner,
          nowMs: this.deps.clock.nowMs(),
          runs: batch,
        });
        held.forEach(({ record, streak, retried }, i) => {
          const run = batch[i];
          if (!run) return;
          if (!record) {
            this.notHeld(run);
            return;
          }
          if (retried) logRetry(this.deps.logs, record);
          this.deps.onRecorded?.(record, streak, retried, run);
        });
        attempt = -1;
      } catch (err) {
        this.queue = batch.concat(this.queue);
        if (attempt === 0)
          this.deps.logs.error.warn(
            { event: 'finish_retry', err: messageOf(err), runs: batch.length },
            'cannot put runs on record; retrying',
          );
        if (this.closing && attempt + 1 >= ATTEMPTS_AT_SHUTDOWN) {
          this.deps.logs.error.error(
            { event: 'finish_failed', runs: this.queue.length },
            'runs not put on record; they will be recorded lost',
          );
          this.queue = [];
          break;
        }
        await this.deps.clock.sleep(backoffMs(attempt, RETRY_MAX_MS)).done;
      }
    }
    this.flushing = null;
  }

  /** A fire another daemon took over, or already recorded lost: said in error.log. */
  private notHeld({ fire, ending }: EndedRun): void {
    this.deps.logs.error.warn(
      { event: 'finished_after_lost', kid: fire.kid, fire_id: fire.id, result: ending.result },
      'a run ended after it had been recorded lost (its lease ran out); this record is not kept',
    );
  }

  private isClosing(): boolean {
    return this.closing;
  }

  private async renewLoop(): Promise<void> {
    this.renewing = true;
    try {
      while (this.running.size > 0 && !this.closing) {
        this.renewSleep = this.deps.clock.sleep(this.deps.keepMs / 4);
        await this.renewSleep.done;
        // A method, not the field: the compiler's narrowing cannot see close() run during the await.
        if (this.running.size === 0 || this.isClosing()) break;
        const deadlineMs = this.deps.clock.nowMs() + this.deps.keepMs;
        const fires = [...this.running.values()];
        await this.deps.fires
          .renew({ owner: this.deps.owner, deadlineMs, fires })
          .then((renewed) => {
            // Renewed: the fence waits for the new deadline (renew.lua's: whole ms). Not this
            // daemon's any more (recorded lost meanwhile): stopped now, not run beside its retry.
            const until = Math.floor(deadlineMs);
            fires.forEach((f, i) => {
              if (!this.running.has(f.id)) return;
              if (renewed[i] === true) this.fence?.holds(f.id, until);
              else this.fence?.revoke(f.id);
            });
          })
          .catch((err: unknown) =>
            this.deps.logs.error.warn(
              { event: 'renew_failed', err: messageOf(err) },
              'cannot renew leases of running fires',
            ),
          );
      }
    } finally {
      this.renewing = false;
    }
  }
}
