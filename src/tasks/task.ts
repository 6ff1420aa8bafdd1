// The task model: what is stored in Redis (as JSON; docs/internals.md) and how it is read back.
import { KtimerError } from '../errors.js';
import { isTaskType, type TaskType } from '../runs/kinds.js';
import { readRunFields, type RunFields } from './run-fields.js';

export { type CommandKind, isTaskType, isUrlCommand, TASK_TYPES, type TaskType } from '../runs/kinds.js';
export { MAX_CATCH_UP } from '../runs/fire.js';
export { MAX_RETRY_WAIT_SEC } from '../runs/retry.js';
export { secOfMs as toSec } from '../runs/units.js';

/**
 * What a ticker or cron task does with runs it missed (its daemons were down, or Redis): `once`
 * fires one of them and goes on with the next run in the future; `skip` fires none; `all` fires
 * each (at most MAX_CATCH_UP, the latest ones), in order.
 */
export const MISFIRES = ['once', 'skip', 'all'] as const;
export type Misfire = (typeof MISFIRES)[number];

/**
 * What a run that comes due while the task's previous run is still running (on any daemon) does:
 * `allow` runs it anyway; `skip` does not run it (on record as skipped); `queue` runs it when the
 * running one ends, one such run at most (any more are skipped).
 */
export const OVERLAPS = ['allow', 'skip', 'queue'] as const;
export type Overlap = (typeof OVERLAPS)[number];

/** Retries of a failed run: at most this many; the first waits retry_delay, each next twice as long. */
export const MAX_RETRIES = 100;
/** A first retry's delay, seconds, at most; the doubled delays are capped at MAX_RETRY_WAIT_SEC. */
export const MAX_RETRY_DELAY_SEC = 3600;
/** -retries without -retry_delay. */
export const DEFAULT_RETRY_DELAY_SEC = 10;

export const isOverlap = (value: unknown): value is Overlap => OVERLAPS.includes(value as Overlap);
export const isMisfire = (value: unknown): value is Misfire => MISFIRES.includes(value as Misfire);

/** What a user specifies: when and what, and (RunFields) where and how it runs. */
export interface TaskSpec extends RunFields {
  type: TaskType;
  /** Timer: delay in seconds or a unix timestamp. Ticker: the interval. Cron: 0 (unused). */
  time: number;
  /** Ticker and cron: number of fires, 0 = without end. Timer: 0 or 1. */
  limit: number;
  command: string;
  /** Cron: the expression (5 fields, or 6 with seconds first) and its IANA time zone. */
  cron?: string;
  tz?: string;
  /** Ticker and cron: what a late claim does with missed runs (stored only when not `once`). */
  misfire?: Misfire;
  /** A unique label accepted in place of the kid (task-name.ts); stored only when given. */
  name?: string;
  /** Seconds a run may take, instead of task_timeout (MAX_TIMEOUT_SEC at most); only when given. */
  timeout?: number;
  /** Stored only when not `allow`. */
  overlap?: Overlap;
  /** Retries of a failed run (1..MAX_RETRIES) and the first one's delay, seconds; only when given. */
  retries?: number;
  retry_delay?: number;
  /** The apply file's group that declares it (issue 25); only when given. */
  group?: string;
}

/** A per-task timeout's ceiling, as task_timeout's: 7 days. */
export const MAX_TIMEOUT_SEC = 604_800;

/** A stored task: spec plus run state. Times are unix seconds with millisecond precision. */
export interface Task extends TaskSpec {
  run_num: number;
  run_lasttime: number;
  run_nexttime: number;
  /**
   * Cron: the run times after run_nexttime, computed ahead; the claim takes them in turn. (Its
   * stored name; elsewhere "runs" are runs made, on record.)
   */
  runs?: number[];
  /**
   * Cron: the claim found no known run after a due one: nothing fired, run_nexttime is only when
   * to look again, and the runs from this time on (unix seconds) are to be computed.
   */
  parked?: number;
  /** Paused since (unix seconds): it is in the paused set, not the schedule, and never fires. */
  paused?: number;
}

export interface TaskWithKid extends Task {
  kid: string;
}

/** The stored JSON: the seven historical fields first; the others only where they apply. */
export function encodeTask(task: Task): string {
  const { type } = task;
  const cron = type === 'cron';
  // Last, and only when given (paused: only while paused): a task without them keeps the JSON
  // older readers know. One object of one shape, in this order, whose undefined fields
  // JSON.stringify leaves out: spreading objects (10x slower), or a list of pairs to copy from
  // (2 KB of garbage a task), made a 10,000-task apply pay for the encoding (bench/apply.ts).
  return JSON.stringify({
    type,
    time: task.time,
    limit: task.limit,
    command: task.command,
    run_num: task.run_num,
    run_lasttime: task.run_lasttime,
    run_nexttime: task.run_nexttime,
    cron: cron ? task.cron : undefined,
    tz: cron ? task.tz : undefined,
    misfire: type === 'timer' || task.misfire === 'once' ? undefined : task.misfire,
    runs: cron && task.runs?.length ? task.runs : undefined,
    parked: cron ? task.parked : undefined,
    name: task.name,
    timeout: task.timeout,
    overlap: task.overlap === 'allow' ? undefined : task.overlap,
    retries: task.retries,
    retry_delay: task.retries ? task.retry_delay : undefined,
    group: task.group,
    on: task.on?.length ? task.on : undefined,
    cwd: task.cwd,
    env: task.env && Object.keys(task.env).length > 0 ? task.env : undefined,
    user: task.user,
    output_max: task.output_max,
    notify: task.notify === 'off' ? 'off' : undefined,
    paused: task.paused,
  });
}

/** Parses stored JSON; throws a 'corrupt' error naming the kid when it is not a valid task. */
export function decodeTask(kid: string, json: string): Task {
  const v = storedObject(kid, json);
  if (!isTaskType(v.type)) throw corrupt(kid, 'bad type');
  for (const field of ['time', 'limit', 'run_num', 'run_lasttime', 'run_nexttime'] as const) {
    if (!isFiniteNumber(v[field])) throw corrupt(kid, `bad ${field}`);
  }
  if (typeof v.command !== 'string') throw corrupt(kid, 'bad command');
  const task: Task = {
    type: v.type,
    time: v.time as number,
    limit: v.limit as number,
    command: v.command,
    run_num: v.run_num as number,
    run_lasttime: v.run_lasttime as number,
    run_nexttime: v.run_nexttime as number,
  };
  readOptions(kid, v, task);
  if (v.type === 'timer') return task;
  if (v.misfire !== undefined && !isMisfire(v.misfire)) throw corrupt(kid, 'bad misfire');
  task.misfire = v.misfire ?? 'once';
  if (v.type === 'cron') readCron(kid, v, task);
  return task;
}

function storedObject(kid: string, json: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw corrupt(kid, 'not JSON');
  }
  if (typeof value !== 'object' || value === null) throw corrupt(kid, 'not an object');
  return value as Record<string, unknown>;
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isWholeFrom1 = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1;

/** The fields every type may have, only when given: name, timeout, overlap, retries, paused. */
function readOptions(kid: string, v: Record<string, unknown>, task: Task): void {
  if (v.name !== undefined) {
    if (typeof v.name !== 'string') throw corrupt(kid, 'bad name');
    task.name = v.name;
  }
  if (v.timeout !== undefined) {
    if (!isWholeFrom1(v.timeout)) throw corrupt(kid, 'bad timeout');
    task.timeout = v.timeout;
  }
  if (v.overlap !== undefined) {
    if (!isOverlap(v.overlap)) throw corrupt(kid, 'bad overlap');
    task.overlap = v.overlap;
  }
  if (v.retries !== undefined) {
    if (!isWholeFrom1(v.retries)) throw corrupt(kid, 'bad retries');
    if (!isWholeFrom1(v.retry_delay)) throw corrupt(kid, 'bad retry_delay');
    task.retries = v.retries;
    task.retry_delay = v.retry_delay;
  }
  if (v.paused !== undefined) {
    if (!isFiniteNumber(v.paused)) throw corrupt(kid, 'bad paused');
    task.paused = v.paused;
  }
  if (v.group !== undefined) {
    if (typeof v.group !== 'string') throw corrupt(kid, 'bad group');
    task.group = v.group;
  }
  const bad = readRunFields(v, task);
  if (bad) throw corrupt(kid, `bad ${bad}`);
}

/** A cron task's expression and zone, and the run times it carries. */
function readCron(kid: string, v: Record<string, unknown>, task: Task): void {
  if (typeof v.cron !== 'string' || typeof v.tz !== 'string') throw corrupt(kid, 'bad cron or tz');
  task.cron = v.cron;
  task.tz = v.tz;
  // cjson writes an empty array as {}: the claim never stores one, but read it as none.
  const runs: unknown[] = Array.isArray(v.runs) ? v.runs : [];
  if (!runs.every(isFiniteNumber)) throw corrupt(kid, 'bad runs');
  if (runs.length > 0) task.runs = runs;
  if (v.parked !== undefined) {
    if (!isFiniteNumber(v.parked)) throw corrupt(kid, 'bad parked');
    task.parked = v.parked;
  }
}

function corrupt(kid: string, why: string): KtimerError {
  return new KtimerError(
    'corrupt',
    `task ${kid} holds corrupt data in Redis (${why}); delete it with \`ktimer del ${kid}\``,
  );
}
