// The live feed's source: one follower of the runs stream per web thread, however many browsers
// watch, each run handed to every one of them. It reads only while someone watches.
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffMs } from '../../backoff.js';
import { messageOf } from '../../errors.js';
import type { RunSummary } from '../../runs/record.js';

/** What the store's RunFeed offers (web/ sees the store only through what it is given). */
export interface RunSource {
  latestId(): Promise<string>;
  after(afterId: string, blockMs: number): Promise<{ id: string; run: RunSummary }[]>;
  close(): void;
}

/** How long one read waits for a run: a watcher gone is noticed within this. */
const BLOCK_MS = 5000;
const MAX_RETRY_MS = 5000;

export type RunListener = (run: RunSummary) => void;

export class LiveRuns {
  private readonly listeners = new Set<RunListener>();
  private reading = false;
  private closed = false;
  private isClosed(): boolean {
    return this.closed;
  }

  constructor(
    private readonly source: RunSource,
    private readonly onError: (message: string) => void,
  ) {}

  get watchers(): number {
    return this.listeners.size;
  }

  /** Calls `listener` with each run put on record from now on; returns the unsubscribe. */
  subscribe(listener: RunListener): () => void {
    this.listeners.add(listener);
    if (!this.reading && !this.closed) void this.read();
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.source.close();
  }

  private async read(): Promise<void> {
    this.reading = true;
    // Each time watching starts, the feed starts from the newest run: only runs from then on.
    let after: string | null = null;
    let failures = 0;
    while (this.listeners.size > 0 && !this.closed) {
      try {
        after ??= await this.source.latestId();
        const runs = await this.source.after(after, BLOCK_MS);
        failures = 0;
        for (const { id, run } of runs) {
          after = id;
          for (const listener of this.listeners) listener(run);
        }
      } catch (err) {
        // A method, not the field: the compiler's narrowing cannot see close() run during the await.
        if (this.isClosed()) break;
        // One line per outage, not one per retry.
        if (failures === 0) this.onError(`live feed: reading the runs stream failed: ${messageOf(err)}`);
        await sleep(backoffMs(failures++, MAX_RETRY_MS));
      }
    }
    this.reading = false;
  }
}
