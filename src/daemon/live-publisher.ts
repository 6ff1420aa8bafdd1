// The daemon's side of the live tail (store/live-output-store.ts): the runners hand each running
// run's output over in batches (runner/live-output.ts); every LIVE_INTERVAL_MS, while some run
// has output or has ended, one read says which runs someone follows, and theirs is published in
// one round trip: the backlog kept so far at first, then each batch, then its end. Nothing here
// is on the firing path: a timer of its own, one flush at a time, and a failure only logged.
import type { Clock } from '../clock.js';
import { messageOf } from '../errors.js';
import type { DaemonLogs } from '../log/daemon-logs.js';
import type { OutputListener } from '../runner/runner-result.js';
import type { LiveBatch, LiveChunk, LiveOutputStore } from '../store/open-store.js';

/** How often batches go out, ms (the runners batch as often: live-output.ts). */
export const LIVE_INTERVAL_MS = 250;
/** Characters of a run's output kept (the latest) until someone follows it, per run. */
export const LIVE_BACKLOG_CHARS = 32_768;

export interface LivePublisherDeps {
  live: Pick<LiveOutputStore, 'watched' | 'publish'>;
  clock: Clock;
  logs: Pick<DaemonLogs, 'error'>;
}

interface RunLive {
  /** Output not yet handed on: the backlog until someone follows, then each batch. */
  chunks: LiveChunk[];
  chars: number;
  /** Someone followed it: what comes is published as it comes. */
  published: boolean;
  ended?: { ok: boolean };
}

export class LivePublisher {
  private readonly runs = new Map<string, RunLive>();
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;
  private warned = false;

  constructor(private readonly deps: LivePublisherDeps) {}

  /** The listener a runner gives fire `fireId`'s output to. */
  listener(fireId: string): OutputListener {
    return (chunk) => {
      const run = this.runOf(fireId);
      run.chunks.push(chunk);
      run.chars += chunk.text.length;
      if (!run.published) keepLatest(run);
      this.schedule();
    };
  }

  /** Fire `fireId`'s run ended: its end goes out with the next batch, if someone follows it. */
  ended(fireId: string, ok: boolean): void {
    const run = this.runs.get(fireId);
    if (!run) return;
    run.ended = { ok };
    this.schedule();
  }

  /** Publishes what is left, then stops. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private runOf(fireId: string): RunLive {
    let run = this.runs.get(fireId);
    if (!run) {
      run = { chunks: [], chars: 0, published: false };
      this.runs.set(fireId, run);
    }
    return run;
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, LIVE_INTERVAL_MS).unref();
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.runs.size === 0) return;
    this.flushing = true;
    try {
      const watched = await this.deps.live.watched(this.deps.clock.nowMs());
      const batches: LiveBatch[] = [];
      for (const [fireId, run] of this.runs) {
        if (run.published || watched.has(fireId)) {
          run.published = true;
          if (run.chunks.length > 0 || run.ended) batches.push({ fireId, chunks: run.chunks, ...endOf(run) });
          run.chunks = [];
          run.chars = 0;
        }
        if (run.ended) this.runs.delete(fireId);
      }
      await this.deps.live.publish(batches);
      this.warned = false;
    } catch (err) {
      if (!this.warned)
        this.deps.logs.error.warn(
          { event: 'live_output_failed', err: messageOf(err) },
          'cannot publish the output of followed runs; trying again with the next batch',
        );
      this.warned = true;
    } finally {
      this.flushing = false;
      // Again while something waits: an end, a batch, or a backlog someone may start to follow.
      if ([...this.runs.values()].some((r) => r.ended || r.chunks.length > 0)) this.schedule();
    }
  }
}

const endOf = (run: RunLive): { ended?: { ok: boolean } } => (run.ended ? { ended: run.ended } : {});

/** Before anyone follows a run, only its latest output is kept; what goes is counted as dropped. */
function keepLatest(run: RunLive): void {
  while (run.chars > LIVE_BACKLOG_CHARS && run.chunks.length > 1) {
    const gone = run.chunks.shift() as LiveChunk;
    run.chars -= gone.text.length;
    const next = run.chunks.find((c) => c.stream === gone.stream);
    const bytes = Buffer.byteLength(gone.text) + gone.droppedBytes;
    if (next) next.droppedBytes += bytes;
    else run.chunks.push({ stream: gone.stream, text: '', droppedBytes: bytes });
  }
}
