// What the running daemon tells about itself: the state file `ktimer info` reads
// (runtime/<pidfile name>.state.json, rewritten at most once a second while something changes)
// and the web API's info action.
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import { VERSION } from '../version.js';
import type { DaemonParts } from './assemble.js';
import type { LoopHealth } from './health.js';
import { type DaemonMode, type DaemonState, writeState } from './state-file.js';

const WRITE_EVERY_MS = 1000;

export class DaemonStatus {
  /** host:port of the web API, once it listens. */
  webAddress: string | null = null;
  private readonly startedAtMs: number;
  private writeTimer: NodeJS.Timeout | undefined;
  private lastWriteMs = 0;
  private stopping = false;

  constructor(
    private readonly config: Config,
    private readonly parts: DaemonParts,
    /** The machine's clock: `info` compares these times with its own. */
    private readonly local: Clock,
    private readonly stateFile: string,
    /** How it was started, for `ktimer restart` to start it the same way. */
    private readonly mode: DaemonMode = 'foreground',
  ) {
    this.startedAtMs = Math.round(local.nowMs());
  }

  snapshot(): DaemonState {
    const { owner, scheduler, dispatcher, clock, store } = this.parts;
    return {
      pid: process.pid,
      mode: this.mode,
      owner,
      version: VERSION,
      started_at: this.startedAtMs,
      config: this.config.file,
      redis: {
        address: store.address,
        healthy: scheduler.redisHealthy,
        skew_ms: Math.round(clock.skewMs),
        error: scheduler.redisProblem,
      },
      web: { listening: this.webAddress },
      fired_total: dispatcher.firedTotal,
      failed_total: dispatcher.failedTotal,
      running: {
        shell: dispatcher.countRunning('shell'),
        url: dispatcher.countRunning('url'),
        tasks: dispatcher.snapshot(),
      },
      health: this.health(),
      updated_at: Math.round(this.local.nowMs()),
    };
  }

  /** The loop's health (/healthz; `ktimer check` reads it from the state file). */
  health(): LoopHealth {
    const age = this.parts.scheduler.msSinceClaim();
    return {
      claim_age_ms: age === null ? null : Math.round(age),
      redis_error: this.parts.scheduler.redisProblem,
      stopping: this.stopping,
    };
  }

  /** The web API's info action. */
  info(): Record<string, unknown> {
    return { ...this.snapshot(), uptime_sec: Math.round((this.local.nowMs() - this.startedAtMs) / 1000) };
  }

  /** Something changed: rewrite the state file, at most once a second. */
  touch(): void {
    if (this.writeTimer) return;
    const wait = Math.max(0, WRITE_EVERY_MS - (this.local.nowMs() - this.lastWriteMs));
    this.writeTimer = setTimeout(() => this.write(), wait);
    this.writeTimer.unref();
  }

  /** Rewrite it now, whatever the last write's time: the loop's first claim must not wait a second. */
  writeNow(): void {
    if (this.stopping) return;
    clearTimeout(this.writeTimer);
    this.write();
  }

  /** No more writes (stopping). */
  stop(): void {
    this.stopping = true;
    clearTimeout(this.writeTimer);
    this.writeTimer = undefined;
  }

  private write(): void {
    this.writeTimer = undefined;
    this.lastWriteMs = this.local.nowMs();
    try {
      writeState(this.stateFile, this.snapshot(), this.config.log.fileMode);
    } catch {
      // runtime dir gone or full: info will say the state is unknown
    }
  }
}
