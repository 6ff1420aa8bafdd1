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
