// Where "now" comes from, and how to wait. Pure rules take `nowMs` as an argument; the daemon's
// parts take a Clock, so tests drive them on a ManualClock (seconds pass in microseconds).

export interface Clock {
  /** Current unix time in milliseconds (may carry a fraction). */
  nowMs(): number;
  /** Waits `ms` on this clock; `wake()` ends the wait early. */
  sleep(ms: number): Sleep;
}

export interface Sleep {
  /** Resolves when the time is up (false) or on wake() (true). */
  readonly done: Promise<boolean>;
  wake(): void;
}

/**
 * The machine's clock: monotonic (performance.now) from the process's start instant, so an NTP
 * step does not move a wait, with sub-millisecond precision; timers are real.
 */
export const systemClock: Clock = {
  nowMs: () => performance.timeOrigin + performance.now(),
  sleep(ms: number): Sleep {
    let wake: () => void = () => {};
    const done = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), Math.max(0, Math.ceil(ms)));
      wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
    return { done, wake: () => wake() };
  },
};

/** Waits `ms` on `clock`, without a way to end it early. */
export const pause = (clock: Clock, ms: number): Promise<boolean> => clock.sleep(ms).done;

/**
 * Waits until `atMs` on `clock`, never less: a timer that fires early (by up to a ms) is armed
 * again. `hold` is given each sleep while it lasts (then undefined), so that its owner may wake
 * it: a wake ends the wait (true).
 */
export async function sleepUntil(
  clock: Clock,
  atMs: number,
  hold?: (sleep: Sleep | undefined) => void,
): Promise<boolean> {
  for (let delay = atMs - clock.nowMs(); delay > 0; delay = atMs - clock.nowMs()) {
    const sleep = clock.sleep(delay);
    hold?.(sleep);
    const woken = await sleep.done;
    hold?.(undefined);
    if (woken) return true;
  }
  return false;
}

/** A clock whose time moves only by hand: for tests. Sleeps end when the time passes them. */
export class ManualClock implements Clock {
  private readonly sleepers = new Set<{ atMs: number; resolve: (woken: boolean) => void }>();

  constructor(private current: number) {}

  nowMs(): number {
    return this.current;
  }

  sleep(ms: number): Sleep {
    let sleeper: { atMs: number; resolve: (woken: boolean) => void } | undefined;
    const done = new Promise<boolean>((resolve) => {
      sleeper = { atMs: this.current + Math.max(0, ms), resolve };
      this.sleepers.add(sleeper);
    });
    const wake = () => {
      if (sleeper && this.sleepers.delete(sleeper)) sleeper.resolve(true);
    };
    if (ms <= 0) this.release();
    return { done, wake };
  }

  /** Sleeps under way (a test waits for the code under test to reach its next wait). */
  get sleeping(): number {
    return this.sleepers.size;
  }

  set(ms: number): void {
    this.current = ms;
    this.release();
  }

  advance(ms: number): void {
    this.set(this.current + ms);
  }

  private release(): void {
    for (const s of [...this.sleepers].sort((a, b) => a.atMs - b.atMs)) {
      if (s.atMs > this.current) continue;
      this.sleepers.delete(s);
      s.resolve(false);
    }
  }
}
