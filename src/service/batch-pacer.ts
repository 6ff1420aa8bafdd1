// How many rows the next batch of a bulk write carries (apply's), so that each script holds
// Redis's one thread for about a target time: a daemon's claim queued behind it waits that long
// at most, however heavy the rows are (a task with labels or a long env, a removal with runs to
// drop) and however fast the Redis server is. Fed with the time each batch's script took, as
// the script itself measured it on the server (not the round trip: a busy client, or the
// machine's load, would make that say nothing of Redis).

export interface PacerOptions {
  /** The time a script should take, ms. */
  targetMs: number;
  /** Rows of the first batch, before any is measured. */
  first: number;
  min: number;
  max: number;
}

/** How much the last batch's time per row weighs against the batches before it. */
const WEIGHT = 0.3;
/** A batch at most this many times the size of the last one measured. */
const GROWTH = 2;

export class BatchPacer {
  private msPerRow: number | null = null;
  /** Rows of the last batch measured. */
  private measured = 0;

  constructor(private readonly options: PacerOptions) {}

  /** Rows for the next batch. */
  size(): number {
    const { targetMs, first, min, max } = this.options;
    if (this.msPerRow === null) return first;
    const fits = this.msPerRow > 0 ? Math.floor(targetMs / this.msPerRow) : max;
    return Math.max(min, Math.min(max, GROWTH * this.measured, fits));
  }

  /** A batch of `rows` rows took `ms` on the server. */
  took(rows: number, ms: number): void {
    if (rows === 0) return;
    this.measured = rows;
    const perRow = ms / rows;
    this.msPerRow = this.msPerRow === null ? perRow : this.msPerRow + WEIGHT * (perRow - this.msPerRow);
  }
}
