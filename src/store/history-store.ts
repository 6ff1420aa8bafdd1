// Reading the run history (written by finish.lua and claim.lua through include/run-record.lua):
// a task's runs, newest first, with the tail of their outputs; the runs of every task (the runs
// stream); one run's record, with its output. Plain reads, one or a few commands each.
import { type FireState, isFireState } from '../runs/fire.js';
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

  /**
   * A task's runs, newest first (also of a timer that has fired and is gone), each with the last
   * 4 KiB of its output (stdout then stderr) where it is kept apart.
   */
  async ofTask(kid: string, count: number): Promise<RunRecord[]> {
    const raw = await this.redis.call((c) => c.lrange(`${this.redis.keys.history}${kid}`, 0, count - 1));
    const records = readable(raw, kid);
    const apart = records.filter((r) => r.output_bytes !== undefined);
    if (apart.length === 0) return records;
    const tails = await this.redis.call((c) =>
      Promise.all(apart.map((r) => c.getrangeBuffer(this.outputKey(r.fire_id), -OUTPUT_TAIL_BYTES, -1))),
    );
    apart.forEach((r, i) => withOutput(r, tails[i] ?? null, 'tail'));
    return records;
  }

  /** One run's record, found in its task's history (the fire id is kid:run), with its whole output. */
  async byFireId(fireId: string): Promise<RunRecord | null> {
    const kid = kidOfFireId(fireId);
    const raw = await this.redis.call((c) => c.lrange(`${this.redis.keys.history}${kid}`, 0, -1));
    // A plain search first: only the matching entry is decoded (a row starts with its fire id less
    // the kid, or all of it as ktimer 4.2 and before wrote it; a record ktimer 2.0 stored is an object).
    const id = JSON.stringify(fireId);
    const own = JSON.stringify(fireId.slice(kid.length));
    const hit = raw.find(
      (r) => r.startsWith(`[${own},`) || r.startsWith(`[${id},`) || r.includes(`"fire_id":${id}`),
    );
    const record = hit === undefined ? null : (readable([hit], kid)[0] ?? null);
    if (record?.output_bytes === undefined) return record;
    const bytes = await this.redis.call((c) => c.getBuffer(this.outputKey(record.fire_id)));
    return withOutput(record, bytes, 'whole');
  }

  private outputKey(fireId: string): string {
    return `${this.redis.keys.output}${fireId}`;
  }

  /**
   * Whether fire `fireId` is still to run or running: in the fires hash (pending, leased, begun,
   * or a retry waiting) or queued behind its task's run under way (overlap=queue).
   */
  async handedOut(fireId: string): Promise<boolean> {
    return (await this.stateOf(fireId)) !== null;
  }

  /** Fire `fireId`'s state while it is handed out (queued, pending, leased, started), else null. */
  async stateOf(fireId: string): Promise<FireState | null> {
    const kid = kidOfFireId(fireId);
    const [fire, queued] = await this.redis.call((c) =>
      Promise.all([c.hget(this.redis.keys.fires, fireId), c.hget(this.redis.keys.queued, kid)]),
    );
    if (fire !== null) {
      const state = /"state":"(\w+)"/.exec(fire)?.[1];
      return isFireState(state) ? state : 'pending';
    }
    return queued !== null && queued.includes(`"id":${JSON.stringify(fireId)}`) ? 'queued' : null;
  }

  /** The runs under way across the fleet (and those about to start), oldest first; or `kid`'s only. */
  running(kid?: string): Promise<RunningFire[]> {
    return runningFires(this.redis, kid);
  }

  /** Runs of every task, newest first, as the stream keeps them (a summary each). */
  async runs(q: RunsQuery): Promise<RunSummary[]> {
    return (await this.runsWithIds(q)).map((r) => r.summary);
  }

  /** The same, each with its stream id (shards' streams merge by it: sharded-fires.ts). */
  async runsWithIds(q: RunsQuery): Promise<{ id: string; summary: RunSummary }[]> {
    const out: { id: string; summary: RunSummary }[] = [];
    const start = q.sinceMs === null ? '-' : String(Math.max(0, Math.floor(q.sinceMs)));
    let end = '+';
    for (let scanned = 0; out.length < q.count && scanned < MAX_SCANNED; scanned += PAGE) {
      const page = q.failedOnly ? PAGE : q.count - out.length;
      const entries = await this.redis.call((c) =>
        c.xrevrange(this.redis.keys.runs, end, start, 'COUNT', page),
      );
      for (const [id, fields] of entries) {
        const summary = readableEntry(fields);
        if (summary && (!q.failedOnly || summary.result === 'failed' || summary.result === 'lost'))
          out.push({ id, summary });
        if (out.length >= q.count) break;
      }
      const last = entries.at(-1)?.[0];
      if (entries.length < page || last === undefined) break;
      end = `(${last}`;
    }
    return out;
  }
}

/** What the service sees of the history: one shard's, or every shard's (sharded-fires.ts). */
export type HistoryStoreApi = Pick<HistoryStore, keyof HistoryStore>;

/** Bytes of output (stdout then stderr, as one) a history listing shows of each run. */
export const OUTPUT_TAIL_BYTES = 4096;

/**
 * `record` with its output read back (kept apart: include/run-record.lua): whole, stdout and
 * stderr apart and `output` both; or its last bytes as `output`. Nothing found (null or empty: a
 * kept output is never empty) means it was dropped since, for the budget (history_max_output).
 */
function withOutput(record: RunRecord, bytes: Buffer | null, how: 'whole' | 'tail'): RunRecord {
  const [outBytes] = record.output_bytes ?? [0, 0];
  if (bytes === null || bytes.length === 0) {
    record.output_dropped = true;
    return record;
  }
  if (how === 'tail') {
    record.output = bytes.toString('utf8');
    return record;
  }
  record.stdout = bytes.subarray(0, outBytes).toString('utf8');
  record.stderr = bytes.subarray(outBytes).toString('utf8');
  record.output = record.stdout + record.stderr;
  return record;
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
function readable(raw: readonly string[], kid: string): RunRecord[] {
  return raw.flatMap((r) => {
    try {
      return [decodeRunRecord('history', r, kid)];
    } catch {
      return [];
    }
  });
}
