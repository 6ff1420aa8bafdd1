// `ktimer apply`'s plan, as a pure function of what a file declares and what is stored: the
// tasks to add, to change (field by field, and whether their run times are computed anew), to
// remove (`--prune`: the group's tasks the file no longer declares), those unchanged, and the
// refusals that stop the whole apply (a name held outside the group, a limit already reached).
import { KtimerError, messageOf } from '../errors.js';
import { checkLimitAhead, reschedules } from '../tasks/task-rules.js';
import type { Declaration, DeclaredJob, JobSpec, StoredJob } from './job.js';
import { jobFields, JOB_FIELDS, sameValue, type FieldValue } from './job-fields.js';

/** One field that changes; `env.NAME` for one variable of env. */
export interface FieldChange {
  field: string;
  from: FieldValue | undefined;
  to: FieldValue | undefined;
}

export interface PlannedChange {
  name: string;
  line: number;
  kid: string;
  spec: JobSpec;
  current: StoredJob;
  changes: FieldChange[];
  /** New run times from now: its type, time, cron or zone changed (task-rules' `reschedules`). */
  reschedule: boolean;
  /** Its labels changed: the daemons that may claim it are others. */
  placement: boolean;
}

export interface Refusal {
  name: string;
  line: number;
  reason: string;
}

export interface Plan {
  group: string;
  add: DeclaredJob[];
  change: PlannedChange[];
  /** The group's tasks the file no longer declares (with prune), by kid and name if they have one. */
  remove: { kid: string; name?: string }[];
  unchanged: { name: string; kid: string }[];
  /** The group's tasks the file does not declare, left alone because prune was not asked. */
  kept: number;
  refused: Refusal[];
}

/**
 * The plan of applying `declaration` over `stored`: the group's tasks and those holding a name
 * the file declares (more may be given; the others play no part). Timers are never removed:
 * a file cannot declare them.
 */
export function makePlan(declaration: Declaration, stored: readonly StoredJob[], prune: boolean): Plan {
  const { group } = declaration;
  const byName = new Map(stored.flatMap((t) => (t.name === undefined ? [] : [[t.name, t] as const])));
  const plan: Plan = { group, add: [], change: [], remove: [], unchanged: [], kept: 0, refused: [] };
  for (const job of declaration.jobs) {
    const current = byName.get(job.name);
    if (!current) plan.add.push(job);
    else if (current.group !== group || current.type === 'timer')
      plan.refused.push({ name: job.name, line: job.line, reason: heldOutside(current, group) });
    else planChange(plan, job, current);
  }
  const declared = new Set(declaration.jobs.map((j) => j.name));
  for (const task of stored) {
    if (task.group !== group || task.type === 'timer' || (task.name && declared.has(task.name))) continue;
    if (prune)
      plan.remove.push(task.name === undefined ? { kid: task.kid } : { kid: task.kid, name: task.name });
    else plan.kept++;
  }
  const byKey = <T extends { name?: string; kid: string }>(a: T, b: T) =>
    compare(a.name ?? a.kid, b.name ?? b.kid);
  plan.add.sort((a, b) => compare(a.name, b.name));
  plan.change.sort(byKey);
  plan.remove.sort(byKey);
  plan.refused.sort((a, b) => a.line - b.line || compare(a.name, b.name));
  return plan;
}

function planChange(plan: Plan, job: DeclaredJob, current: StoredJob): void {
  const changes = fieldChanges(job.spec, current);
  if (changes.length === 0) {
    plan.unchanged.push({ name: job.name, kid: current.kid });
    return;
  }
  try {
    checkLimitAhead(job.spec.type, job.spec.limit, current);
  } catch (err) {
    plan.refused.push({ name: job.name, line: job.line, reason: messageOf(err) });
    return;
  }
  plan.change.push({
    name: job.name,
    line: job.line,
    kid: current.kid,
    spec: job.spec,
    current,
    changes,
    reschedule: reschedules(job.spec, current),
    placement: changes.some((c) => c.field === 'on'),
  });
}

function heldOutside(current: StoredJob, group: string): string {
  const holder = current.type === 'timer' ? `timer ${current.kid}` : `task ${current.kid}`;
  const where = current.group === undefined ? 'with no group' : `of group ${current.group}`;
  if (current.group === group)
    return `its name is held by ${holder}, which a file cannot declare; delete it with \`ktimer del ${current.kid}\` or rename this task`;
  return `its name is held by ${holder} ${where}, which group ${group} does not own; rename this task, or delete or rename that one`;
}

/** The fields that differ, in the file's order; env one variable at a time. */
export function fieldChanges(spec: JobSpec, current: StoredJob): FieldChange[] {
  const want = jobFields(spec);
  const have = jobFields(current);
  const changes: FieldChange[] = [];
  for (const field of JOB_FIELDS) {
    if (sameValue(want[field], have[field])) continue;
    if (field !== 'env') {
      changes.push({ field, from: have[field], to: want[field] });
      continue;
    }
    const from = (have.env ?? {}) as Readonly<Record<string, string>>;
    const to = (want.env ?? {}) as Readonly<Record<string, string>>;
    for (const name of [...new Set([...Object.keys(from), ...Object.keys(to)])].sort(compare))
      if (from[name] !== to[name]) changes.push({ field: `env.${name}`, from: from[name], to: to[name] });
  }
  return changes;
}

/** A refused plan as the one usage error that stops the apply: a line per refusal. */
export function planRefusal(plan: Plan, source: string): KtimerError | null {
  if (plan.refused.length === 0) return null;
  const lines = plan.refused.map((r) => `${source}:${r.line}: task ${r.name}: ${r.reason}`);
  return new KtimerError('usage', lines.join('\n'), { details: { problems: lines } });
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
