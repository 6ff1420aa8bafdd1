// The pure rules of README "Tasks": what a new or changed task is, and when it runs first.
// No I/O here: `nowMs` comes in as an argument.
import { usageError } from '../errors.js';
import { oneLine } from '../text.js';
import { isUrlCommand, type Task, type TaskSpec, type TaskType } from './task.js';

/** Task fields as a user typed them (command line or web form): all strings, all optional. */
export interface TaskInput {
  type?: string | undefined;
  time?: string | undefined;
  limit?: string | undefined;
  command?: string | undefined;
}

export interface TaskRules {
  maxDay: number;
  defaultTimer: string;
  defaultTicker: string;
}

export interface Scheduled {
  spec: TaskSpec;
  /** When it runs first (or next, for an update), unix milliseconds. */
  nextRunMs: number;
}

export const DEFAULT_TIME_SEC = 5;
export const MAX_COMMAND_CHARS = 4096;

export function parseType(value: string): TaskType {
  if (value === 'timer' || value === 'ticker') return value;
  throw usageError(`type "${clip(value)}" is invalid; expected timer or ticker`);
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
  const limit = parseWhole('limit', value, 0, 'a whole number >= 0 (0 = a ticker without end)');
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

/**
 * When a task of `type` with `time` first runs: a delay up to task_max_day days, else an
 * absolute unix timestamp that lies ahead and within task_max_day days (timers only).
 */
export function firstRunMs(type: TaskType, time: number, maxDay: number, nowMs: number): number {
  const maxDelaySec = maxDay * 86400;
  if (time <= maxDelaySec) return nowMs + time * 1000;
  if (type === 'ticker') {
    throw usageError(
      `time ${time} is invalid for a ticker: it is the interval in seconds, at most ${maxDelaySec} (task_max_day = ${maxDay})`,
    );
  }
  const nowSec = nowMs / 1000;
  if (time <= nowSec) {
    throw usageError(
      `time ${time} is a unix timestamp in the past (now is ${Math.floor(nowSec)}); give a later one or a delay`,
    );
  }
  if (time > nowSec + maxDelaySec) {
    throw usageError(
      `time ${time} lies more than ${maxDay} days ahead (task_max_day); give an earlier timestamp`,
    );
  }
  return time * 1000;
}

/** The fields of a new task, checked; needs no clock, so bad input fails before any I/O. */
export function parseTaskSpec(input: TaskInput, rules: TaskRules): TaskSpec {
  const type = input.type === undefined ? 'timer' : parseType(input.type);
  const time = input.time === undefined ? DEFAULT_TIME_SEC : parseTime(input.time);
  const limit = input.limit === undefined ? defaultLimit(type) : parseLimit(input.limit, type);
  const command = input.command === undefined ? defaultCommand(type, rules) : parseCommand(input.command);
  return { type, time, limit, command };
}

export function parseNewTask(input: TaskInput, rules: TaskRules, nowMs: number): Scheduled {
  const spec = parseTaskSpec(input, rules);
  return { spec, nextRunMs: firstRunMs(spec.type, spec.time, rules.maxDay, nowMs) };
}

/** Checks the syntax of update fields before any I/O (the merge needs the stored task). */
export function checkUpdateInput(input: TaskInput): void {
  if (Object.values(input).every((v) => v === undefined)) {
    throw usageError('nothing to update; give at least one of -type, -time, -limit, -command');
  }
  const type = input.type === undefined ? undefined : parseType(input.type);
  if (input.time !== undefined) parseTime(input.time);
  if (input.limit !== undefined) parseLimit(input.limit, type ?? 'ticker');
  if (input.command !== undefined) parseCommand(input.command);
}

/**
 * A stored task with some fields changed. Unspecified fields keep their values; a new time or
 * type reschedules from now, otherwise the next run stays.
 */
export function parseTaskUpdate(input: TaskInput, current: Task, rules: TaskRules, nowMs: number): Scheduled {
  checkUpdateInput(input);
  const type = input.type === undefined ? current.type : parseType(input.type);
  const typeChanged = type !== current.type;
  const time = input.time === undefined ? current.time : parseTime(input.time);
  let limit: number;
  if (input.limit !== undefined) limit = parseLimit(input.limit, type);
  else limit = typeChanged ? defaultLimit(type) : current.limit;
  const command = input.command === undefined ? current.command : parseCommand(input.command);
  if (type === 'ticker' && limit > 0 && current.run_num >= limit) {
    throw usageError(
      `limit ${limit} is not above the ${current.run_num} runs this ticker has made; give a larger one or 0`,
    );
  }
  const reschedule = typeChanged || time !== current.time;
  const nextRunMs = reschedule
    ? firstRunMs(type, time, rules.maxDay, nowMs)
    : Math.round(current.run_nexttime * 1000);
  return { spec: { type, time, limit, command }, nextRunMs };
}

function parseTime(value: string): number {
  return parseWhole('time', value, 1, 'a whole number of seconds above 0, or a future unix timestamp');
}

const defaultLimit = (type: TaskType): number => (type === 'timer' ? 1 : 0);

function defaultCommand(type: TaskType, rules: TaskRules): string {
  const command = type === 'timer' ? rules.defaultTimer : rules.defaultTicker;
  if (command === '') {
    throw usageError(`command is missing and [task] default_${type} is empty; give -command`);
  }
  return parseCommand(command);
}

const clip = (value: string): string => oneLine(value, 43);
