// The daemon's loop: in the daemon that is its label set's poller (lua/claim.lua: one of several
// daemons), a pass at the exact due time of the earliest task and at least one per second, aligned
// to the second; in the others, a pass every NON_POLLER_CLAIM_MS (runs/fire.ts). Each pass also
// takes what falls due within CLAIM_AHEAD_MS (runs/fire.ts): the sink starts those at their due
// time, and the next pass is at the earliest due time after that. Each pass claims
// what is due (one Lua script) and hands it to the fire sink (the dispatcher). Redis failures are
// logged once per outage and retried with backoff. Time comes from the injected clock, so tests
// run the loop on a manual one.
import { backoffMs } from '../backoff.js';
import { type Clock, type Sleep, sleepUntil } from '../clock.js';
import { KtimerError, messageOf } from '../errors.js';
import { type DaemonLogs } from '../log/daemon-logs.js';
import { logClaimEntry } from '../log/fire-log.js';
import type { Metrics } from '../metrics/metrics.js';
import {
  type ClaimReply,
  type ClaimRequest,
  type Fire,
  fullSkip,
  type RunRecord,
} from '../store/open-store.js';
import { CLAIM_AHEAD_MS, NON_POLLER_CLAIM_MS } from '../runs/fire.js';
import { CRON_LOW_WATER } from '../tasks/schedule.js';
import type { CommandKind } from '../tasks/task.js';

/** Where claimed fires go: the dispatcher, as the loop sees it. */
export interface FireSink {
  /** Free slots for fires of this kind. */
  room(kind: CommandKind): number;
  /**
   * Takes claimed fires and returns at once (they are begun and run in the background, each at its
   * due time when that is still to come: claimed ahead).
   */
  dispatch(fires: Fire[]): void;
}

export interface Claimer {
  claim(req: Omit<ClaimRequest, 'history'>): Promise<ClaimReply>;
}

/** The Redis clock as the loop needs it: "now", waits, and a resync now and then. */
export interface LoopClock extends Clock {
  syncIfOlder(maxAgeMs: number): Promise<void>;
}

/** Where cron tasks that need run times computed go (daemon/cron-refill.ts). */
export interface RefillSink {
  request(kid: string, raw: string): void;
}

export interface SchedulerDeps {
  claimer: Claimer;
  sink: FireSink;
  refills: RefillSink;
  clock: LoopClock;
  owner: string;
  /** The labels this daemon holds: it claims only what needs none but these (docs/fleet.md). */
  labels?: readonly string[];
  /**
   * Awaited before each pass (the fleet's check, which passes at once once it passed). A
   * KtimerError('fleet') from it stops the loop for good (onFatal).
   */
  gate?: () => Promise<void>;
  leaseMs: number;
  /**
   * How long a begun fire's lease lasts (task_lost_after): the claim begins what it hands out
   * (ClaimRequest.beginKeepMs); absent, each fire is begun by the dispatcher.
   */
  beginKeepMs?: number;
  expireLimitSec: number;
  logs: Pick<DaemonLogs, 'serve' | 'error' | 'runed'>;
  /**
   * A run this claim recorded lost, with its task's failures in a row (alerts): a failure, 0 while
   * its retry is due (record.retry_at).
   */
  onLost?: (record: RunRecord, streak: number) => void;
  /** Claim durations, runs found lost and their retries (docs/metrics-and-health.md). */
  metrics?: Pick<Metrics, 'claimTook' | 'runRecorded' | 'runsMissed' | 'retryScheduled'>;
}

export interface PassResult {
  claimed: number;
  /** The "now" of the claim, unix ms (Redis clock). */
  nowMs: number;
  /** Earliest due time or lease deadline left, unix ms (Redis clock). */
  nextDueMs: number | null;
  /** What is still due now (see ClaimReply). */
  dueLeft: ClaimReply['dueLeft'];
  /** A kind's room was used up: more may be due at once. */
  full: boolean;
  /** This daemon claims at due times; otherwise every NON_POLLER_CLAIM_MS (ClaimReply.poller). */
  poller: boolean;
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
const RETRY_MAX_MS = 5000;

export class Scheduler {
  private stopped = true;
  private sleeping: Sleep | undefined;
  /** The last claim said this daemon polls (ClaimRequest.polling). */
  private polling = false;
  private loopDone: Promise<void> = Promise.resolve();
  private failingSinceMs: number | null = null;
  /** Why the last pass failed, while Redis is away (for status and info). */
  private problem: string | null = null;
  private failures = 0;
  private lastDeepSkipMs = Number.NEGATIVE_INFINITY;
  /** The loop waits for a free slot: due fires are left that it has no room for. */
  private starved = false;
  /** A slot freed since the current pass began (its wake-up may have come mid-pass). */
  private freedSincePass = false;
  passes = 0;
  /** When the last claim succeeded, on the loop's clock (ms); null before the first. */
  private lastClaimMs: number | null = null;
  private claimedOnce: () => void = () => {};
  /** Resolves at the first successful claim (the state file then says the loop is up). */
  readonly firstClaim = new Promise<void>((resolve) => {
    this.claimedOnce = resolve;
  });

  constructor(private readonly deps: SchedulerDeps) {}

  private fatal: (err: KtimerError) => void = () => {};

  /** Told when the loop stopped for good: the daemon must not go on (its fleet is not Redis'). */
  onFatal(listener: (err: KtimerError) => void): void {
    this.fatal = listener;
  }

  get redisHealthy(): boolean {
    return this.failingSinceMs === null;
  }

  /** Why Redis is away (the last failure's message), or null while it answers. */
  get redisProblem(): string | null {
    return this.problem;
  }

  /** Since the last successful claim, ms (health: /healthz, `ktimer check`); null before the first. */
  msSinceClaim(): number | null {
    return this.lastClaimMs === null ? null : Math.max(0, this.deps.clock.nowMs() - this.lastClaimMs);
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
    this.sleeping?.wake();
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
    const { clock, sink } = this.deps;
    this.freedSincePass = false;
    const maxShell = Math.min(sink.room('shell'), CLAIM_BATCH);
    const maxUrl = Math.min(sink.room('url'), CLAIM_BATCH);
    const nowMs = clock.nowMs();
    const deep = nowMs - this.lastDeepSkipMs >= DEEP_SKIP_MS;
    if (deep) this.lastDeepSkipMs = nowMs;
    const claimStartedMs = performance.now();
    const reply = await this.deps.claimer.claim({
      nowMs,
      // Fires due within this are claimed now and started at their due time by the sink.
      aheadMs: CLAIM_AHEAD_MS,
      owner: this.deps.owner,
      labels: this.deps.labels ?? [],
      leaseMs: this.deps.leaseMs,
      beginKeepMs: this.deps.beginKeepMs,
      maxShell,
      maxUrl,
      expireLimitSec: this.deps.expireLimitSec,
      maxSkip: deep ? fullSkip({ maxShell, maxUrl }) : SHALLOW_SKIP,
      cronLowWater: CRON_LOW_WATER,
      polling: this.polling,
    });
    this.polling = reply.poller;
    this.deps.metrics?.claimTook(performance.now() - claimStartedMs);
    this.lastClaimMs = nowMs;
    this.claimedOnce();
    const fires: Fire[] = [];
    for (const entry of reply.entries) {
      if (entry.kind === 'fire') fires.push(entry.fire);
      else if (entry.kind === 'refill') this.deps.refills.request(entry.kid, entry.raw);
      else {
        if (entry.kind === 'lost') {
          this.deps.metrics?.runRecorded(entry.record.kind, 'lost');
          if (entry.record.retry_at !== undefined) this.deps.metrics?.retryScheduled(entry.record.kind);
          this.deps.onLost?.(entry.record, entry.streak);
        } else if (entry.kind === 'skipped') this.deps.metrics?.runRecorded(entry.record.kind, 'skipped');
        else if (entry.kind === 'missed') this.deps.metrics?.runsMissed(entry.policy, entry.count);
        logClaimEntry(this.deps.logs, entry);
      }
    }
    sink.dispatch(fires);
    const taken = (kind: CommandKind) => fires.filter((f) => f.kind === kind).length;
    return {
      claimed: fires.length,
      nowMs,
      nextDueMs: reply.nextDueMs,
      dueLeft: reply.dueLeft,
      full: (maxShell > 0 && taken('shell') >= maxShell) || (maxUrl > 0 && taken('url') >= maxUrl),
      poller: reply.poller,
    };
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let wakeAtMs: number;
      try {
        await this.deps.clock.syncIfOlder(CLOCK_RESYNC_MS);
        await this.deps.gate?.();
        const res = await this.pass();
        this.passes++;
        this.recovered();
        wakeAtMs = this.nextWake(res);
      } catch (err) {
        if (err instanceof KtimerError && err.code === 'fleet') {
          this.stopped = true;
          this.fatal(err);
          return;
        }
        this.failed(err);
        wakeAtMs = this.deps.clock.nowMs() + backoffMs(this.failures, RETRY_MAX_MS);
      }
      await this.sleepUntil(wakeAtMs);
    }
  }

  private nextWake(res: PassResult): number {
    const now = this.deps.clock.nowMs();
    const nextSecond = (Math.floor(now / 1000) + 1) * 1000;
    const sink = this.deps.sink;
    const room = sink.room('shell') > 0 || sink.room('url') > 0;
    // A full claim, or one that stopped at its budget, means more may be due right now.
    if ((res.full && res.claimed > 0) || res.dueLeft === 'more') {
      if (room) return now;
    }
    if (res.dueLeft !== null) {
      // Due fires are left. A slot that freed during the pass woke nobody: claim again now.
      if (this.freedSincePass && room) return now;
      // No slot can take them: wait until one frees (or the next second).
      this.starved = true;
      return nextSecond;
    }
    // Another daemon polls at due times (lua/claim.lua): this one looks every NON_POLLER_CLAIM_MS,
    // so that a dead poller's fires are late by that much at most until its role runs out.
    if (!res.poller) return (Math.floor(now / NON_POLLER_CLAIM_MS) + 1) * NON_POLLER_CLAIM_MS;
    // The due time to the ms, rounded up (a score may carry a fraction of a ms); the float
    // noise of seconds x 1000 is kept from rounding a whole ms up by one.
    const due = res.nextDueMs === null ? Number.POSITIVE_INFINITY : Math.ceil(res.nextDueMs - 0.001);
    return Math.min(nextSecond, due);
  }

  /** Sleeps until `targetMs` on the clock (stop() wakes it). */
  private async sleepUntil(targetMs: number): Promise<void> {
    if (this.stopped) return;
    await sleepUntil(this.deps.clock, targetMs, (sleep) => {
      this.sleeping = sleep;
      // A stop between two sleeps (an early timer's) ends the next at once.
      if (this.stopped) sleep?.wake();
    });
  }

  private failed(err: unknown): void {
    this.failures++;
    const msg = messageOf(err);
    this.problem = msg;
    if (this.failingSinceMs !== null) return;
    this.failingSinceMs = this.deps.clock.nowMs();
    const { serve, error } = this.deps.logs;
    serve.warn(
      { event: 'redis_down', err: msg },
      'Redis unavailable: claiming paused, retrying with backoff',
    );
    error.error({ event: 'redis_down', err: msg }, 'Redis unavailable');
  }

  private recovered(): void {
    if (this.failingSinceMs !== null) {
      const downMs = Math.round(this.deps.clock.nowMs() - this.failingSinceMs);
      this.deps.logs.serve.info(
        { event: 'redis_up', down_ms: downMs },
        'Redis available again: claiming resumed',
      );
    }
    this.failingSinceMs = null;
    this.problem = null;
    this.failures = 0;
  }
}
