// The pure rules of docs/tasks.md: what a new or changed task is.
// No I/O here: `nowMs` comes in as an argument.
import { usageError } from '../errors.js';
import { oneLine } from '../text.js';
import { checkCron, checkZone } from './cron.js';
import { parseHumanTime } from './human-time.js';
import {
  parseCwd,
  parseEnv,
  parseEnvAssignment,
  parseLabels,
  parseNotify,
  parseOutputMax,
  parseUser,
  RUN_FIELDS,
  type RunFields,
} from './run-fields.js';
import { parseGroup } from './task-group.js';
import { parseName } from './task-name.js';
import {
  DEFAULT_RETRY_DELAY_SEC,
  isMisfire,
  isOverlap,
  isTaskType,
  isUrlCommand,
  MAX_RETRIES,
  MAX_RETRY_DELAY_SEC,
  MAX_TIMEOUT_SEC,
  MISFIRES,
  OVERLAPS,
  type Overlap,
  type Misfire,
  TASK_TYPES,
  type Task,
  type TaskSpec,
  type TaskType,
} from './task.js';

/** Task fields as a user typed them (command line or web form): all strings, all optional. */
export interface TaskInput {
  type?: string | undefined;
  time?: string | undefined;
  limit?: string | undefined;
  command?: string | undefined;
  cron?: string | undefined;
  tz?: string | undefined;
  misfire?: string | undefined;
  name?: string | undefined;
  timeout?: string | undefined;
  overlap?: string | undefined;
  retries?: string | undefined;
  retry_delay?: string | undefined;
  /** Issue 24's run fields, as typed: `on` a comma list, `env` NAME=VALUE assignments. */
  on?: string | readonly string[] | undefined;
  cwd?: string | undefined;
  env?: readonly string[] | undefined;
  user?: string | undefined;
  output_max?: string | undefined;
  notify?: string | undefined;
  group?: string | undefined;
}

/** The names of TaskInput: the fields a command line, a web form or a file line may give. */
export const TASK_FIELDS = [
  'type',
  'time',
  'limit',
  'command',
  'cron',
  'tz',
  'misfire',
  'name',
  'timeout',
  'overlap',
  'retries',
  'retry_delay',
] as const;

/**
 * Every field a command line, a web form or an `add --file` line may give: TASK_FIELDS, where and
 * how it runs (RUN_FIELDS: on, cwd, env, user, output_max, notify), and its group.
 */
export const INPUT_FIELDS = [...TASK_FIELDS, ...RUN_FIELDS, 'group'] as const;
export type InputField = (typeof INPUT_FIELDS)[number];

export interface TaskRules {
  maxDay: number;
  defaultTimer: string;
  defaultTicker: string;
  /** [task] timezone: a cron task's zone (and a date's) when -tz is not given. */
  timezone: string;
}

export const DEFAULT_TIME_SEC = 5;
export const MAX_COMMAND_CHARS = 4096;

export function parseType(value: string): TaskType {
  if (isTaskType(value)) return value;
  throw usageError(`type "${clip(value)}" is invalid; expected ${TASK_TYPES.join(', ')}`);
}

/** A whole number >= min written in decimal digits: "5", not "5.0", "+5", "1e3" or "". */
export function parseWhole(name: string, value: string, min: number, what: string): number {
  const n = /^\d{1,16}$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw usageError(`${name} "${clip(value)}" is invalid; expected ${what}`);
  }
  return n;
}

export function parseLimit(value: string, type: TaskType): number {
  const limit = parseWhole('limit', value, 0, 'a whole number >= 0 (0 = without end)');
  if (type === 'timer' && limit > 1) {
    throw usageError(`limit ${limit} is invalid for a timer, which fires once; use 0 or 1, or -type=ticker`);
  }
  return limit;
}

export function parseCommand(value: string): string {
  const command = value.trim();
  if (command === '') throw usageError('command is empty; give a shell command or an http(s) URL');
  if (command.length > MAX_COMMAND_CHARS) {
    throw usageError(
      `command is ${command.length} characters long; at most ${MAX_COMMAND_CHARS} are allowed`,
    );
  }
  if (command.includes('\0')) throw usageError('command contains a NUL byte, which a shell cannot run');
  if (isUrlCommand(command)) checkUrl(command);
  return command;
}

function checkUrl(command: string): void {
  let url: URL;
  try {
    url = new URL(command);
  } catch {
    throw usageError(`command "${clip(command)}" looks like a URL but is not a valid one`);
  }
  const post = url.searchParams.get('kt_post');
  if (post !== null) {
    let body: unknown;
    try {
      body = JSON.parse(post);
    } catch {
      body = undefined;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw usageError('the kt_post parameter of the URL must hold a JSON object, such as kt_post={"a":1}');
    }
  }
}

/** The fields of a new task, checked; needs no clock, so bad input fails before any I/O. */
export function parseTaskSpec(input: TaskInput, rules: TaskRules): TaskSpec {
  const type = input.type === undefined ? 'timer' : parseType(input.type);
  const limit = input.limit === undefined ? defaultLimit(type) : parseLimit(input.limit, type);
  const command = input.command === undefined ? defaultCommand(type, rules) : parseCommand(input.command);
  const spec: TaskSpec = { type, limit, command, ...scheduleOf(input, type, rules, null) };
  const misfire = parseMisfire(input.misfire, type);
  if (misfire) spec.misfire = misfire;
  if (input.name !== undefined) spec.name = parseName(input.name);
  if (input.timeout !== undefined) spec.timeout = parseTimeout(input.timeout, 1);
  const overlap = input.overlap === undefined ? undefined : parseOverlap(input.overlap);
  if (overlap && overlap !== 'allow') spec.overlap = overlap;
  Object.assign(spec, retriesOf(input, undefined), runFieldsOf(input, {}));
  if (input.group !== undefined && input.group !== '') spec.group = parseGroup(input.group);
  return spec;
}

/**
 * Where and how a task runs, from the input over what `current` has (update; {} for a new task):
 * a field given replaces the task's, an empty one takes it away (`-on=`, `-env=`, `-cwd=`,
 * `-user=`, `-output_max=`, `-notify=on`); one not given stays.
 */
export function runFieldsOf(input: TaskInput, current: RunFields): RunFields {
  const out: RunFields = {};
  const on = input.on === undefined ? current.on : isEmpty(input.on) ? undefined : parseLabels(input.on);
  if (on) out.on = on;
  const cwd = input.cwd === undefined ? current.cwd : input.cwd === '' ? undefined : parseCwd(input.cwd);
  if (cwd) out.cwd = cwd;
  const env =
    input.env === undefined
      ? current.env
      : isEmpty(input.env)
        ? undefined
        : parseEnv(input.env.map(parseEnvAssignment));
  if (env) out.env = env;
  const user =
    input.user === undefined ? current.user : input.user === '' ? undefined : parseUser(input.user);
  if (user) out.user = user;
  const outputMax =
    input.output_max === undefined
      ? current.output_max
      : input.output_max === ''
        ? undefined
        : parseOutputMax(input.output_max);
  if (outputMax !== undefined) out.output_max = outputMax;
  const notify = input.notify === undefined ? current.notify : parseNotify(input.notify);
  if (notify === 'off') out.notify = 'off';
  return out;
}

const isEmpty = (value: string | readonly string[]): boolean =>
  typeof value === 'string' ? value.trim() === '' : value.every((v) => v.trim() === '');

export function parseOverlap(value: string): Overlap {
  if (isOverlap(value)) return value;
  throw usageError(`overlap "${clip(value)}" is invalid; expected ${OVERLAPS.join(', ')}`);
}

/**
 * -retries and -retry_delay, over what `current` has (update): { retries, retry_delay } when the
 * task retries, {} when not (-retries=0 takes them away). A delay without retries is refused.
 */
export function retriesOf(
  input: Pick<TaskInput, 'retries' | 'retry_delay'>,
  current: Pick<TaskSpec, 'retries' | 'retry_delay'> | undefined,
): Pick<TaskSpec, 'retries' | 'retry_delay'> {
  const retries =
    input.retries === undefined
      ? (current?.retries ?? 0)
      : parseWhole('retries', input.retries, 0, `a whole number from 0 to ${MAX_RETRIES}`);
  if (retries > MAX_RETRIES)
    throw usageError(`retries ${retries} is invalid; expected a whole number from 0 to ${MAX_RETRIES}`);
  const what = `whole seconds from 1 to ${MAX_RETRY_DELAY_SEC}`;
  const delay =
    input.retry_delay === undefined
      ? (current?.retry_delay ?? DEFAULT_RETRY_DELAY_SEC)
      : parseWhole('retry_delay', input.retry_delay, 1, what);
  if (delay > MAX_RETRY_DELAY_SEC) throw usageError(`retry_delay ${delay} is invalid; expected ${what}`);
  if (retries === 0) {
    if (input.retry_delay !== undefined)
      throw usageError(
        'retry_delay needs retries; give -retries=N too (how many times a failed run is retried)',
      );
    return {};
  }
  return { retries, retry_delay: delay };
}

/**
 * `-timeout`: whole seconds a run may take, from `min` (update: 0 = none of its own) to
 * MAX_TIMEOUT_SEC, as task_timeout is bounded.
 */
export function parseTimeout(value: string, min: 0 | 1): number {
  const what = `whole seconds from ${min} to ${MAX_TIMEOUT_SEC}${min === 0 ? ' (0: back to task_timeout)' : ''}`;
  const timeout = parseWhole('timeout', value, min, what);
  if (timeout > MAX_TIMEOUT_SEC) throw usageError(`timeout ${timeout} is invalid; expected ${what}`);
  return timeout;
}

/** Checks the syntax of update fields before any I/O (the merge needs the stored task). */
export function checkUpdateInput(input: TaskInput, rules: TaskRules): void {
  if (Object.values(input).every((v) => v === undefined)) {
    throw usageError(
      `nothing to update; give at least one of ${INPUT_FIELDS.map((f) => `-${f}`).join(', ')}`,
    );
  }
  const type = input.type === undefined ? undefined : parseType(input.type);
  if (input.time !== undefined) parseTime(input.time, type ?? 'timer', input.tz ?? rules.timezone, rules);
  if (input.cron !== undefined) checkCron(input.cron, input.tz ?? rules.timezone);
  else if (input.tz !== undefined) checkZone(input.tz);
  if (input.limit !== undefined) parseLimit(input.limit, type ?? 'ticker');
  if (input.misfire !== undefined) parseMisfire(input.misfire, type ?? 'ticker');
  if (input.command !== undefined) parseCommand(input.command);
  if (input.name !== undefined && input.name !== '') parseName(input.name);
  if (input.timeout !== undefined) parseTimeout(input.timeout, 0);
  if (input.overlap !== undefined) parseOverlap(input.overlap);
  // retry_delay alone is checked against the stored task's retries in parseTaskUpdate.
  if (input.retries !== undefined || input.retry_delay !== undefined)
    retriesOf(input, { retries: input.retries === undefined ? 1 : undefined });
  runFieldsOf(input, {});
  if (input.group !== undefined && input.group !== '') parseGroup(input.group);
}

/**
 * A stored task with some fields changed. Unspecified fields keep their values; a new type, time,
 * cron expression or zone reschedules it from now (`reschedule`), otherwise its runs stay.
 */
export function parseTaskUpdate(
  input: TaskInput,
  current: Task,
  rules: TaskRules,
): { spec: TaskSpec; reschedule: boolean } {
  checkUpdateInput(input, rules);
  const type = input.type === undefined ? current.type : parseType(input.type);
  const typeChanged = type !== current.type;
  let limit: number;
  if (input.limit !== undefined) limit = parseLimit(input.limit, type);
  else limit = typeChanged ? defaultLimit(type) : current.limit;
  const command = input.command === undefined ? current.command : parseCommand(input.command);
  checkLimitAhead(type, limit, current);
  const schedule = scheduleOf(input, type, rules, current);
  const spec: TaskSpec = { type, limit, command, ...schedule };
  const misfire = parseMisfire(input.misfire, type) ?? (type === 'timer' ? undefined : current.misfire);
  if (misfire) spec.misfire = misfire;
  // -name= and -timeout=0 take the task's own away; not given, they stay.
  const name = input.name === undefined ? current.name : input.name === '' ? '' : parseName(input.name);
  if (name) spec.name = name;
  const timeout = input.timeout === undefined ? current.timeout : parseTimeout(input.timeout, 0);
  if (timeout) spec.timeout = timeout;
  const overlap = input.overlap === undefined ? current.overlap : parseOverlap(input.overlap);
  if (overlap && overlap !== 'allow') spec.overlap = overlap;
  Object.assign(spec, retriesOf(input, current), runFieldsOf(input, current));
  const group =
    input.group === undefined ? current.group : input.group === '' ? undefined : parseGroup(input.group);
  if (group) spec.group = group;
  return { spec, reschedule: reschedules(spec, current) };
}

/** Whether `spec` moves the runs of `current`: a new type, time, cron expression or zone. */
export const reschedules = (spec: TaskSpec, current: Task): boolean =>
  spec.type !== current.type ||
  spec.time !== current.time ||
  spec.cron !== current.cron ||
  spec.tz !== current.tz;

/** A changed task's limit must leave it runs to make (`add --replace` too: its run count stays). */
export function checkLimitAhead(type: TaskType, limit: number, current: Task): void {
  if (type !== 'timer' && limit > 0 && current.run_num >= limit) {
    throw usageError(
      `limit ${limit} is not above the ${current.run_num} runs this task has made; give a larger one or 0`,
    );
  }
}

/**
 * When a task runs, from the input: `time` for a timer or ticker, `cron` and `tz` for a cron
 * task; what is not given is taken from `current` (an update of the same type) or the defaults.
 */
function scheduleOf(
  input: TaskInput,
  type: TaskType,
  rules: TaskRules,
  current: Task | null,
): Pick<TaskSpec, 'time' | 'cron' | 'tz'> {
  if (type !== 'cron') {
    if (input.cron !== undefined)
      throw usageError('-cron is for -type=cron only; give -type=cron too, or -time');
    if (type === 'ticker' && input.tz !== undefined)
      throw usageError(
        '-tz is for -type=cron and for a -time given as a date; a ticker runs every -time seconds',
      );
    if (input.time !== undefined)
      return { time: parseTime(input.time, type, input.tz ?? rules.timezone, rules) };
    if (!current) return { time: DEFAULT_TIME_SEC };
    if (current.type === 'cron') throw usageError(`a ${type} needs -time; a cron task has none to keep`);
    return { time: current.time };
  }
  if (input.time !== undefined)
    throw usageError('-time is not for a cron task: its runs come from -cron; remove -time');
  const kept = current?.type === 'cron' ? current : null;
  const tz = checkZone(input.tz ?? kept?.tz ?? rules.timezone);
  const cron = input.cron ?? kept?.cron;
  if (cron === undefined)
    throw usageError('a cron task needs -cron, such as -cron="0 30 3 * * *" (03:30:00 every day)');
  return { time: 0, cron: checkCron(cron, tz), tz };
}

/**
 * `-time`: whole seconds (a delay up to task_max_day days, else a unix timestamp), `+90s` /
 * `+15m` / `+2h` / `+1d` (a delay), or an ISO 8601 date-time (a timestamp; timers only).
 */
function parseTime(value: string, type: TaskType, tz: string, rules: TaskRules): number {
  const human = parseHumanTime('time', value, tz);
  if (human === null)
    return parseWhole(
      'time',
      value,
      1,
      'seconds above 0, +90s / +15m / +2h / +1d, or a date such as 2026-12-24T18:00',
    );
  if ('delaySec' in human) {
    if (human.delaySec < 1) throw usageError(`time "${clip(value)}" is invalid; a delay must be above 0`);
    if (human.delaySec > rules.maxDay * 86400)
      throw usageError(`time "${clip(value)}" lies more than ${rules.maxDay} days ahead (task_max_day)`);
    return human.delaySec;
  }
  if (type !== 'timer')
    throw usageError(
      `time "${clip(value)}" is a date; a ${type}'s -time is its interval, such as 300 or +5m`,
    );
  if (human.atMs % 1000 !== 0 || human.atMs <= rules.maxDay * 86400 * 1000)
    throw usageError(`time "${clip(value)}" lies in the past; give a later date`);
  return human.atMs / 1000;
}

export function parseMisfire(value: string | undefined, type: TaskType): Misfire | undefined {
  if (value === undefined) return undefined;
  if (type === 'timer')
    throw usageError(
      '-misfire is for tickers and cron tasks; a timer overdue beyond task_expire_limit is dropped, not run',
    );
  if (!isMisfire(value))
    throw usageError(`misfire "${clip(value)}" is invalid; expected ${MISFIRES.join(', ')}`);
  return value;
}

const defaultLimit = (type: TaskType): number => (type === 'timer' ? 1 : 0);

function defaultCommand(type: TaskType, rules: TaskRules): string {
  // A cron task repeats, as a ticker does: default_ticker.
  const command = type === 'timer' ? rules.defaultTimer : rules.defaultTicker;
  if (command === '') {
    throw usageError(
      `command is missing and [task] default_${type === 'timer' ? 'timer' : 'ticker'} is empty; give -command`,
    );
  }
  return parseCommand(command);
}

const clip = (value: string): string => oneLine(value, 43);
