// Following the runs stream as runs are put on record (the dashboard's live feed): XREAD BLOCK
// on a connection of its own, since a blocked connection can send nothing else. Opened on first
// use, so a daemon whose dashboard nobody watches holds no extra connection.
import type { RedisAccess } from './redis-access.js';
import { decodeRunsEntry, type RunSummary } from './run-record.js';
import type { RedisClient } from './script.js';

export interface FedRun {
  /** The stream entry's id: where the next read goes on from. */
  id: string;
  run: RunSummary;
}

export class RunFeed {
  private blocking: Promise<RedisClient> | null = null;

  constructor(
    private readonly redis: RedisAccess,
    /** A new client, connected (the daemon's profile: it reconnects by itself after that). */
    private readonly openClient: () => Promise<RedisClient>,
  ) {}

  /** The id of the newest run on record ('0-0' when none): a feed starting now reads after it. */
  async latestId(): Promise<string> {
    const [newest] = await this.redis.call((c) => c.xrevrange(this.redis.keys.runs, '+', '-', 'COUNT', 1));
    return newest?.[0] ?? '0-0';
  }

  /** The runs put on record after `afterId`, waiting up to `blockMs` for one (none: []). */
  async after(afterId: string, blockMs: number): Promise<FedRun[]> {
    this.blocking ??= this.openClient().catch((err: unknown) => {
      this.blocking = null;
      throw err;
    });
    const client = await this.blocking;
    const reply = await this.redis.call((_) =>
      client.xread('COUNT', 100, 'BLOCK', blockMs, 'STREAMS', this.redis.keys.runs, afterId),
    );
    const entries = reply?.[0]?.[1] ?? [];
    return entries.flatMap(([id, fields]) => {
      try {
        return [{ id, run: decodeRunsEntry('runs stream', fields) }];
      } catch {
        return [];
      }
    });
  }

  close(): void {
    void this.blocking?.then((c) => c.disconnect()).catch(() => {});
    this.blocking = null;
  }
}

/** What a follower offers: one stream's RunFeed, or every shard's (ShardedRunFeed). */
export type RunFeedApi = Pick<RunFeed, keyof RunFeed>;

/** How long a sharded feed waits between reads that found nothing. */
const POLL_MS = 250;

/**
 * Following the runs streams of K > 1 shards (docs/shards.md): each read looks at every shard's
 * stream after its own id (no blocking: a Cluster's shards are on several masters) and merges
 * what it finds by stream id; nothing found, it waits POLL_MS before it returns. Its cursor is
 * every shard's id, comma-separated.
 */
export class ShardedRunFeed implements RunFeedApi {
  constructor(private readonly shards: readonly RedisAccess[]) {}

  async latestId(): Promise<string> {
    const ids = await Promise.all(
      this.shards.map((s) => s.call((c) => c.xrevrange(s.keys.runs, '+', '-', 'COUNT', 1))),
    );
    return ids.map((newest) => newest[0]?.[0] ?? '0-0').join(',');
  }

  async after(afterId: string, blockMs: number): Promise<FedRun[]> {
    const cursor = this.shards.map((_, i) => afterId.split(',')[i] ?? '0-0');
    const read = await Promise.all(
      this.shards.map((s, i) =>
        s.call((c) => c.xread('COUNT', 100, 'STREAMS', s.keys.runs, cursor[i] as string)),
      ),
    );
    const entries = read.flatMap((reply, shard) =>
      (reply?.[0]?.[1] ?? []).map(([id, fields]) => ({ shard, id, fields })),
    );
    if (entries.length === 0) {
      await new Promise((r) => setTimeout(r, Math.min(blockMs, POLL_MS)));
      return [];
    }
    entries.sort((a, b) => compareIds(a.id, b.id));
    return entries.flatMap(({ shard, id, fields }) => {
      cursor[shard] = id;
      try {
        return [{ id: cursor.join(','), run: decodeRunsEntry('runs stream', fields) }];
      } catch {
        return [];
      }
    });
  }

  close(): void {}
}

/** Stream ids `ms-seq` in order. */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
}
