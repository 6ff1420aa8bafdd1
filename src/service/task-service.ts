// The one implementation of the task commands (count, get, add, update, del, clear, list, next),
// shared by the command line and the web API. Input is checked before any Redis round trip.
import type { Config } from '../config/config.js';
import { KtimerError, usageError } from '../errors.js';
import type { AddResult, NewTask, RunSummary, TaskStore } from '../store/open-store.js';
import { newKid, normalizeKid } from '../tasks/kid.js';
import { decodeTask, type Task, type TaskSpec, type TaskWithKid } from '../tasks/task.js';
import { parseWindowTime, windowSec } from '../tasks/human-time.js';
import { isoInZone, shortIso, utcIso } from '../tasks/iso-time.js';
import { firstSchedule, upcomingRuns } from '../tasks/schedule.js';
import { scheduleInWords } from '../tasks/schedule-words.js';
import { machineTimeZone } from '../time-zone.js';
import {
  checkUpdateInput,
  parseTaskSpec,
  parseTaskUpdate,
  parseWhole,
  type TaskInput,
  type TaskRules,
} from '../tasks/task-rules.js';
import { decodeCursor, encodeCursor } from './list-cursor.js';
import { PauseResume } from './pause-resume.js';

/** What changed, for runed.log. */
export type TaskChange =
  | { op: 'add'; kid: string; task: Task }
  | { op: 'update'; kid: string; task: Task }
  | { op: 'del'; kids: string[]; removed: number }
  | { op: 'clear'; removed: number }
  /** kids: those given, or 'all' (--all); count: how many changed state. */
  | { op: 'pause' | 'resume'; kids: string[] | 'all'; count: number };

export interface ListQuery {
  starttime?: string | undefined;
  endtime?: string | undefined;
  offset?: string | undefined;
  count?: string | undefined;
  /** Where the page starts: the `next` of the page before ('' = the first page). */
  cursor?: string | undefined;
}

/** A task's last run, as `get` and `list` show it beside the task (README "Run history"). */
export interface LastRunFields {
  last_result?: RunSummary['result'];
  last_ok?: boolean;
  last_exit?: number;
  last_http?: number;
  last_signal?: string;
  last_duration_ms?: number;
  /** Unix seconds. */
  last_started?: number;
  last_host?: string;
  last_fire_id?: string;
}

export type TaskView = TaskWithKid & LastRunFields;

export function lastRunFields(s: RunSummary | null): LastRunFields {
  if (!s) return {};
  const fields: LastRunFields = { last_result: s.result, last_ok: s.ok, last_fire_id: s.fire_id };
  if (s.exit_code !== undefined) fields.last_exit = s.exit_code;
  if (s.http_status !== undefined) fields.last_http = s.http_status;
  if (s.signal !== undefined) fields.last_signal = s.signal;
  if (s.duration_ms !== undefined) fields.last_duration_ms = s.duration_ms;
  if (s.started !== undefined) fields.last_started = s.started;
  fields.last_host = s.host;
  return fields;
}

export interface ListResult {
  total: number;
  /** Rows of the window before this page. */
  offset: number;
  count: number;
  tasks: TaskView[];
  /** Kids in the window whose stored JSON is not a valid task. */
  corrupt: string[];
  /** The cursor of the next page; null on the last. */
  next: string | null;
}

/** What `ktimer next` and the web API's next action show. */
export interface NextRuns {
  kid: string;
  schedule: string;
  /** The zone of `local`: the task's own (cron), else this machine's. */
  tz: string;
  runs: { unix_ms: number; utc: string; local: string }[];
  /** Whether the task runs again after these (false at its limit, or for a timer). */
  more: boolean;
  /** Paused since (unix seconds): no runs until it is resumed. */
  paused?: number;
}

export interface TaskServiceDeps {
  config: Config;
  /**
   * The task store, connected on first use (one-shot commands check their input first). Its
   * failures are KtimerError('redis') already: 503 on the web API, exit 1 on the command line.
   */
  store: () => Promise<TaskStore>;
  /** "Now" in unix ms on the Redis server's clock (every machine's due times agree). */
  nowMs: () => Promise<number>;
  onChange?: (change: TaskChange) => void;
}

/** The task rules of a config: defaults and limits from conf.ini. */
export const taskRulesOf = (config: Config): TaskRules => ({
  maxDay: config.task.maxDay,
  defaultTimer: config.task.defaultTimer,
  defaultTicker: config.task.defaultTicker,
  timezone: config.task.timezone,
});

export const LIST_DEFAULT_COUNT = 100;
export const LIST_MAX_COUNT = 1000;
/** Deeper pages go by cursor: rows shift under an offset as tasks fire and are added. */
export const LIST_MAX_OFFSET = 10_000;
export const DEL_MAX_KIDS = 1000;
export const NEXT_DEFAULT_RUNS = 10;
export const NEXT_MAX_RUNS = 100;
/** Tasks per add_many script: big enough to amortise the round trip, small enough not to stall Redis. */
export const BULK_BATCH = 1000;
const BULK_IN_FLIGHT = 4;
const UPDATE_ATTEMPTS = 5;

export class TaskService {
  private readonly rules: TaskRules;
  /** pause and resume (service/pause-resume.ts). */
  readonly pauses: PauseResume;

  constructor(private readonly deps: TaskServiceDeps) {
    this.rules = taskRulesOf(deps.config);
    this.pauses = new PauseResume(deps);
  }

  /** A task never run yet, starting where its spec says from `nowMs`. */
  private newTask(spec: TaskSpec, nowMs: number): Task {
    return { ...spec, run_num: 0, run_lasttime: 0, ...firstSchedule(spec, this.rules.maxDay, nowMs) };
  }

  private async withStore<T>(fn: (store: TaskStore) => Promise<T>): Promise<T> {
    return fn(await this.deps.store());
  }

  async count(): Promise<number> {
    return this.withStore((store) => store.count());
  }

  /** One task, with its last run (README "Run history"). */
  async get(kidInput: string): Promise<TaskView> {
    const kid = normalizeKid(kidInput);
    const [stored, [last]] = await this.withStore((store) =>
      Promise.all([store.get(kid), store.lastRuns([kid])]),
    );
    if (!stored) throw notFound(kid);
    return { kid, ...stored.task, ...lastRunFields(last ?? null) };
  }

  async add(input: TaskInput): Promise<TaskWithKid> {
    const spec = parseTaskSpec(input, this.rules);
    return this.withStore((store) => this.addTo(store, spec));
  }

  private async addTo(store: TaskStore, spec: TaskSpec): Promise<TaskWithKid> {
    const task = this.newTask(spec, await this.deps.nowMs());
    const kid = newKid();
    const res = await store.add(kid, task, this.deps.config.task.maxNum);
    if (res === 'full') {
      throw new KtimerError(
        'limit',
        `the store holds task_max_num = ${this.deps.config.task.maxNum} tasks already; delete some or raise task_max_num in ${this.deps.config.file}`,
      );
    }
    if (res === 'exists') throw new KtimerError('internal', `kid ${kid} exists already; try again`);
    this.deps.onChange?.({ op: 'add', kid, task });
    return { kid, ...task };
  }

  /**
   * Adds checked task specs in batches of BULK_BATCH, each one script: a batch is stored whole
   * or not at all. Returns the kids added; a batch refused (task_max_num) ends the run with an
   * error saying how many were added before it.
   */
  async addSpecs(specs: readonly TaskSpec[]): Promise<string[]> {
    return this.withStore(async (store) => {
      const nowMs = await this.deps.nowMs();
      const batches: NewTask[][] = [];
      for (let i = 0; i < specs.length; i += BULK_BATCH) {
        batches.push(
          specs.slice(i, i + BULK_BATCH).map((spec) => ({
            kid: newKid(),
            task: this.newTask(spec, nowMs),
          })),
        );
      }
      // A few batches in flight at once: Redis runs one while the next is on its way.
      const results: AddResult[] = [];
      let next = 0;
      const worker = async () => {
        while (next < batches.length) {
          const index = next++;
          results[index] = await store.addMany(batches[index] as NewTask[], this.deps.config.task.maxNum);
        }
      };
      await Promise.all(Array.from({ length: BULK_IN_FLIGHT }, worker));
      const kids: string[] = [];
      const refused: number[] = [];
      batches.forEach((batch, index) => {
        if (results[index] !== 'added') {
          refused.push(index);
          return;
        }
        for (const { kid, task } of batch) {
          kids.push(kid);
          this.deps.onChange?.({ op: 'add', kid, task });
        }
      });
      if (refused.length > 0) {
        const notAdded = specs.length - kids.length;
        const starts = refused.map((index) => `task ${index * BULK_BATCH + 1}`).join(', ');
        const why =
          results[refused[0] as number] === 'full'
            ? `they would pass task_max_num = ${this.deps.config.task.maxNum} (${this.deps.config.file})`
            : 'a generated kid exists already; try again';
        throw new KtimerError(
          'limit',
          `${kids.length} tasks added, ${notAdded} not: the batch of up to ${BULK_BATCH} starting at ${starts} was refused, ${why}`,
        );
      }
      return kids;
    });
  }

  async update(kidInput: string, input: TaskInput): Promise<TaskWithKid> {
    const kid = normalizeKid(kidInput);
    checkUpdateInput(input, this.rules);
    return this.withStore((store) => this.updateIn(store, kid, input));
  }

  private async updateIn(store: TaskStore, kid: string, input: TaskInput): Promise<TaskWithKid> {
    // Compare-and-set: a daemon firing the task between our read and write makes us read again.
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const stored = await store.get(kid);
      if (!stored) throw notFound(kid);
      const { spec, reschedule } = parseTaskUpdate(input, stored.task, this.rules);
      // Run state stays; the schedule too, unless a new type, time, cron or zone restarts it. A
      // paused task stays paused (resume starts it from its schedule as it is then).
      const { runs, parked, run_nexttime, run_num, run_lasttime, paused } = stored.task;
      const task: Task = reschedule
        ? {
            ...spec,
            run_num,
            run_lasttime,
            ...firstSchedule(spec, this.rules.maxDay, await this.deps.nowMs()),
            paused,
          }
        : { ...spec, run_num, run_lasttime, run_nexttime, runs, parked, paused };
      const res = await store.update(kid, stored.raw, task);
      if (res === 'missing') throw notFound(kid);
      if (res === 'updated') {
        this.deps.onChange?.({ op: 'update', kid, task });
        return { kid, ...task };
      }
    }
    throw new KtimerError('internal', `task ${kid} kept changing while it was updated; try again`);
  }

  /** Deletes tasks; returns how many existed. */
  async del(kidInputs: readonly string[]): Promise<number> {
    if (kidInputs.length === 0) throw usageError('kid is missing; give the kid printed by `ktimer add`');
    if (kidInputs.length > DEL_MAX_KIDS)
      throw usageError(`too many kids (${kidInputs.length}); at most ${DEL_MAX_KIDS} at once`);
    const kids = [...new Set(kidInputs.map(normalizeKid))];
    const removed = await this.withStore((store) => store.del(kids));
    this.deps.onChange?.({ op: 'del', kids, removed });
    return removed;
  }

  async clear(): Promise<number> {
    const removed = await this.withStore((store) => store.clear());
    this.deps.onChange?.({ op: 'clear', removed });
    return removed;
  }

  async list(query: ListQuery): Promise<ListResult> {
    const [from, to] = await this.windowOf(query);
    if (from !== null && to !== null && from > to) {
      throw usageError(`starttime ${from} is after endtime ${to}; swap them`);
    }
    const offset = optionalWhole('offset', query.offset, 0, 'a whole number >= 0') ?? 0;
    if (offset > LIST_MAX_OFFSET) {
      throw usageError(
        `offset ${offset} is too deep (at most ${LIST_MAX_OFFSET}); page on with the cursor each page gives (next page: -cursor=...; in the web API: cursor)`,
      );
    }
    const count =
      optionalWhole('count', query.count, 1, `a whole number from 1 to ${LIST_MAX_COUNT}`) ??
      LIST_DEFAULT_COUNT;
    if (count > LIST_MAX_COUNT)
      throw usageError(`count ${count} is invalid; expected a whole number from 1 to ${LIST_MAX_COUNT}`);
    const after = query.cursor ? decodeCursor(query.cursor) : null;
    if (after && query.offset !== undefined)
      throw usageError('give a cursor or an offset, not both (the cursor says where the page starts)');
    const page = await this.withStore((store) =>
      store.list({ fromSec: from, toSec: to, count, offset, after }),
    );
    const tasks: TaskView[] = [];
    const corrupt: string[] = [];
    for (const row of page.rows) {
      try {
        tasks.push({ kid: row.kid, ...decodeTask(row.kid, row.raw ?? '') });
      } catch {
        corrupt.push(row.kid);
      }
    }
    const lastRuns = await this.withStore((store) => store.lastRuns(tasks.map((t) => t.kid)));
    tasks.forEach((t, i) => Object.assign(t, lastRunFields(lastRuns[i] ?? null)));
    const last = page.rows.at(-1);
    const more = last !== undefined && page.position + page.rows.length < page.total;
    return {
      total: page.total,
      offset: page.position,
      count,
      tasks,
      corrupt,
      next: more ? encodeCursor(last) : null,
    };
  }

  /** list's window in unix seconds: timestamps, or `now`, `+15m` and dates (README "Schedules"). */
  private async windowOf(query: ListQuery): Promise<[from: number | null, to: number | null]> {
    const bounds = (['starttime', 'endtime'] as const).map((name) => {
      const value = query[name];
      return value === undefined ? null : parseWindowTime(name, value, this.rules.timezone);
    });
    // The clock is read only for a bound relative to now, after every bound is checked.
    const nowMs = bounds.some((b) => b !== null && 'delaySec' in b) ? await this.deps.nowMs() : 0;
    const [from = null, to = null] = bounds.map((b) => (b === null ? null : windowSec(b, nowMs)));
    return [from, to];
  }

  /**
   * The next `n` runs of a task (NEXT_DEFAULT_RUNS when not given), local and UTC: local in the
   * task's zone for cron, this machine's zone otherwise. `more` says whether runs follow them.
   */
  async next(kidInput: string, nInput?: string): Promise<NextRuns> {
    const n =
      nInput === undefined
        ? NEXT_DEFAULT_RUNS
        : parseWhole('n', nInput, 1, `a whole number from 1 to ${NEXT_MAX_RUNS}`);
    if (n > NEXT_MAX_RUNS)
      throw usageError(`n "${n}" is invalid; expected a whole number from 1 to ${NEXT_MAX_RUNS}`);
    const task = await this.get(kidInput);
    const tz = task.type === 'cron' && task.tz !== undefined ? task.tz : machineTimeZone();
    const schedule = scheduleInWords(task);
    if (task.paused !== undefined)
      return { kid: task.kid, schedule, tz, runs: [], more: false, paused: task.paused };
    // One run more than shown says whether the task goes on after them.
    const upcoming = upcomingRuns(task, n + 1).map(Math.round);
    const runs = upcoming.slice(0, n).map((ms) => ({
      unix_ms: ms,
      utc: shortIso(utcIso(ms)),
      local: shortIso(isoInZone(ms, tz)),
    }));
    return { kid: task.kid, schedule, tz, runs, more: upcoming.length > n };
  }
}

function optionalWhole(name: string, value: string | undefined, min: number, what: string): number | null {
  return value === undefined ? null : parseWhole(name, value, min, what);
}

const notFound = (kid: string): KtimerError =>
  new KtimerError('not_found', `task ${kid} does not exist (it may have fired already); see \`ktimer list\``);
