// The live tail (issue 24 item 3): a running run's output as it is printed, for `ktimer output
// --follow` and the dashboard, from any machine. Whoever follows a run says so in the watched set
// (fire id -> until when, unix ms), refreshed while it follows; the daemon running that run reads
// the set with each batch of output and publishes the run's output into a capped stream of its
// own (prefix + fire id: its backlog first, then each batch), ended by an `end` entry, expiring a
// while after. Runs nobody follows cost Redis one read of the set per batch, across all runs.
import { type RedisAccess, transaction } from './redis-access.js';

/** A run's output as it was printed: a batch of one stream, or the bytes left out before it. */
export interface LiveChunk {
  stream: 'stdout' | 'stderr';
  text: string;
  /** Bytes of this stream not published just before `text` (printed faster than followed). */
  droppedBytes: number;
}

/** What a daemon publishes of one run in one batch. */
export interface LiveBatch {
  fireId: string;
  chunks: readonly LiveChunk[];
  /** The run ended (after these chunks): how. */
  ended?: { ok: boolean };
}

/** One entry of a run's live stream, with its id (where the next read goes on from). */
export type LiveEntry = { id: string } & ({ chunk: LiveChunk } | { ended: { ok: boolean } });

/** How long a follower counts as following without saying so again, ms. */
export const WATCH_MS = 30_000;

/** Entries a run's stream keeps (approximately): the reader far behind misses the oldest. */
const STREAM_KEEP = 256;
/** A run's stream expires this long after its last entry while it runs, and after its end. */
const RUNNING_KEEP_MS = 10 * 60_000;
const ENDED_KEEP_MS = 60_000;
/** Entries one read returns at most. */
const READ_COUNT = 500;

export class LiveOutputStore {
  constructor(private readonly redis: RedisAccess) {}

  /** Follows `fireId` until `untilMs` (unix ms, Redis clock); followers gone past their time leave. */
  async watch(fireId: string, nowMs: number, untilMs: number): Promise<void> {
    const key = this.redis.keys.liveWatched;
    await this.redis.call((c) =>
      transaction(c, (m) =>
        m.zremrangebyscore(key, '-inf', nowMs).zadd(key, untilMs, fireId).pexpire(key, 3_600_000),
      ),
    );
  }

  /** The fire ids someone follows now. */
  async watched(nowMs: number): Promise<Set<string>> {
    const ids = await this.redis.call((c) => c.zrangebyscore(this.redis.keys.liveWatched, nowMs, '+inf'));
    return new Set(ids);
  }

  /** Publishes batches of output (one round trip for all); a command Redis refused fails it. */
  async publish(batches: readonly LiveBatch[]): Promise<void> {
    if (batches.length === 0) return;
    await this.redis.call((c) =>
      transaction(c, (m) => {
        for (const b of batches) {
          const key = this.streamKey(b.fireId);
          for (const ch of b.chunks) {
            const fields = [ch.stream === 'stdout' ? 'o' : 'e', ch.text];
            if (ch.droppedBytes > 0) fields.push('d', String(ch.droppedBytes));
            m.xadd(key, 'MAXLEN', '~', STREAM_KEEP, '*', ...fields);
          }
          if (b.ended) m.xadd(key, 'MAXLEN', '~', STREAM_KEEP, '*', 'end', b.ended.ok ? '1' : '0');
          m.pexpire(key, b.ended ? ENDED_KEEP_MS : RUNNING_KEEP_MS);
        }
        return m;
      }),
    );
  }

  /** The entries of `fireId`'s stream after `afterId` ('' or '0': from its start). */
  async read(fireId: string, afterId: string): Promise<LiveEntry[]> {
    const from = afterId === '' || afterId === '0' ? '-' : `(${afterId}`;
    const entries = await this.redis.call((c) =>
      c.xrange(this.streamKey(fireId), from, '+', 'COUNT', READ_COUNT),
    );
    return entries.flatMap(([id, fields]) => {
      const entry = liveEntry(id, fields);
      return entry ? [entry] : [];
    });
  }

  private streamKey(fireId: string): string {
    return `${this.redis.keys.liveOutput}${fireId}`;
  }
}

/** An entry's fields as published above, or null (not one). */
function liveEntry(id: string, fields: readonly string[]): LiveEntry | null {
  const [name, value = '', extra, dropped] = fields;
  if (name === 'end') return { id, ended: { ok: value === '1' } };
  if (name !== 'o' && name !== 'e') return null;
  const droppedBytes = extra === 'd' ? Number(dropped) || 0 : 0;
  return { id, chunk: { stream: name === 'o' ? 'stdout' : 'stderr', text: value, droppedBytes } };
}
