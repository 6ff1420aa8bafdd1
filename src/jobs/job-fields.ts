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
 * When a task runs: a change of these gives it new run times from now (task-rules' `reschedules`
 * says the same for update). `misfire` and `limit` change what a claim does, not when runs are.
 */
export const SCHEDULE_FIELDS: readonly JobField[] = ['type', 'time', 'cron', 'tz'];

/** The canonical fields of a checked spec or a stored task (run state is not a field). */
export function jobFields(task: TaskSpec & RunFields): JobFields {
  const repeats = task.type !== 'timer';
  const all: JobFields = {
    type: task.type,
    time: task.type === 'cron' ? undefined : task.time,
    cron: task.type === 'cron' ? task.cron : undefined,
    tz: task.type === 'cron' ? task.tz : undefined,
    command: task.command,
    limit: task.limit === 0 && repeats ? undefined : task.limit,
    misfire: repeats && task.misfire !== 'once' ? task.misfire : undefined,
    timeout: task.timeout,
    overlap: task.overlap === 'allow' ? undefined : task.overlap,
    retries: task.retries ? task.retries : undefined,
    retry_delay: task.retries ? task.retry_delay : undefined,
    on: task.on?.length ? [...new Set(task.on)].sort() : undefined,
    cwd: task.cwd,
    env: task.env && Object.keys(task.env).length > 0 ? sortedEnv(task.env) : undefined,
    user: task.user,
    output_max: task.output_max,
    notify: task.notify === 'off' ? 'off' : undefined,
  };
  // Left out, not undefined: what is compared and written is only what is there.
  return Object.fromEntries(JOB_FIELDS.flatMap((f) => (all[f] === undefined ? [] : [[f, all[f]]])));
}

function sortedEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Whether two canonical values are the same (labels and env are in canonical order already). */
export const sameValue = (a: FieldValue | undefined, b: FieldValue | undefined): boolean =>
  JSON.stringify(a) === JSON.stringify(b);
