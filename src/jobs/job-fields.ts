// A job's fields in one canonical form, what the plan compares and what export writes: in one
// order, defaults left out (limit 0, misfire once, overlap allow, notify on), labels sorted, env
// by name. So a default written and one left out are the same, and so are `time: 300` and
// `time: "300"` (both are checked into the same spec first).
import type { RunFields } from '../tasks/run-fields.js';
import type { TaskSpec } from '../tasks/task.js';

/** The fields, in the order a file lists them. */
export const JOB_FIELDS = [
  'type',
  'time',
  'cron',
  'tz',
  'command',
  'limit',
  'misfire',
  'timeout',
  'overlap',
  'retries',
  'retry_delay',
  'on',
  'cwd',
  'env',
  'user',
  'output_max',
  'notify',
] as const;
export type JobField = (typeof JOB_FIELDS)[number];

export type FieldValue = string | number | readonly string[] | Readonly<Record<string, string>>;
export type JobFields = Partial<Record<JobField, FieldValue>>;

/**
 * The canonical fields of a checked spec or a stored task (run state is not a field), set in
 * JOB_FIELDS' order, only those there are: a plan compares thousands of them.
 */
export function jobFields(task: TaskSpec & RunFields): JobFields {
  const repeats = task.type !== 'timer';
  const cron = task.type === 'cron';
  const f: JobFields = { type: task.type };
  if (!cron) f.time = task.time;
  if (cron && task.cron !== undefined) f.cron = task.cron;
  if (cron && task.tz !== undefined) f.tz = task.tz;
  f.command = task.command;
  if (task.limit !== 0 || !repeats) f.limit = task.limit;
  if (repeats && task.misfire !== undefined && task.misfire !== 'once') f.misfire = task.misfire;
  if (task.timeout !== undefined) f.timeout = task.timeout;
  if (task.overlap !== undefined && task.overlap !== 'allow') f.overlap = task.overlap;
  if (task.retries) {
    f.retries = task.retries;
    if (task.retry_delay !== undefined) f.retry_delay = task.retry_delay;
  }
  if (task.on?.length) f.on = [...new Set(task.on)].sort();
  if (task.cwd !== undefined) f.cwd = task.cwd;
  if (task.env && Object.keys(task.env).length > 0) f.env = sortedEnv(task.env);
  if (task.user !== undefined) f.user = task.user;
  if (task.output_max !== undefined) f.output_max = task.output_max;
  if (task.notify === 'off') f.notify = 'off';
  return f;
}

function sortedEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Whether two canonical values are the same (labels and env are in canonical order already). */
export const sameValue = (a: FieldValue | undefined, b: FieldValue | undefined): boolean =>
  a === b || (typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b));
