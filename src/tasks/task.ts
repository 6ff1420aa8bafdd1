// The task model: what is stored in Redis (as JSON; README "Redis layout") and how it is read back.
import { KtimerError } from '../errors.js';

export type TaskType = 'timer' | 'ticker';

/** What a command is: a shell command, or an http(s) URL to call. */
export type CommandKind = 'shell' | 'url';

export const isTaskType = (value: unknown): value is TaskType => value === 'timer' || value === 'ticker';

/** What a user specifies. */
export interface TaskSpec {
  type: TaskType;
  /** Delay or interval in seconds, or an absolute unix timestamp (timers only). */
  time: number;
  /** Ticker: number of fires, 0 = without end. Timer: 0 or 1. */
  limit: number;
  command: string;
}

/** A stored task: spec plus run state. Times are unix seconds with millisecond precision. */
export interface Task extends TaskSpec {
  run_num: number;
  run_lasttime: number;
  run_nexttime: number;
}

export interface TaskWithKid extends Task {
  kid: string;
}

/** Unix seconds (3 decimals) from milliseconds: the unit of run_* fields and schedule scores. */
export const toSec = (ms: number): number => Math.round(ms) / 1000;

export function encodeTask(task: Task): string {
  const { type, time, limit, command, run_num, run_lasttime, run_nexttime } = task;
  return JSON.stringify({ type, time, limit, command, run_num, run_lasttime, run_nexttime });
}

/** Parses stored JSON; throws a 'corrupt' error naming the kid when it is not a valid task. */
export function decodeTask(kid: string, json: string): Task {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw corrupt(kid, 'not JSON');
  }
  if (typeof value !== 'object' || value === null) throw corrupt(kid, 'not an object');
  const v = value as Record<string, unknown>;
  if (!isTaskType(v.type)) throw corrupt(kid, 'bad type');
  for (const field of ['time', 'limit', 'run_num', 'run_lasttime', 'run_nexttime'] as const) {
    if (typeof v[field] !== 'number' || !Number.isFinite(v[field])) throw corrupt(kid, `bad ${field}`);
  }
  if (typeof v.command !== 'string') throw corrupt(kid, 'bad command');
  return {
    type: v.type,
    time: v.time as number,
    limit: v.limit as number,
    command: v.command,
    run_num: v.run_num as number,
    run_lasttime: v.run_lasttime as number,
    run_nexttime: v.run_nexttime as number,
  };
}

function corrupt(kid: string, why: string): KtimerError {
  return new KtimerError(
    'corrupt',
    `task ${kid} holds corrupt data in Redis (${why}); delete it with \`ktimer del ${kid}\``,
  );
}

/** The one rule of what a URL task is (claim.lua's kind_of says the same for the daemon). */
export const isUrlCommand = (command: string): boolean => /^https?:\/\//i.test(command);
