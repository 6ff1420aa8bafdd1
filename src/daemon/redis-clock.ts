// The daemon's "now": the Redis server's clock (TIME), so that every daemon and every `add`
// share one clock whatever the skew between machines. TIME is sampled now and then; between
// samples the local clock carries it forward. The estimate leans late by half the round trip,
// so a task is never fired early. Waits are the local clock's (a duration is the same on both).
import type { Clock, Sleep } from '../clock.js';

export interface TimeSource {
  /** The server's time, unix ms (with sub-ms precision where available). */
  serverTimeMs(): Promise<number>;
}

export class RedisClock implements Clock {
  private offsetMs = 0;
  private synced = false;
  private syncedAtMs = Number.NEGATIVE_INFINITY;
  /** Half the round trip of the best sample: how uncertain the offset is. */
  uncertaintyMs = 0;

  constructor(
    private readonly source: TimeSource,
    private readonly local: Clock,
  ) {}

  nowMs(): number {
    return this.local.nowMs() + this.offsetMs;
  }

  sleep(ms: number): Sleep {
    return this.local.sleep(ms);
  }

  get isSynced(): boolean {
    return this.synced;
  }

  /** Local clock minus Redis clock, ms (positive: this machine runs ahead). */
  get skewMs(): number {
    return -this.offsetMs;
  }

  /** Syncs when it never has, or when the last sync is older than `maxAgeMs`. */
  async syncIfOlder(maxAgeMs: number): Promise<void> {
    if (this.synced && this.local.nowMs() - this.syncedAtMs < maxAgeMs) return;
    await this.sync();
  }

  /** Takes a few samples and keeps the one with the shortest round trip. */
  async sync(samples = 3): Promise<void> {
    let best: { offset: number; rtt: number } | undefined;
    for (let i = 0; i < samples; i++) {
      const before = this.local.nowMs();
      const server = await this.source.serverTimeMs();
      const after = this.local.nowMs();
      const rtt = after - before;
      // The server read its clock somewhere in [before, after]; taking `after` gives the
      // smallest offset it can be, so our estimate is never ahead of the server's real time.
      const offset = server - after;
      if (!best || rtt < best.rtt) best = { offset, rtt };
    }
    if (best) {
      this.offsetMs = best.offset;
      this.uncertaintyMs = best.rtt / 2;
      this.synced = true;
      this.syncedAtMs = this.local.nowMs();
    }
  }
}
