// Commands on many tasks (issue 25 item 4): del, pause, resume and run take several kids or
// names, or a group's tasks (`-group=G`). Each target is done on its own and reported on its
// own: one that fails (a name no task holds, a run refused) leaves the others done all the same.
import { KtimerError, messageOf, type ErrorCode, usageError } from '../errors.js';
import type { TaskStore } from '../store/open-store.js';
import { parseGroup } from '../tasks/task-group.js';
import { parseTaskRef } from '../tasks/task-name.js';
import { groupTasks } from './group-read.js';
import { PAUSE_BATCH, type PauseOutcome, type ResumeOutcome } from './pause-resume.js';
import { noSuchName } from './task-ref.js';
import type { RunNowOutcome, TaskService } from './task-service.js';

/** Kids or names given at once, at most (a group's tasks are not counted against it). */
export const MAX_TARGETS = 1000;
/** Targets worked on at once: their round trips overlap. */
const TARGETS_IN_FLIGHT = 32;

/** What a command acts on: the words given (kids or names), or a group. */
export interface TargetInput {
  refs: readonly string[];
  group?: string | undefined;
}

/** One target: the word that named it (a kid, a name; a group's task: its name, else its kid). */
export interface Target {
  target: string;
  /** Null: no task holds that name. */
  kid: string | null;
}

export interface TargetResult<T> {
  target: string;
  kid: string | null;
  ok: boolean;
  /** What was done (ok). */
  result?: T;
  /** Why not (not ok): its code and the one line a user reads. */
  error?: { code: ErrorCode; message: string };
}

/** The targets' input, checked before any round trip: kids or names, or a group, not both. */
export function checkTargets(
  command: string,
  { refs, group }: TargetInput,
): { refs: string[]; group: string | null } {
  const words = refs.map((r) => r.trim()).filter((r) => r !== '');
  const named = group === undefined || group === '' ? null : parseGroup(group);
  if (named !== null && words.length > 0)
    throw usageError(
      `give kids or names, or -group=G, not both (ktimer ${command} KID..., or ktimer ${command} -group=G)`,
    );
  if (named === null && words.length === 0)
    throw usageError(`kid is missing; give the kids or names of the tasks to ${command}, or -group=G`);
  if (words.length > MAX_TARGETS)
    throw usageError(`too many kids (${words.length}); at most ${MAX_TARGETS} at once, or -group=G`);
  for (const word of words) parseTaskRef(word);
  return { refs: [...new Set(words)], group: named };
}

/** The targets, each with its kid: names looked up in one round trip, a group's tasks read. */
export async function resolveTargets(
  store: Pick<TaskStore, 'groupKids' | 'kidsOfNames' | 'rawTasks'>,
  input: { refs: readonly string[]; group: string | null },
): Promise<Target[]> {
  if (input.group !== null) {
    const tasks = await groupTasks(store, input.group);
    if (tasks.length === 0)
      throw new KtimerError(
        'not_found',
        `group ${input.group} has no tasks; see \`ktimer list -group=${input.group}\``,
      );
    return tasks
      .map((t) => ({ target: t.name ?? t.kid, kid: t.kid }))
      .sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
  }
  const parsed = input.refs.map((ref) => ({ ref, parsed: parseTaskRef(ref) }));
  const names = parsed.flatMap((p) => ('name' in p.parsed ? [p.parsed.name] : []));
  const kidsOfNames = names.length === 0 ? [] : await store.kidsOfNames(names);
  let next = 0;
  return parsed.map(({ ref, parsed: p }) => ({
    target: ref,
    kid: 'kid' in p ? p.kid : (kidsOfNames[next++] ?? null),
  }));
}

/** `fn` on each target, a few at once; each failure kept as that target's result. */
export async function eachTarget<T>(
  targets: readonly Target[],
  fn: (kid: string) => T | Promise<T>,
): Promise<TargetResult<T>[]> {
  const results = new Array<TargetResult<T>>(targets.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const i = next++;
      const { target, kid } = targets[i] as Target;
      results[i] = await resultOf(target, kid, fn);
    }
  };
  await Promise.all(Array.from({ length: Math.min(TARGETS_IN_FLIGHT, targets.length) }, worker));
  return results;
}

async function resultOf<T>(
  target: string,
  kid: string | null,
  fn: (kid: string) => T | Promise<T>,
): Promise<TargetResult<T>> {
  try {
    if (kid === null) throw noSuchName(target.trim());
    return { target, kid, ok: true, result: await fn(kid) };
  } catch (err) {
    // Redis failing fails the command: the targets after it would fail the same way.
    if (!(err instanceof KtimerError) || err.code === 'redis' || err.code === 'internal') throw err;
    return { target, kid, ok: false, error: { code: err.code, message: messageOf(err) } };
  }
}

/** What del did to one task: removed it, and runs of it that waited dropped. */
export interface DelOutcome {
  removed: number;
  dropped: number;
}

/** The four commands on many tasks, over the one task service (the command line and the web API). */
export class EachTarget {
  constructor(private readonly service: TaskService) {}

  /** The targets of `command`, checked before any round trip. */
  private async targets(command: string, input: TargetInput): Promise<Target[]> {
    const checked = checkTargets(command, input);
    return this.service.withTaskStore((store) => resolveTargets(store, checked));
  }

  async del(input: TargetInput): Promise<TargetResult<DelOutcome>[]> {
    return eachTarget(await this.targets('del', input), (kid) => this.service.delOne(kid));
  }

  /** Pauses in one script per PAUSE_BATCH tasks; a change told per task (docs/logs-and-history.md). */
  async pause(input: TargetInput): Promise<TargetResult<PauseOutcome>[]> {
    const targets = await this.targets('pause', input);
    const outcomes = new Map<string, PauseOutcome>();
    for (const batch of batches(kidsOf(targets)))
      for (const o of await this.service.pauses.pause(batch, 'each')) outcomes.set(o.kid, o);
    return eachTarget(targets, (kid) => found(kid, outcomes.get(kid)));
  }

  /** Resumes in one read and one script per PAUSE_BATCH tasks; a change told per task. */
  async resume(input: TargetInput): Promise<TargetResult<ResumeOutcome>[]> {
    const targets = await this.targets('resume', input);
    const outcomes = new Map<string, ResumeOutcome>();
    for (const batch of batches(kidsOf(targets)))
      for (const [kid, o] of await this.service.pauses.resumeEach(batch)) outcomes.set(kid, o);
    return eachTarget(targets, async (kid) => {
      // No outcome: its data is not a valid task; resumed alone, it fails with the reason why.
      const outcome = outcomes.get(kid) ?? (await this.service.pauses.resume([kid]))[0];
      return found(kid, outcome);
    });
  }

  /** Runs by hand; each refused when no live daemon may run it, unless `queue`. */
  async run(input: TargetInput, options: { queue?: boolean } = {}): Promise<TargetResult<RunNowOutcome>[]> {
    return eachTarget(await this.targets('run', input), (kid) => this.service.runNow(kid, options));
  }
}

/** The kids of the targets that have one, each once. */
const kidsOf = (targets: readonly Target[]): string[] => [
  ...new Set(targets.flatMap((t) => (t.kid === null ? [] : [t.kid]))),
];

function batches(kids: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < kids.length; i += PAUSE_BATCH) out.push(kids.slice(i, i + PAUSE_BATCH));
  return out;
}

/** A target's outcome, or not_found when its task was gone. */
function found<T extends { state: string }>(kid: string, outcome: T | undefined): T {
  if (!outcome || outcome.state === 'missing') throw taskMissing(kid);
  return outcome;
}

export const taskMissing = (kid: string): KtimerError =>
  new KtimerError('not_found', `task ${kid} does not exist (it may have fired already); see \`ktimer list\``);
