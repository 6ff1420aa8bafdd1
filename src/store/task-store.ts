// Typed access to the tasks in Redis. Every write is one Lua script, so the hash and the
// schedule always agree; reads are single commands or one script. Any Redis failure comes out
// as a KtimerError('redis') naming the server.
import { newKid } from '../tasks/kid.js';
import { decodeTask, type Task } from '../tasks/task.js';
import { PAUSE, type PauseStatus, RESUME, type Resume, type ResumeStatus } from './pause-scripts.js';
import type { RedisAccess } from './redis-access.js';
import { unexpectedReply } from './script.js';
import { decodeLastRun, type RunSummary } from './run-record.js';
import {
  ADD,
  ADD_MANY,
  CLEAR,
  DEL,
  type Deleted,
  LIST,
  type BatchNameTaken,
  type DelLeftBehind,
  type ListPage,
  type ListWindow,
  type NameTaken,
  type NewTask,
  REFILL,
  type Refill,
  UPDATE,
} from './task-scripts.js';
import { type HistoryRules, RUN, type RunNow } from './fire-scripts.js';
import { APPLY, type ApplyBatch, type ApplyReply } from './apply-scripts.js';

/** An apply's batch as its caller gives it (the store adds the key names). */
export type ApplyBatchRows = Omit<ApplyBatch, 'lockPrefix' | 'left'>;

export type {
  BatchNameTaken,
  Deleted,
  ListAfter,
  ListPage,
  ListWindow,
  NameTaken,
  NewTask,
  Refill,
} from './task-scripts.js';
export type { PauseStatus, Resume, ResumeStatus } from './pause-scripts.js';
export type { ApplyReply, ApplyRow, RowStatus } from './apply-scripts.js';

/** `NameTaken`: the task's name is another task's (its kid); nothing was written. */
/** What the service sees of the tasks: one shard's TaskStore, or every shard's (sharded-tasks.ts). */
export type TaskStoreApi = Pick<TaskStore, keyof TaskStore>;

export type AddResult = 'added' | 'full' | 'exists' | NameTaken;
export type BatchResult = 'added' | 'full' | 'exists' | BatchNameTaken[];
export type UpdateResult = 'updated' | 'missing' | 'changed' | NameTaken;

export interface StoredTask {
  task: Task;
  /** The JSON as stored: what update() compares against. */
  raw: string;
}

/** Rows an HSCAN of the tasks asks for at a time. */
const SCAN_COUNT = 1000;

export class TaskStore {
  /** What del and clear leave behind of the tasks they remove (lua/include/ended-name.lua). */
  private readonly left: DelLeftBehind;
  private readonly groupPrefix: string;

  constructor(
    private readonly redis: RedisAccess,
    /** What the history keeps: how long a removed task's name still leads to it; a refill's missed runs. */
    private readonly history: HistoryRules,
  ) {
    const historyMaxAgeMs = history.maxAgeMs;
    this.groupPrefix = redis.keys.group;
    this.left = {
      namePrefix: redis.keys.endedName,
      noRetryPrefix: redis.keys.noRetry,
      keepMs: historyMaxAgeMs,
      groupPrefix: this.groupPrefix,
    };
  }

  /** A new kid for a task of this name (one shard: any; ShardedTaskStore: on the name's shard). */
  newKid(_name?: string | null): string {
    return newKid();
  }

  count(): Promise<number> {
    return this.redis.call((client) => client.hlen(this.redis.keys.pool));
  }

  /** Every task, paused ones included, and the paused ones: O(1) each (the daemon's metrics). */
  async counts(): Promise<{ total: number; paused: number }> {
    const { pool, paused } = this.redis.keys;
    const [total, pausedCount] = await this.redis.call((client) =>
      Promise.all([client.hlen(pool), client.zcard(paused)]),
    );
    return { total, paused: pausedCount };
  }

  async get(kid: string): Promise<StoredTask | null> {
    const raw = await this.redis.call((client) => client.hget(this.redis.keys.pool, kid));
    return raw === null ? null : { task: decodeTask(kid, raw), raw };
  }

  /**
   * Every task as stored (JSON, undecoded), read by HSCAN in pages (no one command holds Redis up
   * for long), `max` at most: the dashboard's filters and sorting (service/task-board.ts).
   * `complete` is false when there were more. `onPage` sees each page as it comes.
   */
  async scanAll(
    max: number,
    onPage: (rows: readonly { kid: string; raw: string }[]) => void = () => {},
  ): Promise<{ rows: { kid: string; raw: string }[]; complete: boolean }> {
    const rows: { kid: string; raw: string }[] = [];
    let cursor = '0';
    do {
      const step = await this.scanTasks(cursor, SCAN_COUNT);
      onPage(step.rows);
      rows.push(...step.rows);
      cursor = step.cursor;
    } while (cursor !== '0' && rows.length < max);
    return { rows: rows.slice(0, max), complete: cursor === '0' && rows.length <= max };
  }

  /**
   * What changes when the tasks as the board shows them change: the newest run on record (a run
   * ended: a last run, a timer gone, a ticker's next time), the newest change on record (add,
   * update, pause, del ... from any process) and the number of tasks; one round trip.
   */
  async boardStamp(): Promise<string> {
    const { runs, changes, pool } = this.redis.keys;
    const [run, change, count] = await this.redis.call((c) =>
      Promise.all([
        c.xrevrange(runs, '+', '-', 'COUNT', 1),
        c.xrevrange(changes, '+', '-', 'COUNT', 1),
        c.hlen(pool),
      ]),
    );
    return `${run[0]?.[0] ?? '-'} ${change[0]?.[0] ?? '-'} ${count}`;
  }

  /** Tasks as stored (JSON, undecoded), null where a kid has none. */
  rawTasks(kids: readonly string[]): Promise<(string | null)[]> {
    if (kids.length === 0) return Promise.resolve([]);
    return this.redis.call((client) => client.hmget(this.redis.keys.pool, ...kids));
  }

  /** The kid each name stands for, null where none (the kid may be gone: a corrupt task's). */
  kidsOfNames(names: readonly string[]): Promise<(string | null)[]> {
    if (names.length === 0) return Promise.resolve([]);
    return this.redis.call((client) => client.hmget(this.redis.keys.names, ...names));
  }

  /**
   * The kid whose history a name leads to: the task holding it now, else the task that last
   * held it and left (fired, at its limit, deleted, cleared) while its history is kept
   * (history_max_age); null when neither. Both are read at once: one round trip.
   */
  async historyKidOfName(name: string): Promise<string | null> {
    const { names, endedName } = this.redis.keys;
    const [live, ended] = await this.redis.call((client) =>
      Promise.all([client.hget(names, name), client.get(endedName + name)]),
    );
    return live ?? ended;
  }

  async add(kid: string, task: Task, maxNum: number): Promise<AddResult> {
    const res = await this.redis.script(ADD, { kid, task, maxNum, groupPrefix: this.groupPrefix });
    return res === 'done' ? 'added' : res;
  }

  /** Adds a batch atomically: all of it, or none when it would pass maxNum or a kid exists. */
  async addMany(tasks: readonly NewTask[], maxNum: number): Promise<BatchResult> {
    const res = await this.redis.script(ADD_MANY, { tasks, maxNum, groupPrefix: this.groupPrefix });
    return typeof res === 'number' ? 'added' : res;
  }

  /** Compare-and-set on the JSON read (`expected`, holding the name it had); the name moves with it. */
  async update(kid: string, expected: StoredTask, task: Task): Promise<UpdateResult> {
    const res = await this.redis.script(UPDATE, {
      kid,
      expectedRaw: expected.raw,
      old: expected.task,
      task,
      groupPrefix: this.groupPrefix,
    });
    return res === 'done' ? 'updated' : res;
  }

  /**
   * New run times for cron tasks, each written only if the task is unchanged since read; a
   * parked one's missed runs on record with it, as `by`'s (the refilling daemon, now).
   */
  refill(items: readonly Refill[], by: { owner: string; nowMs: number }): Promise<number> {
    return items.length === 0
      ? Promise.resolve(0)
      : this.redis.script(REFILL, { items, by: { ...by, history: this.history } });
  }

  /** Each task's last run (a summary), or null where it has none on record. */
  async lastRuns(kids: readonly string[]): Promise<(RunSummary | null)[]> {
    if (kids.length === 0) return [];
    const raw = await this.redis.call((client) => client.hmget(this.redis.keys.last, ...kids));
    return raw.map((r) => {
      try {
        return r === null ? null : decodeLastRun('last', r);
      } catch {
        return null;
      }
    });
  }

  /**
   * Hands out one run of the task now, by hand (lua/run.lua); its schedule stays as it is, unless
   * the run was its last (a timer's, or one that made up its -limit): then the task is done.
   * Refused when no daemon seen since `liveAfterMs` may run it; null: handed out anyway.
   */
  runNow(kid: string, nowMs: number, liveAfterMs: number | null = null): Promise<RunNow> {
    return this.redis.script(RUN, { kid, nowMs, liveAfterMs, ended: this.left });
  }

  del(kids: readonly string[]): Promise<Deleted> {
    return kids.length === 0
      ? Promise.resolve({ removed: 0, dropped: 0 })
      : this.redis.script(DEL, { kids, left: this.left });
  }

  clear(): Promise<number> {
    return this.redis.script(CLEAR, this.left);
  }

  /**
   * The kids in a group's set: every task of the group, and perhaps some that left it (fired,
   * at their limit, cleared) or were moved to another: check each task's group.
   */
  async groupKids(group: string): Promise<string[]> {
    // SSCAN, not SMEMBERS: a group of 10,000 read at once held Redis 3 ms and more (a claim waits).
    const kids = new Set<string>();
    let cursor = '0';
    do {
      const [next, some] = await this.redis.call((client) =>
        client.sscan(this.groupPrefix + group, cursor, 'COUNT', SCAN_COUNT),
      );
      for (const kid of some) kids.add(kid);
      cursor = next;
    } while (cursor !== '0');
    return [...kids];
  }

  /** One step of a scan of every task (HSCAN): the next cursor ('0' at the end) and what it read. */
  async scanTasks(
    cursor: string,
    count: number,
  ): Promise<{ cursor: string; rows: { kid: string; raw: string }[] }> {
    const [next, flat] = await this.redis.call((client) =>
      client.hscan(this.redis.keys.pool, cursor, 'COUNT', count),
    );
    const rows: { kid: string; raw: string }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2)
      rows.push({ kid: flat[i] as string, raw: flat[i + 1] as string });
    return { cursor: next, rows };
  }

  /** Takes the group's apply lock for `ms` unless another apply holds it: whether it did. */
  async lockApply(group: string, token: string, ms: number): Promise<boolean> {
    const key = this.redis.keys.applyLock + group;
    return (await this.redis.call((client) => client.set(key, token, 'PX', ms, 'NX'))) === 'OK';
  }

  /** One batch of an apply, written whole while the apply holds its group's lock (lua/apply.lua). */
  applyBatch(batch: ApplyBatchRows): Promise<ApplyReply> {
    return this.redis.script(APPLY, {
      ...batch,
      lockPrefix: this.redis.keys.applyLock,
      left: this.left,
    });
  }

  /** A page of the tasks whose next run lies in the window, in order of next run. */
  list(window: ListWindow): Promise<ListPage> {
    return this.redis.script(LIST, window);
  }

  /** Takes tasks out of the schedule, paused since `nowSec`; one status per kid, in order. */
  async pause(kids: readonly string[], nowSec: number): Promise<PauseStatus[]> {
    if (kids.length === 0) return [];
    return sameCount('pause', kids.length, await this.redis.script(PAUSE, { nowSec, kids }));
  }

  /** Puts paused tasks back in the schedule, each only if unchanged since read; in order. */
  async resume(items: readonly Resume[]): Promise<ResumeStatus[]> {
    if (items.length === 0) return [];
    return sameCount('resume', items.length, await this.redis.script(RESUME, items));
  }

  /**
   * The kids of up to `count` scheduled tasks (pause --all takes them in turn): the head of the
   * schedule, then of each label set's schedule; two round trips, whatever the number of sets.
   */
  async scheduledHead(count: number): Promise<string[]> {
    const { schedule, placement, placedSchedule } = this.redis.keys;
    const [kids, sets] = await this.redis.call((c) =>
      Promise.all([c.zrange(schedule, 0, count - 1), c.zrange(placement, 0, -1)]),
    );
    const room = count - kids.length;
    if (room <= 0 || sets.length === 0) return kids;
    const heads = await this.redis.call((c) =>
      Promise.all(sets.map((set) => c.zrange(placedSchedule + set, 0, room - 1))),
    );
    return [...kids, ...heads.flat()].slice(0, count);
  }

  /** Up to `count` paused tasks after kid `after` ('' = from the first), in order of kid. */
  async pausedAfter(after: string, count: number): Promise<{ kid: string; raw: string | null }[]> {
    const { paused, pool } = this.redis.keys;
    const kids = await this.redis.call((client) =>
      client.zrangebylex(paused, after === '' ? '-' : `(${after}`, '+', 'LIMIT', 0, count),
    );
    if (kids.length === 0) return [];
    const raws = await this.redis.call((client) => client.hmget(pool, ...kids));
    return kids.map((kid, i) => ({ kid, raw: raws[i] ?? null }));
  }
}

function sameCount<T>(script: string, expected: number, statuses: T[]): T[] {
  if (statuses.length !== expected) throw unexpectedReply(script, statuses);
  return statuses;
}
