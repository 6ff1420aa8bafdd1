// The daemon's "now": the Redis server's clock (TIME), so that every daemon and every `add`
// share one clock whatever the skew between machines. TIME is sampled now and then; between
// samples the local clock carries it forward. The estimate leans late by half the round trip,
// so a task is never fired early.
import type { Clock } from '../clock.js';

export interface TimeSource {
  /** The server's time, unix ms (with sub-ms precision where available). */
  serverTimeMs(): Promise<number>;
}

export class RedisClock implements Clock {
  private offsetMs = 0;
  private synced = false;
  /** Half the round trip of the best sample: how uncertain the offset is. */
  uncertaintyMs = 0;

  constructor(
    private readonly source: TimeSource,
    private readonly local: () => number = () => performance.timeOrigin + performance.now(),
  ) {}

  nowMs(): number {
    return this.local() + this.offsetMs;
  }

  get isSynced(): boolean {
    return this.synced;
  }

  /** Local clock minus Redis clock, ms (positive: this machine runs ahead). */
  get skewMs(): number {
    return -this.offsetMs;
  }

  /** Takes a few samples and keeps the one with the shortest round trip. */
  async sync(samples = 3): Promise<void> {
    let best: { offset: number; rtt: number } | undefined;
    for (let i = 0; i < samples; i++) {
      const before = this.local();
      const server = await this.source.serverTimeMs();
      const after = this.local();
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
    }
  }
}
