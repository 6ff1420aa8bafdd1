// The one implementation of the task commands (count, get, add, update, del, clear, list, next),
// shared by the command line and the web API. Input is checked before any Redis round trip.
import type { Config } from '../config/config.js';
import { KtimerError, usageError } from '../errors.js';
import { covers } from '../labels.js';
import { DAEMON_LIVE_MS, type Deleted, type RunSummary, type TaskStore } from '../store/open-store.js';
import { decodeTask, type Overlap, type Task, type TaskSpec, type TaskWithKid } from '../tasks/task.js';
import { parseWindowTime, windowSec } from '../tasks/human-time.js';
import { isoInZone, shortIso, utcIso } from '../tasks/iso-time.js';
import { firstSchedule, upcomingRunTimes } from '../tasks/schedule.js';
import { scheduleInWords } from '../tasks/schedule-words.js';
import { MAX_RUNS_AHEAD, parseRunWindow, runTimesInWindow } from '../tasks/run-window.js';
import { machineTimeZone } from '../time-zone.js';
import {
  checkUpdateInput,
  parseTaskSpec,
  parseTaskUpdate,
  parseWhole,
  type TaskInput,
  type TaskRules,
} from '../tasks/task-rules.js';
import {
  type AddOutcome,
  type BulkOutcome,
  changedTask,
  checkUsers,
  TaskAdder,
  WRITE_ATTEMPTS,
} from './add-tasks.js';
import { decodeCursor, encodeCursor } from './list-cursor.js';
import { searchText, searchWindow, taskFilter } from './list-search.js';
import { parseGroup } from '../tasks/task-group.js';
import { nameTakenForUpdate, resolveHistoryKid, resolveKid, resolveKids } from './task-ref.js';

export type { AddOutcome, BulkOutcome } from './add-tasks.js';
export { BULK_BATCH } from './add-tasks.js';
import { PauseResume } from './pause-resume.js';
import { JobApplier } from './apply-jobs.js';
import { EachTarget } from './targets.js';
import { exportGroup, exportInput, type ExportResult } from './export-jobs.js';

/** What changed, for runed.log. */
export type TaskChange =
  | { op: 'add'; kid: string; task: Task }
  | { op: 'update'; kid: string; task: Task }
  | { op: 'del'; kids: string[]; removed: number; dropped: number }
  | { op: 'clear'; removed: number }
  /** kids: those given, or 'all' (--all); count: how many changed state. */
  | { op: 'pause' | 'resume'; kids: string[] | 'all'; count: number }
  /** A run by hand: handed out, or queued behind the run under way (overlap=queue). */
  | ({ op: 'run' } & RunNowOutcome);

/** What `ktimer run` did: the run's fire id; queued: it waits for the run under way. */
export interface RunNowOutcome {
  kid: string;
  fire_id: string;
  state: 'started' | 'queued';
  /**
   * The run was the task's last (a timer's one run, or the one that made up its -limit): the task
   * is done, gone from the task list (docs/schedules.md "How many runs").
   */
  task_done: boolean;
}

export interface ListQuery {
  starttime?: string | undefined;
  endtime?: string | undefined;
  offset?: string | undefined;
  count?: string | undefined;
  /** Where the page starts: the `next` of the page before ('' = the first page). */
  cursor?: string | undefined;
  /** Only tasks whose kid, name or command holds this text (list-search.ts). */
  search?: string | undefined;
  /** Only the tasks of this group. */
  group?: string | undefined;
}

/** A task's last run, as `get` and `list` show it beside the task (docs/logs-and-history.md). */
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

export type TaskView = TaskWithKid &
  LastRunFields & {
    /** Its labels (on) are held all together by no live daemon: it waits for one (docs/fleet.md). */
    no_daemon?: true;
  };

/**
 * A task as get and list show it (command line --json and web API): `name`, `timeout`, `overlap`,
 * the retries, `group` and `on` always there (null, allow, 0 or [] where the task has none of its
 * own), so a reader need not know they are optional.
 */
export const withLabels = <T extends TaskWithKid>(
  t: T,
): Omit<T, 'name' | 'timeout' | 'overlap' | 'retries' | 'retry_delay' | 'group' | 'on'> & {
  name: string | null;
  timeout: number | null;
  overlap: Overlap;
  retries: number;
  retry_delay: number | null;
  group: string | null;
  on: string[];
} => ({
  ...t,
  name: t.name ?? null,
  timeout: t.timeout ?? null,
  overlap: t.overlap ?? 'allow',
  retries: t.retries ?? 0,
  retry_delay: t.retry_delay ?? null,
  group: t.group ?? null,
  on: t.on ?? [],
});

/** As withLabels, with the schedule in words beside the stored fields (get and list, everywhere). */
export const withSchedule = (t: TaskWithKid) => ({ ...withLabels(t), schedule: scheduleInWords(t) });

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
  /** The window asked for (next --from, --until), unix ms. */
  from_ms?: number;
  until_ms?: number;
}

/** `next`'s options as typed: -n, and the window (a day, a date, `+30d`, `now`, unix seconds). */
export interface NextQuery {
  n?: string | undefined;
  from?: string | undefined;
  until?: string | undefined;
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
  /**
   * Told of every change, once it is stored (runed.log's task lines). Required: a front end cannot
   * leave it out, and the service, not each command, says what changed.
   */
  onChange: (change: TaskChange) => void;
  /** The labels of the fleet's live daemons, one list each (list marks the tasks none may run). */
  liveLabels?: () => Promise<string[][]>;
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
/** next -n at most (the preview's too). */
export const NEXT_MAX_RUNS = MAX_RUNS_AHEAD;

export class TaskService {
  private readonly rules: TaskRules;
  private readonly adder: TaskAdder;
  /** pause and resume (service/pause-resume.ts). */
  readonly pauses: PauseResume;
  /** `apply` of a file (service/apply-jobs.ts). */
  readonly jobs: JobApplier;
  /** del, pause, resume and run on many tasks (service/targets.ts). */
  readonly each: EachTarget;

  constructor(private readonly deps: TaskServiceDeps) {
    this.rules = taskRulesOf(deps.config);
    this.pauses = new PauseResume(deps);
    this.jobs = new JobApplier({ ...deps, rules: this.rules });
    this.each = new EachTarget(this);
    this.adder = new TaskAdder({
      config: deps.config,
      rules: this.rules,
      nowMs: deps.nowMs,
      onChange: (op, kid, task) => deps.onChange({ op, kid, task }),
    });
  }

  private async withStore<T>(fn: (store: TaskStore) => Promise<T>): Promise<T> {
    return fn(await this.deps.store());
  }

  /** The store, for the parts of the service in files of their own (targets.ts). */
  withTaskStore<T>(fn: (store: TaskStore) => Promise<T>): Promise<T> {
    return this.withStore(fn);
  }

  /** The kid a KID argument stands for: a kid, or a task's name (task-ref.ts). */
  resolveKid(ref: string): Promise<string> {
    return resolveKid(ref, this.deps.store);
  }

  /**
   * The kid whose run history a KID argument stands for (history, output): as resolveKid, and a
   * name also leads to the task that last held it after that task left (task-ref.ts).
   */
  resolveHistoryKid(ref: string): Promise<string> {
    return resolveHistoryKid(ref, this.deps.store);
  }

  /**
   * Fires the task once, now, by hand (docs/steering.md "Run now"): the next claim of one daemon
   * that may run it (its labels) takes it; the schedule stays as it is, a paused task's too.
   * Refused, storing nothing, when no live daemon may run it, unless `queue`: then it waits for one.
   * It counts as a run: a timer's, or one that makes up a -limit, is the task's last, and the task
   * is done.
   */
  async runNow(ref: string, options: { queue?: boolean } = {}): Promise<RunNowOutcome> {
    const kid = await this.resolveKid(ref);
    const nowMs = await this.deps.nowMs();
    const liveAfterMs = options.queue === true ? null : nowMs - DAEMON_LIVE_MS;
    const res = await this.withStore((store) => store.runNow(kid, nowMs, liveAfterMs));
    if (res === 'missing') throw notFound(kid);
    if (res === 'corrupt')
      throw new KtimerError(
        'corrupt',
        `task ${kid} holds corrupt data in Redis; delete it with \`ktimer del ${kid}\``,
      );
    if (res.how === 'no_daemon') throw noDaemon(kid, res.labels, this.deps.config.redis.fleet);
    if (res.how === 'busy')
      throw new KtimerError(
        'busy',
        `task ${kid} is running (${res.fireId}) and its overlap is skip: not run; run it again once that run ends, or set -overlap=queue`,
      );
    const outcome: RunNowOutcome = {
      kid,
      fire_id: res.fireId,
      state: res.how === 'fire' ? 'started' : 'queued',
      task_done: res.done,
    };
    this.deps.onChange({ op: 'run', ...outcome });
    return outcome;
  }

  /** What applies to a task that sets none of its own (the dashboard shows values, not keys). */
  defaults(): { task_timeout: number } {
    return { task_timeout: this.deps.config.task.timeoutSec };
  }

  /** `export`: a group's tasks as an apply file (service/export-jobs.ts). */
  async export(group: string | undefined, format: string | undefined): Promise<ExportResult> {
    const input = exportInput(group, format);
    return this.withStore((store) => exportGroup(store, input));
  }

  async count(): Promise<number> {
    return this.withStore((store) => store.count());
  }

  /** One task, with its last run (docs/logs-and-history.md). */
  async get(ref: string): Promise<TaskView> {
    const kid = await this.resolveKid(ref);
    const [stored, [last]] = await this.withStore((store) =>
      Promise.all([store.get(kid), store.lastRuns([kid])]),
    );
    if (!stored) throw notFound(kid);
    return { kid, ...stored.task, ...lastRunFields(last ?? null) };
  }

  /**
   * Adds a task. A name held by another task refuses it (exit 1), unless `replace`: that task is
   * then replaced, keeping its kid (add-tasks.ts).
   */
  async add(input: TaskInput, options: { replace?: boolean } = {}): Promise<AddOutcome> {
    const spec = parseTaskSpec(input, this.rules);
    await checkUsers([spec.user]);
    const replace = options.replace === true;
    if (replace && spec.name === undefined)
      throw usageError('--replace replaces the task of the same name; give -name too');
    return this.withStore((store) => this.adder.add(store, spec, replace));
  }

  /** Adds checked task specs (add --file): in atomic batches, names held refused or replaced. */
  async addSpecs(specs: readonly TaskSpec[], options: { replace?: boolean } = {}): Promise<BulkOutcome> {
    await checkUsers(specs.map((s) => s.user));
    return this.withStore((store) => this.adder.addSpecs(store, specs, options.replace === true));
  }

  async update(ref: string, input: TaskInput): Promise<TaskWithKid> {
    checkUpdateInput(input, this.rules);
    if (input.user) await checkUsers([input.user]);
    const kid = await this.resolveKid(ref);
    return this.withStore((store) => this.updateIn(store, kid, input));
  }

  private async updateIn(store: TaskStore, kid: string, input: TaskInput): Promise<TaskWithKid> {
    // Compare-and-set: a daemon firing the task between our read and write makes us read again.
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const stored = await store.get(kid);
      if (!stored) throw notFound(kid);
      const { spec, reschedule } = parseTaskUpdate(input, stored.task, this.rules);
      // Run state stays; the schedule too, unless a new type, time, cron or zone restarts it. A
      // paused task stays paused (resume starts it from its schedule as it is then).
      const fresh = reschedule ? firstSchedule(spec, this.rules.maxDay, await this.deps.nowMs()) : null;
      const task = changedTask(spec, stored.task, fresh);
      const res = await store.update(kid, stored, task);
      if (res === 'missing') throw notFound(kid);
      if (typeof res === 'object') throw nameTakenForUpdate(spec.name ?? '', res.takenBy);
      if (res === 'updated') {
        this.deps.onChange({ op: 'update', kid, task });
        return { kid, ...task };
      }
    }
    throw new KtimerError('internal', `task ${kid} kept changing while it was updated; try again`);
  }

  /**
   * Deletes tasks by kid or name: how many existed, and how many runs waiting to be handed out
   * were dropped with them (a fired timer's retry waiting for its time, though the timer is no
   * task any more). A run of theirs under way is not retried.
   */
  async del(refs: readonly string[]): Promise<Deleted> {
    if (refs.length === 0) throw usageError('kid is missing; give the kid printed by `ktimer add`');
    if (refs.length > DEL_MAX_KIDS)
      throw usageError(`too many kids (${refs.length}); at most ${DEL_MAX_KIDS} at once`);
    const kids = [...new Set(await resolveKids(refs, this.deps.store))];
    const deleted = await this.withStore((store) => store.del(kids));
    this.deps.onChange({ op: 'del', kids, ...deleted });
    return deleted;
  }

  /**
   * Deletes one task by kid (a target of del's many, service/targets.ts); a kid with neither a
   * task nor a run waiting is not found.
   */
  async delOne(kid: string): Promise<Deleted> {
    const deleted = await this.withStore((store) => store.del([kid]));
    if (deleted.removed === 0 && deleted.dropped === 0)
      throw new KtimerError(
        'not_found',
        `task ${kid} does not exist (it may have fired already; a retry of its run under way, if any, will not happen); see \`ktimer list\``,
      );
    this.deps.onChange({ op: 'del', kids: [kid], ...deleted });
    return deleted;
  }

  async clear(): Promise<number> {
    const removed = await this.withStore((store) => store.clear());
    this.deps.onChange({ op: 'clear', removed });
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
    const group = query.group === undefined || query.group === '' ? null : parseGroup(query.group);
    const keeps = taskFilter(searchText(query.search), group);
    if (keeps !== null && query.offset !== undefined)
      throw usageError(
        'a search or group pages on by cursor only; give the next of the page before, not an offset',
      );
    const store = await this.deps.store();
    let result: Omit<ListResult, 'count'>;
    if (keeps !== null) {
      const window = { fromSec: from, toSec: to, after, count };
      const found = await searchWindow((w) => store.list(w), decodeOrNull, window, keeps);
      const { total, position, tasks, corrupt, resumeAfter } = found;
      result = { total, offset: position, tasks, corrupt, next: resumeAfter && encodeCursor(resumeAfter) };
    } else {
      const page = await store.list({ fromSec: from, toSec: to, count, offset, after });
      const tasks: TaskView[] = [];
      const corrupt: string[] = [];
      for (const row of page.rows) {
        const task = decodeOrNull(row.kid, row.raw);
        if (task) tasks.push(task);
        else corrupt.push(row.kid);
      }
      const last = page.rows.at(-1);
      const more = last !== undefined && page.position + page.rows.length < page.total;
      result = {
        total: page.total,
        offset: page.position,
        tasks,
        corrupt,
        next: more ? encodeCursor(last) : null,
      };
    }
    const lastRuns = await store.lastRuns(result.tasks.map((t) => t.kid));
    result.tasks.forEach((t, i) => Object.assign(t, lastRunFields(lastRuns[i] ?? null)));
    await this.markWaiting(result.tasks);
    return { ...result, count };
  }

  /** Marks the tasks whose labels no live daemon holds all of (a read of the fleet, when any has labels). */
  private async markWaiting(tasks: TaskView[]): Promise<void> {
    const placed = tasks.filter((t) => t.on !== undefined);
    if (placed.length === 0 || !this.deps.liveLabels) return;
    const live = await this.deps.liveLabels();
    for (const t of placed) if (!live.some((held) => covers(held, t.on ?? []))) t.no_daemon = true;
  }

  /** list's window in unix seconds: timestamps, or `now`, `+15m` and dates (docs/schedules.md). */
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
   * task's zone for cron, this machine's zone otherwise; with `from` and `until`, those of that
   * window (issue 25: far ahead; dates in the task's zone). `more` says whether runs follow them
   * (within the window).
   */
  async next(ref: string, input: NextQuery = {}): Promise<NextRuns> {
    // Checked before any round trip; read again below in the task's zone, from the server's now.
    parseRunWindow(input, 'UTC', 0, NEXT_DEFAULT_RUNS);
    const task = await this.get(ref);
    const tz = zoneShown(task);
    const window = parseRunWindow(input, tz, await this.deps.nowMs(), NEXT_DEFAULT_RUNS);
    const shown = {
      ...(window.fromMs === undefined ? {} : { from_ms: window.fromMs }),
      ...(window.untilMs === undefined ? {} : { until_ms: window.untilMs }),
    };
    if (task.paused !== undefined) {
      const { schedule } = runsOf(task, 0);
      return { kid: task.kid, schedule, tz, runs: [], more: false, paused: task.paused, ...shown };
    }
    const { times, more } = runTimesInWindow(task, window);
    return {
      kid: task.kid,
      schedule: scheduleInWords(task),
      tz,
      runs: times.map((ms) => runShown(Math.round(ms), tz)),
      more,
      ...shown,
    };
  }

  /**
   * The next `n` runs a task with these schedule fields (type, time, cron, tz, limit) would have
   * if it were added now: the add form's preview, checked as add checks them.
   */
  async preview(input: TaskInput, nInput?: string): Promise<Omit<NextRuns, 'kid' | 'paused'>> {
    const n = runCount(nInput);
    const { type, time, cron, tz, limit } = input;
    // The command plays no part in when a task runs: any valid one stands in for it.
    const spec = parseTaskSpec({ type, time, cron, tz, limit, command: 'true' }, this.rules);
    const nowMs = await this.deps.nowMs();
    const task: Task = {
      ...spec,
      run_num: 0,
      run_lasttime: 0,
      ...firstSchedule(spec, this.rules.maxDay, nowMs),
    };
    return runsOf(task, n);
  }
}

function runCount(nInput: string | undefined): number {
  const n =
    nInput === undefined
      ? NEXT_DEFAULT_RUNS
      : parseWhole('n', nInput, 1, `a whole number from 1 to ${NEXT_MAX_RUNS}`);
  if (n > NEXT_MAX_RUNS)
    throw usageError(`n "${n}" is invalid; expected a whole number from 1 to ${NEXT_MAX_RUNS}`);
  return n;
}

/**
 * The zone a task's times are shown in, everywhere (next, resume): a cron task's own, this
 * machine's for the others (their times are instants, not wall-clock times of a zone).
 */
export const zoneShown = (task: Pick<Task, 'type' | 'tz'>): string =>
  task.type === 'cron' && task.tz !== undefined ? task.tz : machineTimeZone();

/** A time as `next` and `resume` show it: in the zone of `zoneShown`. */
export const timeShown = (ms: number, tz: string): string => shortIso(isoInZone(ms, tz));

const runShown = (ms: number, tz: string) => ({
  unix_ms: ms,
  utc: shortIso(utcIso(ms)),
  local: timeShown(ms, tz),
});

/** A task's next `n` runs in words and times, local in its zone (cron) or this machine's. */
function runsOf(task: Task, n: number): Omit<NextRuns, 'kid' | 'paused'> {
  const tz = zoneShown(task);
  // One run more than shown says whether the task goes on after them.
  const upcoming = n === 0 ? [] : upcomingRunTimes(task, n + 1).map(Math.round);
  const runs = upcoming.slice(0, n).map((ms) => runShown(ms, tz));
  return { schedule: scheduleInWords(task), tz, runs, more: upcoming.length > n };
}

function decodeOrNull(kid: string, raw: string | null): TaskView | null {
  try {
    return { kid, ...decodeTask(kid, raw ?? '') };
  } catch {
    return null;
  }
}

function optionalWhole(name: string, value: string | undefined, min: number, what: string): number | null {
  return value === undefined ? null : parseWhole(name, value, min, what);
}

const notFound = (kid: string): KtimerError =>
  new KtimerError('not_found', `task ${kid} does not exist (it may have fired already); see \`ktimer list\``);

/** A run by hand refused: no live daemon of the fleet may run it (it needs `labels`). */
function noDaemon(kid: string, labels: readonly string[], fleet: string): KtimerError {
  const who =
    labels.length === 0
      ? `no daemon of fleet ${fleet} is live to run task ${kid}`
      : `no live daemon of fleet ${fleet} holds the labels task ${kid} needs (${labels.join(',')})`;
  const start =
    labels.length === 0 ? 'Start one (`ktimer start -d`)' : 'Start one with them ([daemon] labels)';
  return new KtimerError(
    'no_daemon',
    `${who}; nothing was run. ${start}, or give --queue to leave the run for the first one that comes`,
  );
}
