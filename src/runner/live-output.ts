// The live tail: a running command's output handed on as it is printed, in batches, so that a
// chatty command costs a few messages a second, not one per write. The native spawner batches the
// same way in C (native/ktimer-spawn.c, LIVE_INTERVAL_MS and LIVE_BATCH_BYTES).
import { StringDecoder } from 'node:string_decoder';
import type { OutputChunk, OutputListener } from './runner-result.js';

/** At most one batch per stream this often; the first output goes at once. */
export const LIVE_INTERVAL_MS = 250;
/** Bytes of a stream one batch carries at most; more printed meanwhile is dropped (and counted). */
export const LIVE_BATCH_BYTES = 65_536;

type Stream = OutputChunk['stream'];

/** Turns a stream's byte batches into text, holding a character split between two batches. */
export class LiveDecoder {
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };

  constructor(private readonly listener: OutputListener) {}

  emit(stream: Stream, bytes: Buffer, droppedBytes: number): void {
    const text = this.decoders[stream].write(bytes);
    if (text !== '' || droppedBytes > 0) this.listener({ stream, text, droppedBytes });
  }
}

interface Pending {
  chunks: Buffer[];
  bytes: number;
  dropped: number;
}

/** Batches a runner's output for a listener (Node runners: run-shell.ts, run-url.ts). */
export class LiveBatcher {
  private readonly decoder: LiveDecoder;
  private readonly pending: Record<Stream, Pending> = {
    stdout: { chunks: [], bytes: 0, dropped: 0 },
    stderr: { chunks: [], bytes: 0, dropped: 0 },
  };
  private lastFlushMs = -Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(listener: OutputListener) {
    this.decoder = new LiveDecoder(listener);
  }

  push(stream: Stream, chunk: Buffer): void {
    const p = this.pending[stream];
    const room = LIVE_BATCH_BYTES - p.bytes;
    if (room < chunk.length) p.dropped += chunk.length - Math.max(0, room);
    if (room > 0) {
      const kept = chunk.subarray(0, room);
      p.chunks.push(kept);
      p.bytes += kept.length;
    }
    const wait = this.lastFlushMs + LIVE_INTERVAL_MS - Date.now();
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait);
  }

  /** Hands on what is pending (the run ended, or its interval passed). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastFlushMs = Date.now();
    for (const stream of ['stdout', 'stderr'] as const) {
      const p = this.pending[stream];
      if (p.bytes === 0 && p.dropped === 0) continue;
      this.decoder.emit(stream, Buffer.concat(p.chunks), p.dropped);
      this.pending[stream] = { chunks: [], bytes: 0, dropped: 0 };
    }
  }
}
