// Puts the daemon's fires on record in Redis: keeps the leases of those running (so that no claim
// takes them for lost while they run), and writes each one's run record when it ends, in
// batches (one finish.lua round trip for all that ended in one turn of the event loop). A record
// is written once: finish.lua records only a fire this daemon still holds. A failed run of a task
// with -retries goes on record with the time of its retry, which finish.lua hands out.
import { backoffMs } from '../backoff.js';
import type { Clock, Sleep } from '../clock.js';
import { messageOf } from '../errors.js';
import type { DaemonLogs } from '../log/daemon-logs.js';
import { isRetryable, retryWaitMs } from '../runner/retry-rule.js';
import type { RunnerResult } from '../runner/runner-result.js';
import type { Fire, FireStore, RunRecord } from '../store/open-store.js';

const RETRY_MAX_MS = 5000;
/** At shutdown, finishes still failing are given up after this many attempts (their fires go lost). */
const ATTEMPTS_AT_SHUTDOWN = 5;

export interface RunRecorderDeps {
  fires: Pick<FireStore, 'finish' | 'renew'>;
  /** The Redis clock. */
  clock: Clock;
  owner: string;
  /** This daemon, as records name it. */
  host: string;
  pid: number;
  /** How long a lease lasts from a begin or a renewal; renewed every quarter of it. */
  keepMs: number;
  logs: Pick<DaemonLogs, 'error' | 'runed'>;
  /** Each run put on record, with its task's failures in a row (Finished.streak): alerts, metrics. */
  onRecorded?: (record: RunRecord, streak: number, retried: boolean) => void;
  /** Retry waits' jitter (tests fix it). */
  random?: () => number;
}

interface Queued {
  fire: Pick<Fire, 'id' | 'token'>;
  record: RunRecord;
  retryAtMs: number | null;
}

export class RunRecorder {
  private readonly running = new Map<string, Pick<Fire, 'id' | 'token'>>();
  private queue: Queued[] = [];
  private flushing: Promise<void> | null = null;
  private renewSleep: Sleep | undefined;
  private renewing = false;
  private closing = false;

  constructor(private readonly deps: RunRecorderDeps) {}

  /** A begun fire runs: its lease is kept until it ends. */
  started(fire: Fire): void {
    this.running.set(fire.id, fire);
    if (!this.renewing) void this.renewLoop();
  }

  /** A fire ended: its record goes with the next batch. */
  finished(fire: Fire, startedMs: number, result: RunnerResult): void {
    this.running.delete(fire.id);
    this.queue.push(this.record(fire, startedMs, result));
    this.flushing ??= new Promise<void>((r) => setImmediate(r)).then(() => this.flush());
  }

  /** Writes what is queued (at shutdown: gives up after a few failed attempts). */
  async close(): Promise<void> {
    this.closing = true;
    this.renewSleep?.wake();
    while (this.flushing) await this.flushing;
  }

  private record(fire: Fire, startedMs: number, r: RunnerResult): Queued {
    const nowMs = this.deps.clock.nowMs();
    const attempt = fire.attempt ?? 1;
    const retryAtMs =
      fire.retries !== undefined &&
      fire.retry_delay !== undefined &&
      attempt <= fire.retries &&
      isRetryable(r)
        ? nowMs + retryWaitMs(fire.retry_delay, attempt, this.deps.random)
        : null;
    const record: RunRecord = {
      fire_id: fire.id,
      kid: fire.kid,
      type: fire.type,
      kind: fire.kind,
      due: fire.due,
      started: Math.round(startedMs) / 1000,
      finished: Math.round(nowMs) / 1000,
      lateness_ms: Math.round((startedMs - fire.due * 1000) * 10) / 10,
      duration_ms: Math.round(r.durationMs),
      result: r.ok ? 'ok' : 'failed',
      ok: r.ok,
      ...(r.exitCode !== null ? { exit_code: r.exitCode } : {}),
      ...(r.signal !== null ? { signal: r.signal } : {}),
      ...(r.httpStatus !== null ? { http_status: r.httpStatus } : {}),
      ...(r.timedOut ? { timed_out: true } : {}),
      ...(r.error !== null ? { error: r.error } : {}),
      output: r.output,
      host: this.deps.host,
      pid: this.deps.pid,
      trigger: fire.trigger ?? 'schedule',
      attempt,
      ...(retryAtMs !== null ? { retry_at: Math.round(retryAtMs) / 1000 } : {}),
    };
    return { fire, record, retryAtMs };
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
        held.forEach(({ recorded, streak, retried }, i) => {
          const record = batch[i]?.record;
          if (!record) return;
          if (!recorded) {
            this.notHeld(record);
            return;
          }
          // finish.lua hands out the retry asked for unless the task was paused or deleted
          // meanwhile: then the record it kept, and the one handed on, have no retry_at.
          if (retried) this.retrying(record);
          else delete record.retry_at;
          this.deps.onRecorded?.(record, streak, retried);
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

  /** A failed run whose retry finish.lua handed out. */
  private retrying(record: RunRecord): void {
    this.deps.logs.runed.info(
      {
        event: 'retry',
        kid: record.kid,
        fire_id: record.fire_id,
        attempt: record.attempt + 1,
        at: record.retry_at,
      },
      `run failed: attempt ${record.attempt + 1} is due at ${new Date((record.retry_at ?? 0) * 1000).toISOString()}`,
    );
  }

  /** A fire another daemon took over, or already recorded lost: said in error.log. */
  private notHeld(record: RunRecord): void {
    this.deps.logs.error.warn(
      { event: 'finished_after_lost', kid: record.kid, fire_id: record.fire_id, result: record.result },
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
        await this.deps.fires
          .renew({ owner: this.deps.owner, deadlineMs, fires: [...this.running.values()] })
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
