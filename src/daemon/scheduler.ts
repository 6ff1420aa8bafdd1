// The daemon's loop: one pass per second, aligned to the second, plus a wake-up at the exact
// due time of the earliest task. Each pass claims what is due (one Lua script) and hands it to
// the dispatcher. Redis failures are logged once per outage and retried with backoff.
import type { Logger } from 'pino';
import { messageOf } from '../errors.js';
import { type FireStore, fullSkip } from '../store/fire-store.js';
import type { Dispatcher } from './dispatcher.js';
import type { RedisClock } from './redis-clock.js';

export interface SchedulerDeps {
  fires: FireStore;
  clock: RedisClock;
  dispatcher: Dispatcher;
  owner: string;
  leaseMs: number;
  expireLimitSec: number;
  serve: Logger;
  error: Logger;
  runed: Logger;
}

export interface PassResult {
  claimed: number;
  /** The "now" of the claim, unix ms (Redis clock). */
  nowMs: number;
  /** Earliest due time or lease deadline left, unix ms (Redis clock). */
  nextDueMs: number | null;
  /** A kind's room was used up: more may be due at once. */
  full: boolean;
}

/** Most fires one claim takes of a kind, so one script never blocks Redis for long. */
const CLAIM_BATCH = 1000;
/**
 * Due tasks of a kind without room that a claim passes over to reach the other kind: a few in
 * most claims (a burst makes one per freed slot, and each task passed over costs Redis a
 * lookup), fullSkip() at most every DEEP_SKIP_MS.
 */
const SHALLOW_SKIP = 32;
const DEEP_SKIP_MS = 100;
const CLOCK_RESYNC_MS = 15_000;

export class Scheduler {
  private stopped = true;
  private wakeUp: (() => void) | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private failingSince: number | null = null;
  private failures = 0;
  private lastSyncMs = 0;
  private lastDeepSkipMs = 0;
  /** The loop waits for a free slot: due fires are left that it has no room for. */
  private starved = false;
  /** A slot freed since the current pass began (its wake-up may have come mid-pass). */
  private freedSincePass = false;
  passes = 0;

  constructor(private readonly deps: SchedulerDeps) {}

  get redisHealthy(): boolean {
    return this.failingSince === null;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loopDone = this.loop();
  }

  /** Stops claiming; resolves once the pass under way (if any) is over. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loopDone;
  }

  /** Ends the current wait at once (Redis came back, stopping). */
  wake(): void {
    this.wakeUp?.();
  }

  /** A slot freed: wake the loop if it waits for one (coalesced, not once per finished task). */
  slotFreed(): void {
    this.freedSincePass = true;
    if (!this.starved) return;
    this.starved = false;
    setImmediate(() => this.wake());
  }

  /** One claim at the clock's now; public so tests can drive the loop against a real Redis. */
  async pass(): Promise<PassResult> {
    const d = this.deps;
    this.freedSincePass = false;
    const maxShell = Math.min(d.dispatcher.free('shell'), CLAIM_BATCH);
    const maxUrl = Math.min(d.dispatcher.free('url'), CLAIM_BATCH);
    const started = d.dispatcher.takeStarted();
    let reply: Awaited<ReturnType<FireStore['claim']>>;
    const nowMs = d.clock.nowMs();
    const deep = nowMs - this.lastDeepSkipMs >= DEEP_SKIP_MS;
    if (deep) this.lastDeepSkipMs = nowMs;
    const maxSkip = deep ? fullSkip({ maxShell, maxUrl }) : SHALLOW_SKIP;
    try {
      reply = await d.fires.claim({
        nowMs,
        owner: d.owner,
        leaseMs: d.leaseMs,
        maxShell,
        maxUrl,
        expireLimitSec: d.expireLimitSec,
        maxSkip,
        started,
      });
    } catch (err) {
      d.dispatcher.returnStarted(started);
      throw err;
    }
    const fires = [];
    let shell = 0;
    let url = 0;
    for (const entry of reply.entries) {
      if (entry.kind === 'fire') {
        fires.push(entry.fire);
        if (/^https?:\/\//i.test(entry.fire.command)) url++;
        else shell++;
      } else if (entry.kind === 'expired') {
        d.runed.warn(
          { event: 'expired', kid: entry.kid, task: entry.raw },
          'timer overdue beyond task_expire_limit: dropped, not run',
        );
      } else if (entry.kind === 'corrupt') {
        d.error.error(
          { event: 'corrupt', kid: entry.kid, raw: entry.raw.slice(0, 2000) },
          `task ${entry.kid} holds corrupt data: removed`,
        );
      } else {
        d.error.warn(
          { event: 'abandoned', kid: entry.fire.kid, fire_id: entry.fire.id, owner: entry.fire.owner },
          'fire was begun by a daemon that vanished at once; it may not have run, and is not run again',
        );
      }
    }
    void d.dispatcher.dispatch(fires, () => this.stopped);
    return {
      claimed: fires.length,
      nowMs,
      nextDueMs: reply.nextDueMs,
      full: (maxShell > 0 && shell >= maxShell) || (maxUrl > 0 && url >= maxUrl),
    };
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let wakeAtMs: number;
      try {
        await this.syncClockIfDue();
        const res = await this.pass();
        this.passes++;
        this.recovered();
        wakeAtMs = this.nextWake(res);
      } catch (err) {
        this.failed(err);
        wakeAtMs = this.deps.clock.nowMs() + Math.min(100 * 2 ** Math.min(this.failures, 6), 5000);
      }
      await this.sleepUntil(wakeAtMs);
    }
  }

  private nextWake(res: PassResult): number {
    const now = this.deps.clock.nowMs();
    const nextSecond = (Math.floor(now / 1000) + 1) * 1000;
    const d = this.deps.dispatcher;
    const room = d.free('shell') > 0 || d.free('url') > 0;
    // A full claim means more may be due right now.
    if (res.full && res.claimed > 0 && room) return now;
    const due = res.nextDueMs ?? Number.POSITIVE_INFINITY;
    if (due <= Math.floor(res.nowMs)) {
      // Due fires are left. A slot that freed during the pass woke nobody: claim again now.
      if (this.freedSincePass && room) return now;
      // No slot can take them: wait until one frees (or the next second).
      this.starved = true;
      return nextSecond;
    }
    return Math.min(nextSecond, due);
  }

  private async syncClockIfDue(): Promise<void> {
    const now = Date.now();
    if (this.deps.clock.isSynced && now - this.lastSyncMs < CLOCK_RESYNC_MS) return;
    await this.deps.clock.sync();
    this.lastSyncMs = now;
  }

  /** Sleeps until `targetMs` on the Redis clock, re-arming after an early wake-up. */
  private async sleepUntil(targetMs: number): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const delay = targetMs - this.deps.clock.nowMs();
      if (delay <= 0) return;
      const woken = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), Math.ceil(delay));
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
      this.wakeUp = undefined;
      if (woken) return;
    }
  }

  private failed(err: unknown): void {
    this.failures++;
    if (this.failingSince === null) {
      this.failingSince = Date.now();
      const msg = messageOf(err);
      this.deps.serve.warn(
        { event: 'redis_down', err: msg },
        'Redis unavailable: claiming paused, retrying with backoff',
      );
      this.deps.error.error({ event: 'redis_down', err: msg }, 'Redis unavailable');
    }
  }

  private recovered(): void {
    if (this.failingSince !== null) {
      const downMs = Date.now() - this.failingSince;
      this.deps.serve.info({ event: 'redis_up', down_ms: downMs }, 'Redis available again: claiming resumed');
    }
    this.failingSince = null;
    this.failures = 0;
  }
}
