// Who changed what (docs/logs-and-history.md "Who changed what"): one stream of every task change across the
// fleet, `<lock>:changes`, each entry the flat fields service/change-log.ts makes. Bounded as
// the runs stream is: at most history_max_runs entries, none older than history_max_age. The
// entries given go in one script call (the change log gives it 100 at most).
import { APPEND_CHANGES } from './change-scripts.js';
import type { RedisAccess } from './redis-access.js';

export interface ChangeBounds {
  /** Entries kept at most (history_max_runs); 0 = none kept. */
  maxEntries: number;
  /** How long one is kept, ms (history_max_age). */
  maxAgeMs: number;
}

/** A stream entry: its id (unix ms-seq, when it was recorded) and its fields. */
export interface ChangeEntry {
  id: string;
  fields: Record<string, string>;
}

/** Entries read for one query at most. */
const MAX_READ = 1000;

export class ChangeStore {
  constructor(
    private readonly redis: RedisAccess,
    private readonly bounds: ChangeBounds,
  ) {}

  /** Appends entries, in order, trimming by count and age. */
  async append(entries: readonly Record<string, string>[], nowMs: number): Promise<void> {
    const { maxEntries, maxAgeMs } = this.bounds;
    if (entries.length === 0 || maxEntries === 0) return;
    await this.redis.script(APPEND_CHANGES, { maxEntries, minIdMs: nowMs - maxAgeMs, entries });
  }

  /** The latest `count` entries (at most 1000), newest first, recorded at or after `sinceMs`. */
  async latest(count: number, sinceMs: number | null): Promise<ChangeEntry[]> {
    const start = sinceMs === null ? '-' : String(Math.max(0, Math.floor(sinceMs)));
    const raw = await this.redis.call((c) =>
      c.xrevrange(this.redis.keys.changes, '+', start, 'COUNT', Math.min(count, MAX_READ)),
    );
    return raw.map(([id, flat]) => {
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
      return { id, fields };
    });
  }
}
