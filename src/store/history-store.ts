// Reading the run history (written by finish.lua and claim.lua through include/run-record.lua):
// a task's runs, newest first; the runs of every task (the runs stream); one run's record, for
// its output. Plain reads, one or a few commands each.
import { kidOfFireId } from '../runs/ids.js';
import type { RedisAccess } from './redis-access.js';
import { type RunningFire, runningFires } from './running-fires.js';
import { decodeRunRecord, decodeRunsEntry, type RunRecord, type RunSummary } from './run-record.js';

export interface RunsQuery {
  /** Only runs put on record at or after this, unix ms (the stream's ids are ms). */
  sinceMs: number | null;
  count: number;
  /** Only runs that did not end well (failed or lost; not those skipped). */
  failedOnly: boolean;
}

/** The stream is read in pages of this many; at most MAX_SCANNED looked at for one query. */
const PAGE = 500;
const MAX_SCANNED = 20_000;

export class HistoryStore {
  constructor(private readonly redis: RedisAccess) {}

  /** A task's runs, newest first (also of a timer that has fired and is gone). */
  async ofTask(kid: string, count: number): Promise<RunRecord[]> {
    const raw = await this.redis.call((c) => c.lrange(`${this.redis.keys.history}${kid}`, 0, count - 1));
    return readable(raw);
  }

  /** One run's record, found in its task's history (the fire id is kid:run). */
  async byFireId(fireId: string): Promise<RunRecord | null> {
    const kid = kidOfFireId(fireId);
    const raw = await this.redis.call((c) => c.lrange(`${this.redis.keys.history}${kid}`, 0, -1));
    // A plain search first: only the matching entry is decoded (a row starts with its fire id;
    // a record ktimer 2.0 stored is an object).
    const id = JSON.stringify(fireId);
    const hit = raw.find((r) => r.startsWith(`[${id},`) || r.includes(`"fire_id":${id}`));
    return hit === undefined ? null : (readable([hit])[0] ?? null);
  }

  /**
   * Whether fire `fireId` is still to run or running: in the fires hash (pending, leased, begun,
   * or a retry waiting) or queued behind its task's run under way (overlap=queue).
   */
  async handedOut(fireId: string): Promise<boolean> {
    const kid = kidOfFireId(fireId);
    const [inFires, queued] = await this.redis.call((c) =>
      Promise.all([c.hexists(this.redis.keys.fires, fireId), c.hget(this.redis.keys.queued, kid)]),
    );
    return inFires === 1 || (queued !== null && queued.includes(`"id":${JSON.stringify(fireId)}`));
  }

  /** The runs under way across the fleet (and those about to start), oldest first. */
  running(): Promise<RunningFire[]> {
    return runningFires(this.redis);
  }

  /** Runs of every task, newest first, as the stream keeps them (a summary each). */
  async runs(q: RunsQuery): Promise<RunSummary[]> {
    const out: RunSummary[] = [];
    const start = q.sinceMs === null ? '-' : String(Math.max(0, Math.floor(q.sinceMs)));
    let end = '+';
    for (let scanned = 0; out.length < q.count && scanned < MAX_SCANNED; scanned += PAGE) {
      const page = q.failedOnly ? PAGE : q.count - out.length;
      const entries = await this.redis.call((c) =>
        c.xrevrange(this.redis.keys.runs, end, start, 'COUNT', page),
      );
      for (const [, fields] of entries) {
        const summary = readableEntry(fields);
        if (summary && (!q.failedOnly || summary.result === 'failed' || summary.result === 'lost'))
          out.push(summary);
        if (out.length >= q.count) break;
      }
      const last = entries.at(-1)?.[0];
      if (entries.length < page || last === undefined) break;
      end = `(${last}`;
    }
    return out;
  }
}

/** A runs stream entry that reads as a summary, else null (one damaged entry hides nothing else). */
function readableEntry(fields: readonly string[]): RunSummary | null {
  try {
    return decodeRunsEntry('runs', fields);
  } catch {
    return null;
  }
}

/** Records that read as records (one damaged entry hides nothing else). */
function readable(raw: readonly string[]): RunRecord[] {
  return raw.flatMap((r) => {
    try {
      return [decodeRunRecord('history', r)];
    } catch {
      return [];
    }
  });
}
