// Self-fencing: a daemon that cannot renew the leases of its running fires (Redis unreachable from
// it, while other daemons may still reach it) stops those runs itself before any other daemon may
// take them for lost and start their retries, so that no attempt of a run ever runs twice at once
// (docs/guarantees.md "Lost runs and their retries"). Each lease is known by the deadline this
// daemon last had confirmed (a begin, a renewal), on its Redis clock: SIGTERM at deadline -
// margin - stop wait, SIGKILL at deadline - margin (sooner after a SIGTERM, by the stop wait).
// Renewals normally move the deadline on long before: then nothing happens.
import type { Clock, Sleep } from '../clock.js';

/** How much sooner than its lease's deadline a run is dead: the daemons' clocks may differ this much. */
export const FENCE_MARGIN_MS = 1000;

export type FenceSignal = 'SIGTERM' | 'SIGKILL';

export interface LeaseFenceDeps {
  /** The Redis clock, the one deadlines are on. */
  clock: Clock;
  /** How long a lease lasts from its begin or renewal (task_lost_after). */
  keepMs: number;
  /** shutdown_grace: the wait from SIGTERM to SIGKILL, at most a quarter of keepMs here. */
  graceMs: number;
  /**
   * Stops a running fire's command or call: its lease ends at `leaseUntilMs` unrenewed, or
   * `revoked`: it is another's already (revoke).
   */
  stop: (fireId: string, signal: FenceSignal, leaseUntilMs: number, revoked: boolean) => void;
}

interface Held {
  untilMs: number;
  /** Found another's by a renewal: stopped now (revoke). */
  revoked?: boolean;
  /** When SIGKILL comes, once SIGTERM was sent. */
  killAtMs?: number;
}

export class LeaseFence {
  private readonly held = new Map<string, Held>();
  private sleep: Sleep | undefined;
  /** When the sleep under way ends, on the clock. */
  private sleepUntilMs = Number.POSITIVE_INFINITY;
  private watching = false;
  private closed = false;
  /** From SIGTERM to SIGKILL. */
  readonly stopWaitMs: number;

  constructor(private readonly deps: LeaseFenceDeps) {
    this.stopWaitMs = Math.min(deps.graceMs, deps.keepMs / 4);
  }

  /** Fire `id`'s lease holds until `untilMs` (a begin, or a renewal this daemon saw succeed). */
  holds(id: string, untilMs: number): void {
    const h = this.held.get(id);
    // A later deadline never makes the fence act sooner: only a new lease may need a wake-up.
    if (h) {
      if (!h.revoked) h.untilMs = Math.max(h.untilMs, untilMs);
    } else {
      const added = { untilMs };
      this.held.set(id, added);
      if (!this.watching) void this.watch();
      else if (this.nextAt(added) < this.sleepUntilMs) this.sleep?.wake();
    }
  }

  /**
   * Fire `id`'s lease is not this daemon's any more (a renewal found it recorded lost, or taken
   * over): stopped now, SIGTERM then SIGKILL after the stop wait, never beside what replaced it.
   */
  revoke(id: string): void {
    const h = this.held.get(id);
    if (!h) return;
    const untilMs = this.deps.clock.nowMs() + FENCE_MARGIN_MS + this.stopWaitMs;
    // Only sooner: a SIGTERM already sent keeps its SIGKILL time.
    if (untilMs < h.untilMs) h.untilMs = untilMs;
    h.revoked = true;
    this.sleep?.wake();
  }

  /** Fire `id` ended (or is no longer this daemon's to stop): the fence looks at it no more. */
  ended(id: string): void {
    this.held.delete(id);
  }

  close(): void {
    this.closed = true;
    this.sleep?.wake();
  }

  /** When the fence acts next on `h`, on the clock. */
  private nextAt(h: Held): number {
    const killAt = Math.min(h.untilMs - FENCE_MARGIN_MS, h.killAtMs ?? Number.POSITIVE_INFINITY);
    return h.killAtMs === undefined ? killAt - this.stopWaitMs : killAt;
  }

  private async watch(): Promise<void> {
    this.watching = true;
    try {
      while (this.held.size > 0 && !this.closed) {
        this.act(this.deps.clock.nowMs());
        let next = Number.POSITIVE_INFINITY;
        for (const h of this.held.values()) next = Math.min(next, this.nextAt(h));
        if (!Number.isFinite(next)) break;
        this.sleepUntilMs = next;
        this.sleep = this.deps.clock.sleep(Math.max(0, next - this.deps.clock.nowMs()));
        await this.sleep.done;
        this.sleep = undefined;
        this.sleepUntilMs = Number.POSITIVE_INFINITY;
      }
    } finally {
      this.watching = false;
    }
  }

  /** Stops what is due to be stopped at `nowMs`. */
  private act(nowMs: number): void {
    for (const [id, h] of this.held) {
      if (nowMs < this.nextAt(h)) continue;
      if (h.killAtMs === undefined) {
        h.killAtMs = nowMs + this.stopWaitMs;
        this.deps.stop(id, 'SIGTERM', h.untilMs, h.revoked === true);
      } else {
        this.held.delete(id);
        this.deps.stop(id, 'SIGKILL', h.untilMs, h.revoked === true);
      }
    }
  }
}
