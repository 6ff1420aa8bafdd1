// Runs claimed fires: begins them durably in Redis (so each is started once), starts the shell
// command or URL call without blocking the loop, bounds how many run at once per kind, logs each
// outcome and hands it to the recorder (run history). Times are stamped on the injected (Redis)
// clock.
import { type Clock, type Sleep, sleepUntil } from '../clock.js';
import { messageOf } from '../errors.js';
import type { DaemonLogs } from '../log/daemon-logs.js';
import { logFire } from '../log/fire-log.js';
import type { FireResult, Metrics } from '../metrics/metrics.js';
import {
  emptyResult,
  type FireRequest,
  fireTimeoutMs,
  type OutputListener,
  type RunningTask,
  type RunnerResult,
} from '../runner/runner-result.js';
import type { CommandKind } from '../runs/kinds.js';
import type { DurableBegin, DurableBeginOptions, Fire, FireStore } from '../store/open-store.js';
import type { LivePublisher } from './live-publisher.js';
import type { RunRecorder } from './run-recorder.js';
import type { FireSink } from './scheduler.js';

export type Runners = Record<CommandKind, (req: FireRequest, onOutput?: OutputListener) => RunningTask>;

export interface DispatcherDeps {
  fires: Pick<FireStore, 'beginDurably'>;
  /** Where running and ended fires go on record. */
  recorder: Pick<RunRecorder, 'started' | 'finished'>;
  clock: Clock;
  owner: string;
  /** This machine, as runed.log lines and run records name it. */
  host: string;
  runners: Runners;
  /**
   * Slots per kind; task_timeout (ms, 0 = none) and [task] output_max (bytes) for tasks without
   * their own.
   */
  limits: Limits;
  /** How long a begun fire's lease lasts before this daemon renews it (or it is recorded lost). */
  startedKeepMs: number;
  logs: Pick<DaemonLogs, 'runed' | 'error'>;
  /** Each fire's result, lateness and duration (docs/metrics-and-health.md). */
  metrics?: Pick<Metrics, 'fireEnded'>;
  /** Where each run's output goes as it is printed (the live tail), and is told of its end. */
  live?: Pick<LivePublisher, 'listener' | 'ended'>;
}

type Limits = Record<CommandKind, number> & { timeoutMs: number; outputMax: number };

/** What the runner is asked to do for `fire`: its command, and how its task runs. */
export function requestOf(fire: Fire, limits: Omit<Limits, CommandKind>): FireRequest {
  const req: FireRequest = {
    kid: fire.kid,
    command: fire.command,
    dueMs: fire.dueMs,
    timeoutMs: fireTimeoutMs(fire.kind, fire.timeout, limits.timeoutMs),
    fireId: fire.id,
    outputMax: fire.output_max ?? limits.outputMax,
  };
  if (fire.name !== undefined) req.name = fire.name;
  if (fire.cwd !== undefined) req.cwd = fire.cwd;
  if (fire.env !== undefined) req.env = fire.env;
  if (fire.user !== undefined) req.user = fire.user;
  return req;
}

interface Running {
  fire: Fire;
  task: RunningTask;
  /** Handed to the runner, unix ms (Redis clock). */
  handedMs: number;
  /** Stopped by this daemon (the shutdown, the lease fence): why, as its log line and record say. */
  stoppedBecause?: string;
}

/** After shutdown_grace: SIGTERM, then SIGKILL to what is left after half of this, ms. */
const KILL_GRACE_MS = 5000;
/** The `error` of a fire the shutdown killed, in runed.log and error.log. */
export const KILLED_AT_SHUTDOWN = 'killed at shutdown';
/** The `error` of a fire the lease fence stopped (daemon/lease-fence.ts). */
export const STOPPED_UNLEASED =
  'stopped by its daemon: it could not renew the lease (Redis unreachable) before another daemon could take the run for lost';
/** The `error` of a fire stopped because a renewal found its lease another's (recorded lost). */
export const STOPPED_REVOKED =
  'stopped by its daemon: its lease was no longer its own (the run was recorded lost meanwhile)';

export class Dispatcher implements FireSink {
  private readonly running = new Map<string, Running>();
  /** Slots held by fires claimed but not yet begun. */
  private readonly reserved: Record<CommandKind, number> = { shell: 0, url: 0 };
  private readonly active: Record<CommandKind, number> = { shell: 0, url: 0 };
  private readonly slotListeners: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private beginning = 0;
  private closing = false;
  /** The wait for running tasks at shutdown, while it lasts; hurry() ends it. */
  private grace: Sleep | undefined;
  private killNow = false;
  /** Shutdown's SIGTERM was sent: a fire that starts after it (held for its due time) gets one too. */
  private killing = false;
  private readonly beginOptions: DurableBeginOptions;
  firedTotal = 0;
  failedTotal = 0;

  constructor(private readonly deps: DispatcherDeps) {
    this.beginOptions = {
      owner: deps.owner,
      keepMs: deps.startedKeepMs,
      clock: deps.clock,
      shouldGiveUp: () => this.closing,
      onRetry: (err) =>
        deps.logs.error.warn({ event: 'begin_retry', err: messageOf(err) }, 'cannot begin fires; retrying'),
    };
  }

  room(kind: CommandKind): number {
    return Math.max(0, this.deps.limits[kind] - this.reserved[kind] - this.active[kind]);
  }

  /** Calls `listener` whenever a slot frees up (the loop may claim more). */
  onSlotFree(listener: () => void): void {
    this.slotListeners.push(listener);
  }

  get runningCount(): number {
    return this.running.size;
  }

  countRunning(kind: CommandKind): number {
    return this.active[kind];
  }

  /** What runs now, for `info` and the state file. */
  snapshot(
    max = 50,
  ): { kid: string; fire_id: string; kind: CommandKind; command: string; started_ms: number }[] {
    return [...this.running.values()].slice(0, max).map((r) => ({
      kid: r.fire.kid,
      fire_id: r.fire.id,
      kind: r.fire.kind,
      command: r.fire.command.slice(0, 200),
      started_ms: r.handedMs,
    }));
  }

  /**
   * Starts claimed fires: those their claim began (in time) at once, the others once begun in the
   * background, their slots reserved meanwhile. A fire claimed ahead (due after now, CLAIM_AHEAD_MS
   * in runs/fire.ts) is held, its slot reserved, until its due time.
   */
  dispatch(claimed: Fire[]): void {
    const nowMs = this.deps.clock.nowMs();
    const due: Fire[] = [];
    for (const fire of claimed) {
      if (fire.dueMs <= nowMs) due.push(fire);
      else this.holdUntilDue(fire);
    }
    this.dispatchNow(due);
  }

  /**
   * Dispatches `fire` at its due time on the (Redis) clock, never before: a timer may fire up to a
   * ms early, so the clock is read again. Counted as beginning meanwhile, so a shutdown waits for
   * it to start as any begun fire (drain).
   */
  private holdUntilDue(fire: Fire): void {
    this.reserved[fire.kind]++;
    this.beginning++;
    void sleepUntil(this.deps.clock, fire.dueMs).then(() => {
      this.reserved[fire.kind]--;
      this.beginning--;
      this.dispatchNow([fire]);
      this.changed();
    });
  }

  private dispatchNow(claimed: Fire[]): void {
    if (claimed.length === 0) return;
    const fires: Fire[] = [];
    for (const fire of claimed) {
      const leaseUntilMs = this.begunByClaim(fire);
      if (leaseUntilMs === null) fires.push(fire);
      else this.start(fire, leaseUntilMs);
    }
    // Started: the state file (and the loop) hear of it, as after a begin.
    if (fires.length < claimed.length) this.changed();
    if (fires.length === 0) return;
    for (const f of fires) this.reserved[f.kind]++;
    this.beginning++;
    void this.beginAndStart(fires).finally(() => {
      this.beginning--;
      this.changed();
    });
  }

  /**
   * Waits for running tasks up to `graceMs` (less if hurry() is called), then kills what is left;
   * resolves when all ended, with the number killed.
   */
  async drain(graceMs: number): Promise<number> {
    this.closing = true;
    if (!this.killNow) {
      await this.settled(graceMs, (sleep) => {
        this.grace = sleep;
      });
      this.grace = undefined;
    }
    const killed = this.running.size;
    this.killing = true;
    this.killAll('SIGTERM');
    if (!(await this.settled(KILL_GRACE_MS / 2))) {
      this.killAll('SIGKILL');
      await this.settled(KILL_GRACE_MS / 2);
    }
    return killed;
  }

  /** Kills running tasks now instead of waiting shutdown_grace, before or during drain(). */
  hurry(): void {
    this.killNow = true;
    this.grace?.wake();
  }

  /** hurry() was called: running tasks were not given shutdown_grace. */
  get hurried(): boolean {
    return this.killNow;
  }

  /**
   * Until when the lease of a fire its claim began holds (as a begin's would: durable-begin.ts),
   * or null: it is to be begun. A claim whose reply came late (past a quarter of the lease) is
   * begun again, by its holder, which only moves its deadline on.
   */
  private begunByClaim(fire: Fire): number | null {
    if (fire.state !== 'started' || fire.startedMs === undefined) return null;
    const keepMs = this.deps.startedKeepMs;
    if (this.deps.clock.nowMs() - fire.startedMs > keepMs / 4) return null;
    return Math.floor(fire.startedMs) + keepMs;
  }

  private async beginAndStart(fires: Fire[]): Promise<void> {
    let begun: DurableBegin | null = null;
    try {
      begun = await this.deps.fires.beginDurably(fires, this.beginOptions);
    } catch (err) {
      // Not begun: the leases run out and the fires are claimed again.
      this.deps.logs.error.error({ event: 'begin_failed', err: messageOf(err) }, 'cannot begin fires');
    } finally {
      for (const f of fires) this.reserved[f.kind]--;
    }
    if (!begun) return;
    this.logBegin(begun);
    fires.forEach((fire, i) => {
      if (begun.allowed[i]) this.start(fire, begun.leaseUntilMs);
      else
        this.deps.logs.runed.info(
          { event: 'not_ours', kid: fire.kid, fire_id: fire.id },
          'fire held by another daemon (or undone by a failover); not run here',
        );
    });
  }

  private logBegin(begun: DurableBegin): void {
    const { error } = this.deps.logs;
    for (const fire of begun.undone) {
      error.warn(
        { event: 'undone', kid: fire.kid, fire_id: fire.id },
        'a failover undid this claim: the new master hands the task out again',
      );
    }
    if (begun.unconfirmed > 0) {
      const n = begun.replicas;
      error.warn(
        { event: 'unconfirmed', fires: begun.unconfirmed, replicas: n },
        `no ${n} replica(s) confirmed these fires; running them (the master did not change)`,
      );
    }
  }

  private start(fire: Fire, leaseUntilMs: number): void {
    const handedMs = this.deps.clock.nowMs();
    const task = this.deps.runners[fire.kind](
      requestOf(fire, this.deps.limits),
      this.deps.live?.listener(fire.id),
    );
    const entry: Running = { fire, task, handedMs };
    this.running.set(fire.id, entry);
    this.active[fire.kind]++;
    if (this.killing) {
      entry.stoppedBecause = KILLED_AT_SHUTDOWN;
      task.kill('SIGTERM');
    }
    this.deps.recorder.started(fire, leaseUntilMs);
    this.firedTotal++;
    task.result.then(
      (result) => this.finished(fire, handedMs, result),
      (err: unknown) =>
        this.finished(fire, handedMs, {
          ...emptyResult(fire.kind),
          error: `runner failed: ${messageOf(err)}`,
        }),
    );
  }

  private finished(fire: Fire, handedMs: number, result: RunnerResult): void {
    const why = this.running.get(fire.id)?.stoppedBecause;
    this.running.delete(fire.id);
    this.active[fire.kind]--;
    if (!result.ok) this.failedTotal++;
    const logged = why !== undefined && !result.ok ? { ...result, error: why } : result;
    const startedMs = handedMs + result.startDelayMs;
    logFire(this.deps.logs, fire, startedMs, logged, this.deps.host);
    this.deps.live?.ended(fire.id, result.ok);
    this.deps.recorder.finished(fire, startedMs, logged);
    const outcome: FireResult = result.ok ? 'ok' : result.timedOut ? 'timed_out' : 'failed';
    this.deps.metrics?.fireEnded(fire.kind, outcome, startedMs - fire.dueMs, result.durationMs);
    this.changed();
  }

  /** A slot freed, or a begin ended: tell the loop, and whoever waits for the dispatcher to idle. */
  private changed(): void {
    for (const listener of this.slotListeners) listener();
    if (this.running.size > 0 || this.beginning > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** True once nothing runs or begins; false when `ms` passed first (or the sleep was woken). */
  private async settled(ms: number, onSleep?: (sleep: Sleep) => void): Promise<boolean> {
    if (this.running.size === 0 && this.beginning === 0) return true;
    const sleep = this.deps.clock.sleep(ms);
    onSleep?.(sleep);
    await Promise.race([sleep.done, new Promise<void>((r) => this.idleWaiters.push(r))]);
    sleep.wake();
    return this.running.size === 0 && this.beginning === 0;
  }

  /** Kills what runs, at shutdown. */
  private killAll(signal: NodeJS.Signals): void {
    for (const r of this.running.values()) {
      r.stoppedBecause ??= KILLED_AT_SHUTDOWN;
      r.task.kill(signal);
    }
  }

  /**
   * The lease fence stops fire `id`: its lease, unrenewed, ends at `leaseUntilMs`, or `revoked`: a
   * renewal found it another's (daemon/lease-fence.ts). Said once in error.log, at its SIGTERM.
   */
  fence(id: string, signal: NodeJS.Signals, leaseUntilMs: number, revoked = false): void {
    const r = this.running.get(id);
    if (!r) return;
    if (r.stoppedBecause === undefined) {
      r.stoppedBecause = revoked ? STOPPED_REVOKED : STOPPED_UNLEASED;
      this.deps.logs.error.error(
        {
          event: revoked ? 'revoked' : 'fenced',
          kid: r.fire.kid,
          fire_id: id,
          lease_until: leaseUntilMs / 1000,
        },
        revoked
          ? "a running task is no longer this daemon's (recorded lost meanwhile): stopping it"
          : 'cannot renew the lease of a running task (Redis unreachable): stopping it before another daemon may take it for lost',
      );
    }
    r.task.kill(signal);
  }
}
