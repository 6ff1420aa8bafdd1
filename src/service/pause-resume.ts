// Pause and resume (docs/steering.md), for the command line and the web API alike: a
// paused task leaves the schedule for the paused set and never fires, keeping its kid, fields,
// run state and history; resumed, it goes on at the next run of its own schedule after now.
import { KtimerError, usageError } from '../errors.js';
import type { PauseStatus, Resume, TaskStore } from '../store/open-store.js';
import { resumedTask } from '../tasks/schedule.js';
import { decodeTask, type Task, toSec } from '../tasks/task.js';
import { resolveEach } from './task-ref.js';
import type { TaskServiceDeps } from './task-service.js';

/** Tasks per script of --all: each batch is one atomic script, short enough not to stall Redis. */
export const PAUSE_BATCH = 1000;
/** Kids at most in one call, as for del. */
export const PAUSE_MAX_KIDS = 1000;
const RESUME_ATTEMPTS = 5;

export interface PauseOutcome {
  kid: string;
  /** was_paused: it was paused already, and stays so since then. */
  state: 'paused' | 'was_paused' | 'missing';
}

export interface ResumeOutcome {
  kid: string;
  /** not_paused: it was not paused; nothing was done. */
  state: 'resumed' | 'not_paused' | 'missing';
  /** The task as resumed (its next run in run_nexttime). */
  task?: Task;
}

export interface ResumeAllResult {
  resumed: number;
  /** Paused kids whose data is not a valid task: left paused (`ktimer del` removes them). */
  corrupt: string[];
}

const PAUSE_STATE: Record<PauseStatus, PauseOutcome['state']> = {
  done: 'paused',
  already: 'was_paused',
  missing: 'missing',
};

/** The kids of a pause or resume (kids or task names), checked before any round trip. */
async function kidsOf(
  inputs: readonly string[],
  store: Pick<TaskServiceDeps, 'store'>['store'],
): Promise<string[]> {
  if (inputs.length === 0)
    throw usageError('kid is missing; give the kid printed by `ktimer add`, or --all for every task');
  if (inputs.length > PAUSE_MAX_KIDS)
    throw usageError(`too many kids (${inputs.length}); at most ${PAUSE_MAX_KIDS} at once, or --all`);
  return [...new Set(await resolveEach(inputs, store))];
}

/** How a pause or resume of kids is told to the change log: one change, or one per task. */
type Told = 'once' | 'each';

export class PauseResume {
  constructor(private readonly deps: Pick<TaskServiceDeps, 'store' | 'nowMs' | 'onChange'>) {}

  /**
   * Pauses the tasks given, in one script; a task paused already keeps its paused-since time.
   * `told: 'each'`: a change per task (the commands on many tasks), else one for them all.
   */
  async pause(kidInputs: readonly string[], told: Told = 'once'): Promise<PauseOutcome[]> {
    const kids = await kidsOf(kidInputs, this.deps.store);
    const store = await this.deps.store();
    const statuses = await store.pause(kids, toSec(await this.deps.nowMs()));
    const outcomes = kids.map((kid, i) => ({ kid, state: PAUSE_STATE[statuses[i] ?? 'missing'] }));
    return this.tell('pause', outcomes, told, 'paused');
  }

  /**
   * Pauses every task: the head of the schedule, a batch at a time, until it is empty. Each
   * batch is atomic; a task added meanwhile may or may not be paused. Returns how many were.
   */
  async pauseAll(): Promise<number> {
    const store = await this.deps.store();
    const nowSec = toSec(await this.deps.nowMs());
    let paused = 0;
    for (;;) {
      // Every kid read leaves the schedule (paused, or a stale entry dropped), so the head moves on.
      const kids = await store.scheduledHead(PAUSE_BATCH);
      if (kids.length > 0) paused += (await store.pause(kids, nowSec)).filter((s) => s === 'done').length;
      if (kids.length < PAUSE_BATCH) break;
    }
    this.deps.onChange({ op: 'pause', kids: 'all', count: paused });
    return paused;
  }

  /** Resumes the tasks given at the next run of their schedules after now. */
  async resume(kidInputs: readonly string[]): Promise<ResumeOutcome[]> {
    const kids = await kidsOf(kidInputs, this.deps.store);
    const store = await this.deps.store();
    const nowMs = await this.deps.nowMs();
    const { outcomes, corrupt } = await this.resumeRows(store, await rowsOf(store, kids), nowMs);
    // Not readable as a task: read alone, its 'corrupt' error names it.
    for (const kid of corrupt) outcomes.set(kid, await this.resumeOne(store, kid, nowMs));
    const done = kids.map((kid) => outcomes.get(kid) ?? { kid, state: 'missing' as const });
    return this.tell('resume', done, 'once', 'resumed');
  }

  /**
   * Resumes kids (no names) in one read and one script, a change told per task: the commands on
   * many tasks. A kid whose data is not a valid task has no outcome (resume it alone: it fails
   * saying why).
   */
  async resumeEach(kids: readonly string[]): Promise<Map<string, ResumeOutcome>> {
    const store = await this.deps.store();
    const nowMs = await this.deps.nowMs();
    const { outcomes } = await this.resumeRows(store, await rowsOf(store, kids), nowMs);
    this.tell('resume', [...outcomes.values()], 'each', 'resumed');
    return outcomes;
  }

  /** Resumes every paused task, a batch at a time in order of kid. */
  async resumeAll(): Promise<ResumeAllResult> {
    const store = await this.deps.store();
    const nowMs = await this.deps.nowMs();
    const result: ResumeAllResult = { resumed: 0, corrupt: [] };
    let after = '';
    for (;;) {
      // Paged by kid, not by rank: resumed tasks leave the set without moving the page's place.
      const page = await store.pausedAfter(after, PAUSE_BATCH);
      const { outcomes, corrupt } = await this.resumeRows(store, page, nowMs);
      for (const o of outcomes.values()) if (o.state === 'resumed') result.resumed++;
      result.corrupt.push(...corrupt);
      const last = page.at(-1);
      if (!last || page.length < PAUSE_BATCH) break;
      after = last.kid;
    }
    this.deps.onChange({ op: 'resume', kids: 'all', count: result.resumed });
    return result;
  }

  /** The change made, told once for all the kids or once per kid; `done`: the state that counts. */
  private tell<O extends { kid: string; state: string }>(
    op: 'pause' | 'resume',
    outcomes: O[],
    told: Told,
    done: O['state'],
  ): O[] {
    const count = (of: readonly O[]) => of.filter((o) => o.state === done).length;
    if (told === 'once') this.deps.onChange({ op, kids: outcomes.map((o) => o.kid), count: count(outcomes) });
    else for (const o of outcomes) this.deps.onChange({ op, kids: [o.kid], count: count([o]) });
    return outcomes;
  }

  /**
   * Tasks as read, resumed in one script; one changed since read (updated meanwhile) is read and
   * written alone. Kids whose data is not a valid task are left as they are, in `corrupt`.
   */
  private async resumeRows(
    store: TaskStore,
    rows: readonly { kid: string; raw: string | null }[],
    nowMs: number,
  ): Promise<{ outcomes: Map<string, ResumeOutcome>; corrupt: string[] }> {
    const outcomes = new Map<string, ResumeOutcome>();
    const corrupt: string[] = [];
    const items: Resume[] = [];
    for (const { kid, raw } of rows) {
      if (raw === null) outcomes.set(kid, { kid, state: 'missing' });
      else {
        try {
          items.push({ kid, expectedRaw: raw, task: resumedTask(decodeTask(kid, raw), nowMs) });
        } catch {
          corrupt.push(kid);
        }
      }
    }
    const statuses = items.length === 0 ? [] : await store.resume(items);
    for (const [i, status] of statuses.entries()) {
      const { kid, task } = items[i] as Resume;
      outcomes.set(
        kid,
        status === 'changed' ? await this.resumeOne(store, kid, nowMs) : resumeOutcome(kid, status, task),
      );
    }
    return { outcomes, corrupt };
  }

  /** Compare-and-set: a task updated between our read and write is read again. */
  private async resumeOne(store: TaskStore, kid: string, nowMs: number): Promise<ResumeOutcome> {
    for (let attempt = 0; attempt < RESUME_ATTEMPTS; attempt++) {
      const stored = await store.get(kid);
      if (!stored) return { kid, state: 'missing' };
      const task = resumedTask(stored.task, nowMs);
      // The script, not the JSON, says whether it is paused: the paused set is the truth.
      const [status] = await store.resume([{ kid, expectedRaw: stored.raw, task }]);
      if (status !== undefined && status !== 'changed') return resumeOutcome(kid, status, task);
    }
    throw new KtimerError('internal', `task ${kid} kept changing while it was resumed; try again`);
  }
}

async function rowsOf(
  store: TaskStore,
  kids: readonly string[],
): Promise<{ kid: string; raw: string | null }[]> {
  const raws = await store.rawTasks(kids);
  return kids.map((kid, i) => ({ kid, raw: raws[i] ?? null }));
}

function resumeOutcome(kid: string, status: PauseStatus, task: Task): ResumeOutcome {
  if (status === 'done') return { kid, state: 'resumed', task };
  return { kid, state: status === 'already' ? 'not_paused' : 'missing' };
}
