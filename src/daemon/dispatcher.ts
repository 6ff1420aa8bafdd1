// Runs claimed fires: begins them in Redis (so each is started once), starts the shell command
// or URL call without blocking the loop, bounds how many run at once, and logs each outcome.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { messageOf } from '../errors.js';
import type { RunningTask, RunResult } from '../runner/run-result.js';
import type { Fire, FireStore } from '../store/fire-store.js';
import { isUrlCommand } from '../tasks/task.js';

export type FireKind = 'shell' | 'url';

export interface Runners {
  shell(req: { kid: string; command: string; dueMs: number; timeoutMs: number }): RunningTask;
  url(req: { kid: string; command: string; dueMs: number; timeoutMs: number }): RunningTask;
}

export interface DispatcherDeps {
  fires: FireStore;
  clock: Clock;
  owner: string;
  runners: Runners;
  limits: { shell: number; url: number; timeoutMs: number };
  /** How long a begun record is kept if this daemon never reports it started. */
  startedKeepMs: number;
  runed: Logger;
  error: Logger;
  /** Called when a slot frees up, so the loop can claim more. */
  onSlotFree: () => void;
  /** Replicas that must confirm a fire's claim before it runs (redis.wait_replicas). */
  waitReplicas: number;
}

/** How long WAIT waits for replicas, and how long a doubtful batch waits for a failover to show. */
const WAIT_REPLICAS_MS = 500;
const FAILOVER_SETTLE_MS = 1500;
const CONFIRM_ROUNDS = 3;

interface Running {
  fire: Fire;
  kind: FireKind;
  task: RunningTask;
  startedMs: number;
}

const kindOf = (command: string): FireKind => (isUrlCommand(command) ? 'url' : 'shell');

export class Dispatcher {
  private readonly running = new Map<string, Running>();
  /** Slots held by fires claimed but not yet begun. */
  private readonly reserved = { shell: 0, url: 0 };
  private readonly active = { shell: 0, url: 0 };
  /** Fires started since the last claim: the next claim removes their records. */
  private started: string[] = [];
  private beginning = 0;
  firedTotal = 0;
  failedTotal = 0;

  constructor(private readonly deps: DispatcherDeps) {}

  free(kind: FireKind): number {
    const used = this.reserved[kind] + this.active[kind];
    return Math.max(0, this.deps.limits[kind] - used);
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** What runs now, for `info` and the state file. */
  snapshot(
    max = 50,
  ): { kid: string; fire_id: string; kind: FireKind; command: string; started_ms: number }[] {
    return [...this.running.values()].slice(0, max).map((r) => ({
      kid: r.fire.kid,
      fire_id: r.fire.id,
      kind: r.kind,
      command: r.fire.command.slice(0, 200),
      started_ms: r.startedMs,
    }));
  }

  countRunning(kind: FireKind): number {
    return this.active[kind];
  }

  takeStarted(): string[] {
    const ids = this.started;
    this.started = [];
    return ids;
  }

  /** Puts back ids a failed claim did not deliver. */
  returnStarted(ids: string[]): void {
    this.started.push(...ids);
  }

  /**
   * Begins and starts claimed fires. Slots are reserved at once; the begin round trip is
   * retried while Redis is away (a fire this daemon holds is begun by nobody else).
   */
  async dispatch(fires: Fire[], shouldGiveUp: () => boolean): Promise<void> {
    if (fires.length === 0) return;
    for (const f of fires) this.reserved[kindOf(f.command)]++;
    this.beginning++;
    try {
      const allowed = await this.beginConfirmed(fires, shouldGiveUp);
      fires.forEach((fire, i) => {
        this.reserved[kindOf(fire.command)]--;
        if (allowed[i]) this.start(fire);
        else
          this.deps.runed.info(
            { event: 'lost', kid: fire.kid, fire_id: fire.id },
            'fire held by another daemon (or undone by a failover); not run here',
          );
      });
    } finally {
      this.beginning--;
    }
    this.deps.onSlotFree();
  }

  /**
   * Begins fires and, with replicas (redis.wait_replicas > 0), makes sure the begin survives a
   * failover: a claim only the old master had is undone by it, and the new master hands the
   * task out again. So a batch runs once the replicas have it (WAIT). Failing that, it waits a
   * moment (a failover is noticed in about a second) and asks the master it now talks to which
   * of these fires are still ours (begin is idempotent for its owner), then waits for the
   * replicas again. After three rounds it runs what it holds: a replica is down or re-syncing,
   * and the master did not change.
   */
  private async beginConfirmed(fires: Fire[], shouldGiveUp: () => boolean): Promise<boolean[]> {
    const allowed = await this.begin(fires, shouldGiveUp);
    const n = this.deps.waitReplicas;
    for (let round = 0; n > 0 && allowed.some(Boolean) && round < CONFIRM_ROUNDS; round++) {
      try {
        if ((await this.deps.fires.replicasConfirming(n, WAIT_REPLICAS_MS)) >= n) return allowed;
      } catch {
        // no answer: ask again below
      }
      await new Promise((r) => setTimeout(r, FAILOVER_SETTLE_MS));
      const held = fires.filter((_, i) => allowed[i]);
      const again = await this.begin(held, shouldGiveUp);
      held.forEach((fire, j) => {
        if (!again[j]) {
          allowed[fires.indexOf(fire)] = false;
          this.deps.error.warn(
            { event: 'undone', kid: fire.kid, fire_id: fire.id },
            'a failover undid this claim: the new master hands the task out again',
          );
        }
      });
    }
    if (n > 0 && allowed.some(Boolean)) {
      this.deps.error.warn(
        { event: 'unconfirmed', fires: allowed.filter(Boolean).length, replicas: n },
        `no ${n} replica(s) confirmed these fires; running them (the master did not change)`,
      );
    }
    return allowed;
  }

  private async begin(fires: Fire[], shouldGiveUp: () => boolean): Promise<boolean[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.deps.fires.begin(
          this.deps.clock.nowMs(),
          this.deps.owner,
          this.deps.startedKeepMs,
          fires,
        );
      } catch (err) {
        if (shouldGiveUp()) return fires.map(() => false);
        if (attempt === 0)
          this.deps.error.warn(
            { event: 'begin_retry', err: messageOf(err), fires: fires.length },
            'cannot begin fires; retrying',
          );
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 2000)));
      }
    }
  }

  private start(fire: Fire): void {
    const kind = kindOf(fire.command);
    const dueMs = fire.due * 1000;
    const startedMs = this.deps.clock.nowMs();
    const req = { kid: fire.kid, command: fire.command, dueMs, timeoutMs: this.deps.limits.timeoutMs };
    const task = kind === 'url' ? this.deps.runners.url(req) : this.deps.runners.shell(req);
    this.running.set(fire.id, { fire, kind, task, startedMs });
    this.active[kind]++;
    this.started.push(fire.id);
    this.firedTotal++;
    task.result.then(
      (result) => this.finished(fire, kind, startedMs, result),
      (err: unknown) => this.finished(fire, kind, startedMs, crashed(kind, startedMs, err)),
    );
  }

  private finished(fire: Fire, kind: FireKind, handedMs: number, result: RunResult): void {
    // When the process or request really started (a spawner starts a command a little after the
    // hand-over), moved onto the Redis clock the due times are on.
    const startedMs =
      result.startedMs > 0 ? result.startedMs + (this.deps.clock.nowMs() - Date.now()) : handedMs;
    this.running.delete(fire.id);
    this.active[kind]--;
    const entry = {
      event: 'fire',
      kid: fire.kid,
      fire_id: fire.id,
      type: fire.type,
      kind,
      command: fire.command,
      run_num: fire.run_num,
      limit: fire.limit,
      due: fire.due,
      started: Math.round(startedMs) / 1000,
      lateness_ms: Math.round((startedMs - fire.due * 1000) * 10) / 10,
      duration_ms: Math.round(result.durationMs),
      ok: result.ok,
      exit_code: result.exitCode,
      signal: result.signal,
      http_status: result.httpStatus,
      timed_out: result.timedOut,
      output: result.output,
      error: result.error,
      ...(fire.retaken_from ? { retaken_from: fire.retaken_from } : {}),
    };
    this.deps.runed.info(entry, result.ok ? 'task fired' : 'task failed');
    if (!result.ok) {
      this.failedTotal++;
      this.deps.error.error(entry, `task ${fire.kid} failed: ${describeFailure(result)}`);
    }
    this.deps.onSlotFree();
  }

  /** Waits for running tasks up to `graceMs`, then kills what is left; resolves when all ended. */
  async drain(graceMs: number): Promise<number> {
    const deadline = Date.now() + graceMs;
    while ((this.running.size > 0 || this.beginning > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const killed = this.running.size;
    for (const r of this.running.values()) r.task.kill('SIGTERM');
    const killDeadline = Date.now() + 5000;
    while (this.running.size > 0 && Date.now() < killDeadline) {
      await new Promise((r) => setTimeout(r, 50));
      if (Date.now() > killDeadline - 2500) for (const r of this.running.values()) r.task.kill('SIGKILL');
    }
    return killed;
  }
}

function describeFailure(r: RunResult): string {
  if (r.timedOut) return `timed out after ${Math.round(r.durationMs)} ms`;
  if (r.error) return r.error;
  if (r.httpStatus !== null) return `HTTP ${r.httpStatus}`;
  if (r.signal) return `killed by ${r.signal}`;
  return `exit code ${r.exitCode}`;
}

function crashed(kind: FireKind, startedMs: number, err: unknown): RunResult {
  return {
    kind,
    startedMs,
    durationMs: 0,
    ok: false,
    exitCode: null,
    signal: null,
    timedOut: false,
    httpStatus: null,
    output: '',
    error: `runner failed: ${messageOf(err)}`,
  };
}
