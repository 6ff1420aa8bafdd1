// The tasks of a fleet with K > 1 schedule shards (docs/shards.md): one TaskStore per shard, and
// this facade with TaskStore's own methods. A one-task operation goes to its kid's shard (one
// script, one slot, as with one shard); a batch is split by shard, its replies put back in order;
// a read over every task reads every shard and merges. What spans shards is not atomic: each
// method says what it promises.
import { covers } from '../labels.js';
import { newKid } from '../tasks/kid.js';
import type { Task } from '../tasks/task.js';
import type { ApplyReply } from './apply-scripts.js';
import type { RunNow } from './fire-scripts.js';
import type { PauseStatus, Resume, ResumeStatus } from './pause-scripts.js';
import type { RunSummary } from './run-record.js';
import { byShard, perShard, shardOf } from './shards.js';
import type {
  BatchNameTaken,
  Deleted,
  ListPage,
  ListRow,
  ListWindow,
  NewTask,
  Refill,
} from './task-scripts.js';
import type {
  AddResult,
  ApplyBatchRows,
  BatchResult,
  StoredTask,
  TaskStore,
  TaskStoreApi,
  UpdateResult,
} from './task-store.js';

/** A scan's cursor over every shard: `shard.cursor` ('0' alone: the end, as HSCAN's). */
const SCAN_CURSOR = /^(\d+)\.(\d+)$/;

export class ShardedTaskStore implements TaskStoreApi {
  constructor(
    private readonly shards: readonly TaskStore[],
    /** The labels of each daemon seen since then (the home keys': run.lua on another shard cannot see them). */
    private readonly liveLabels: (sinceMs: number) => Promise<string[][]>,
  ) {}

  private of(id: string): TaskStore {
    return this.shards[shardOf(id, this.shards.length)] as TaskStore;
  }

  private sOf = (id: string): number => shardOf(id, this.shards.length);

  /** A new kid for a task of this name: on the name's shard, so the name and its task share a slot. */
  newKid(name?: string | null): string {
    if (name === undefined || name === null) return newKid();
    const want = this.sOf(name);
    for (;;) {
      const kid = newKid();
      if (this.sOf(kid) === want) return kid;
    }
  }

  private async each<R>(fn: (store: TaskStore, shard: number) => Promise<R>): Promise<R[]> {
    return Promise.all(this.shards.map((s, i) => fn(s, i)));
  }

  async count(): Promise<number> {
    return sum(await this.each((s) => s.count()));
  }

  async counts(): Promise<{ total: number; paused: number }> {
    const all = await this.each((s) => s.counts());
    return { total: sum(all.map((c) => c.total)), paused: sum(all.map((c) => c.paused)) };
  }

  get(kid: string): Promise<StoredTask | null> {
    return this.of(kid).get(kid);
  }

  /** Every shard's tasks in turn, `max` at most. */
  async scanAll(
    max: number,
    onPage: (rows: readonly { kid: string; raw: string }[]) => void = () => {},
  ): Promise<{ rows: { kid: string; raw: string }[]; complete: boolean }> {
    const rows: { kid: string; raw: string }[] = [];
    let complete = true;
    for (const shard of this.shards) {
      const part = await shard.scanAll(max - rows.length, onPage);
      rows.push(...part.rows);
      complete = part.complete;
      if (!complete || rows.length >= max) break;
    }
    return { rows: rows.slice(0, max), complete: complete && rows.length <= max };
  }

  /** Every shard's stamp: a change on any changes it. */
  async boardStamp(): Promise<string> {
    return (await this.each((s) => s.boardStamp())).join('|');
  }

  rawTasks(kids: readonly string[]): Promise<(string | null)[]> {
    return perShard(kids, this.sOf, (s, part) => (this.shards[s] as TaskStore).rawTasks(part));
  }

  /**
   * A name lives with its task: on its name's shard when added (newKid), on its kid's when it was
   * renamed across shards or moved by a reshard. Every shard is asked; the name's own answers first.
   */
  async kidsOfNames(names: readonly string[]): Promise<(string | null)[]> {
    if (names.length === 0) return [];
    const all = await this.each((s) => s.kidsOfNames(names));
    return names.map(
      (name, i) => all[this.sOf(name)]?.[i] ?? all.map((a) => a[i]).find((k) => k != null) ?? null,
    );
  }

  async historyKidOfName(name: string): Promise<string | null> {
    const [live] = await this.kidsOfNames([name]);
    if (live !== null && live !== undefined) return live;
    const ended = await this.each((s) => s.historyKidOfName(name));
    return ended[this.sOf(name)] ?? ended.find((k) => k !== null) ?? null;
  }

  /**
   * The task holding `name` on a shard other than `kid`'s, if any: the script that writes `kid`
   * checks its own shard's names in the same step; this is checked just before (docs/shards.md).
   */
  private async heldElsewhere(name: string, kid: string): Promise<string | null> {
    const all = await this.each((s) => s.kidsOfNames([name]));
    for (const [shard, [holder]] of all.entries()) {
      if (shard === this.sOf(kid) || holder === null || holder === undefined || holder === kid) continue;
      if ((await this.of(holder).get(holder)) !== null) return holder;
    }
    return null;
  }

  /**
   * task_max_num is fleet-wide: the tasks of every shard are counted before the add, and the
   * add's script checks its own shard's (so concurrent adds may pass it by as many as they are).
   */
  async add(kid: string, task: Task, maxNum: number): Promise<AddResult> {
    if ((await this.count()) >= maxNum) return 'full';
    const holder = task.name === undefined ? null : await this.heldElsewhere(task.name, kid);
    if (holder !== null) return { takenBy: holder };
    return this.of(kid).add(kid, task, maxNum);
  }

  /**
   * A batch over several shards: each shard's part is one script (all or none of that part); a
   * part refused after others were written takes theirs back (del), so the batch is all or none
   * unless the process dies in between (then the tasks written stay, as separate adds would).
   */
  async addMany(tasks: readonly NewTask[], maxNum: number): Promise<BatchResult> {
    if ((await this.count()) + tasks.length > maxNum) return 'full';
    const written: string[] = [];
    for (const [shard, part] of byShard(tasks, (t) => this.sOf(t.kid))) {
      const res = await (this.shards[shard] as TaskStore).addMany(
        part.map((p) => p.item),
        maxNum,
      );
      if (res !== 'added') {
        await this.del(written);
        return Array.isArray(res) ? reindex(res, part) : res;
      }
      written.push(...part.map((p) => p.item.kid));
    }
    return 'added';
  }

  /** A rename to a name of another shard: the name then lives on the task's shard, checked first everywhere. */
  async update(kid: string, expected: StoredTask, task: Task): Promise<UpdateResult> {
    const name = task.name;
    const holder =
      name === undefined || name === expected.task.name ? null : await this.heldElsewhere(name, kid);
    if (holder !== null) return { takenBy: holder };
    return this.of(kid).update(kid, expected, task);
  }

  async refill(items: readonly Refill[], by: { owner: string; nowMs: number }): Promise<number> {
    let n = 0;
    for (const [shard, part] of byShard(items, (r) => this.sOf(r.kid)))
      n += await (this.shards[shard] as TaskStore).refill(
        part.map((p) => p.item),
        by,
      );
    return n;
  }

  lastRuns(kids: readonly string[]): Promise<(RunSummary | null)[]> {
    return perShard(kids, this.sOf, (s, part) => (this.shards[s] as TaskStore).lastRuns(part));
  }

  /**
   * A run by hand on the task's shard. Whether a live daemon may run it is asked of the home keys
   * (where daemons say they are alive) just before: run.lua on another shard cannot read them.
   */
  async runNow(kid: string, nowMs: number, liveAfterMs: number | null = null): Promise<RunNow> {
    if (liveAfterMs !== null) {
      const on = await this.of(kid)
        .get(kid)
        .then((t) => (t === null ? null : (t.task.on ?? [])))
        .catch(() => []);
      if (on === null) return 'missing';
      const live = await this.liveLabels(liveAfterMs);
      if (!live.some((held) => covers(held, on))) return { how: 'no_daemon', labels: [...on].sort() };
    }
    return this.of(kid).runNow(kid, nowMs, null);
  }

  async del(kids: readonly string[]): Promise<Deleted> {
    const out = { removed: 0, dropped: 0 };
    for (const [shard, part] of byShard(kids, this.sOf)) {
      const d = await (this.shards[shard] as TaskStore).del(part.map((p) => p.item));
      out.removed += d.removed;
      out.dropped += d.dropped;
    }
    return out;
  }

  /** Shard by shard: a crash in between leaves the later shards' tasks; clearing again clears them. */
  async clear(): Promise<number> {
    let n = 0;
    for (const shard of this.shards) n += await shard.clear();
    return n;
  }

  async groupKids(group: string): Promise<string[]> {
    return (await this.each((s) => s.groupKids(group))).flat();
  }

  /** One step of a scan of every task: shard by shard, the cursor `shard.cursor`. */
  async scanTasks(
    cursor: string,
    count: number,
  ): Promise<{ cursor: string; rows: { kid: string; raw: string }[] }> {
    const m = SCAN_CURSOR.exec(cursor);
    const shard = m ? Number(m[1]) : 0;
    const step = await (this.shards[shard] as TaskStore).scanTasks(m ? (m[2] as string) : cursor, count);
    const next =
      step.cursor !== '0'
        ? `${shard}.${step.cursor}`
        : shard + 1 < this.shards.length
          ? `${shard + 1}.0`
          : '0';
    return { cursor: next, rows: step.rows };
  }

  /**
   * The group's apply lock on every shard (apply.lua checks its shard's in the same slot): all or
   * none, those taken let go again when one is held by another apply.
   */
  async lockApply(group: string, token: string, ms: number): Promise<boolean> {
    const taken = await this.each((s) => s.lockApply(group, token, ms));
    if (taken.every(Boolean)) return true;
    await this.each((s, i) =>
      taken[i]
        ? s.applyBatch({ group, token, lockMs: ms, release: true, maxNum: 0, rows: [] })
        : Promise.resolve(null),
    );
    return false;
  }

  /**
   * A batch of an apply, shard by shard (each part one script, under that shard's lock); not atomic
   * across shards: a crash in between leaves part of the batch, which the next apply finishes.
   */
  async applyBatch(batch: ApplyBatchRows): Promise<ApplyReply> {
    const parts = byShard(batch.rows, (r) => this.sOf(r.kid));
    const statuses: ApplyReply & { written: true } = { written: true, statuses: [], dropped: [] };
    for (let shard = 0; shard < this.shards.length; shard++) {
      const part = parts.get(shard) ?? [];
      const reply = await (this.shards[shard] as TaskStore).applyBatch({
        ...batch,
        rows: part.map((p) => p.item),
      });
      if (!reply.written)
        return reply.why === 'taken' ? { ...reply, taken: reindex(reply.taken, part) } : reply;
      part.forEach((p, i) => {
        statuses.statuses[p.index] = reply.statuses[i] ?? 'missing';
        statuses.dropped[p.index] = reply.dropped[i] ?? 0;
      });
    }
    return statuses;
  }

  /**
   * A page of the tasks whose next run lies in the window, merged from every shard by next run
   * (then kid, as each shard orders them): one cursor, the last row's score and kid, serves all.
   */
  async list(window: ListWindow): Promise<ListPage> {
    const wanted = window.after === null ? window.offset + window.count : window.count;
    const pages = await this.each((s) => s.list({ ...window, count: wanted, offset: 0 }));
    const rows = mergeRows(pages.map((p) => p.rows));
    const skip = window.after === null ? window.offset : 0;
    return {
      total: sum(pages.map((p) => p.total)),
      position: sum(pages.map((p) => p.position)) + skip,
      rows: rows.slice(skip, skip + window.count),
    };
  }

  pause(kids: readonly string[], nowSec: number): Promise<PauseStatus[]> {
    return perShard(kids, this.sOf, (s, part) => (this.shards[s] as TaskStore).pause(part, nowSec));
  }

  resume(items: readonly Resume[]): Promise<ResumeStatus[]> {
    return perShard(
      items,
      (r) => this.sOf(r.kid),
      (s, part) => (this.shards[s] as TaskStore).resume(part),
    );
  }

  async scheduledHead(count: number): Promise<string[]> {
    const heads = await this.each((s) => s.scheduledHead(count));
    return heads.flat().slice(0, count);
  }

  /** Paused tasks after `after` in order of kid, merged from every shard. */
  async pausedAfter(after: string, count: number): Promise<{ kid: string; raw: string | null }[]> {
    const all = (await this.each((s) => s.pausedAfter(after, count))).flat();
    return all.sort((a, b) => (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0)).slice(0, count);
  }
}

const sum = (ns: readonly number[]): number => ns.reduce((a, b) => a + b, 0);

function reindex(taken: BatchNameTaken[], part: readonly { index: number }[]): BatchNameTaken[] {
  return taken.map((t) => ({ ...t, index: part[t.index]?.index ?? t.index }));
}

/** Rows of several pages, each in order of (score, kid), merged in that order. */
function mergeRows(pages: readonly ListRow[][]): ListRow[] {
  return pages.flat().sort((a, b) => scoreOf(a) - scoreOf(b) || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0));
}

/** A row's score as a number: a paused row's is 'inf' (list.lua), after every scheduled one. */
function scoreOf(row: ListRow): number {
  return row.score === 'inf' ? Infinity : Number(row.score);
}
