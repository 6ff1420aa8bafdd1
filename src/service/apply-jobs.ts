// `ktimer apply FILE` (issue 25, docs/apply.md): a file's group made to match the file. The plan
// (jobs/plan.ts) is made over the group's tasks as stored; a dry run, or a plan with nothing to
// do, writes nothing at all. Otherwise the apply takes its group's lock (a second apply of the
// group meanwhile is refused: two files never mix), plans again under it, and writes in batches
// (lua/apply.lua), each whole or not at all: first the tasks to add and change, then the
// removals. A crash between batches leaves whole tasks, some of the file's and some as they
// were; applying the file again plans exactly what is left.
import { randomUUID } from 'node:crypto';
import { KtimerError } from '../errors.js';
import { parseApplyFile } from '../jobs/apply-file.js';
import type { Declaration } from '../jobs/job.js';
import { makePlan, planRefusal, type Plan, type PlannedChange } from '../jobs/plan.js';
import type { ApplyBatchRows, ApplyReply, ApplyRow, TaskStore } from '../store/open-store.js';
import { firstSchedule } from '../tasks/schedule.js';
import type { Task } from '../tasks/task.js';
import type { TaskRules } from '../tasks/task-rules.js';
import { changedTask, checkUsers, WRITE_ATTEMPTS } from './add-tasks.js';
import { BatchPacer, type PacerOptions } from './batch-pacer.js';
import { readGroup, type GroupState } from './group-read.js';
import type { TaskChange, TaskServiceDeps } from './task-service.js';

/**
 * Each batch is one script, sized by how long the batches before it took (batch-pacer.ts) to hold
 * Redis about 2 ms: a daemon's claim queued behind it stays on time (1 ms cost the first apply
 * 15% of its speed for no lateness measured better; section 9). Batches of a fixed
 * 200 tasks (~7 ms each, two queued, and the change log's ~5 ms calls beside them) put a
 * daemon's lateness p99 at 2-3x its own during a 10,000-task apply (bench/RESULTS.md section 9).
 */
export const APPLY_PACE: PacerOptions = { targetMs: 2, first: 100, min: 10, max: 500 };
/** Batches sent at once: Redis runs one while the next is made and sent, and the one before told. */
const BATCHES_IN_FLIGHT = 2;
/** The group's lock lasts this long after each batch: a crashed apply holds it no longer. */
export const APPLY_LOCK_MS = 30_000;

export interface ApplyOptions {
  dryRun?: boolean;
  prune?: boolean;
}

export interface ApplyOutcome {
  plan: Plan;
  /** Whether anything was written: not for a dry run, nor for a plan with nothing to do. */
  applied: boolean;
}

export type ApplyDeps = Pick<TaskServiceDeps, 'config' | 'store' | 'nowMs' | 'onChange'> & {
  rules: TaskRules;
};

/** A row written, told to runed.log as the command doing the same would tell it. */
type Written = { row: ApplyRow; dropped: number };

export const nothingToDo = (plan: Plan): boolean =>
  plan.add.length === 0 && plan.change.length === 0 && plan.remove.length === 0;

export class JobApplier {
  constructor(private readonly deps: ApplyDeps) {}

  /** Applies an apply file's text; `source` names it in messages (its path, or stdin). */
  async apply(text: string, source: string, options: ApplyOptions = {}): Promise<ApplyOutcome> {
    const declaration = parseApplyFile(text, source, this.deps.rules);
    await checkUsers(declaration.jobs.map((j) => j.spec.user));
    const store = await this.deps.store();
    const prune = options.prune === true;
    const first = await this.planOver(store, declaration, prune, source);
    if (options.dryRun === true || nothingToDo(first.plan)) return { plan: first.plan, applied: false };
    const { group } = declaration;
    const token = randomUUID();
    if (!(await store.lockApply(group, token, APPLY_LOCK_MS)))
      throw new KtimerError(
        'busy',
        `another apply of group ${group} is under way; nothing was changed: apply again once it has ended (its lock lasts ${APPLY_LOCK_MS / 1000} s after its last write)`,
      );
    const writer = new BatchWriter(store, group, token, this.deps);
    try {
      // What another command changed between the first read and the lock is planned here.
      const { plan, state } = await this.planOver(store, declaration, prune, source);
      if (nothingToDo(plan)) return { plan, applied: false };
      await this.checkRoom(store, plan);
      await this.write(writer, declaration, plan, state, source);
      return { plan, applied: true };
    } finally {
      await writer.release();
    }
  }

  private async planOver(
    store: TaskStore,
    declaration: Declaration,
    prune: boolean,
    source: string,
  ): Promise<{ plan: Plan; state: GroupState }> {
    const names = declaration.jobs.map((j) => j.name);
    const state = await readGroup(store, declaration.group, names);
    const plan = makePlan(declaration, state.jobs, prune);
    const refused = planRefusal(plan, source);
    if (refused) throw refused;
    return { plan, state };
  }

  /** task_max_num, for the whole file at once: a file that cannot fit writes nothing. */
  private async checkRoom(store: TaskStore, plan: Plan): Promise<void> {
    const { maxNum } = this.deps.config.task;
    const after = (await store.count()) + plan.add.length - plan.remove.length;
    if (plan.add.length > plan.remove.length && after > maxNum)
      throw new KtimerError(
        'limit',
        `applying this file would make ${after} tasks, past task_max_num = ${maxNum} (${this.deps.config.file}); nothing was changed: delete some tasks or raise task_max_num`,
      );
  }

  /**
   * Adds and changes, then removals (and stale set entries). A change whose task moved on since
   * it was read (a daemon fired it) is planned again from what is stored then, a few times.
   */
  private async write(
    writer: BatchWriter,
    declaration: Declaration,
    plan: Plan,
    state: GroupState,
    source: string,
  ): Promise<void> {
    const total = plan.add.length + plan.change.length + plan.remove.length;
    let { plan: current, state: read } = { plan, state };
    for (let attempt = 0; ; attempt++) {
      const nowMs = await this.deps.nowMs();
      const again = await writer.write(
        planRows(current, read, nowMs, this.deps.rules, (name) => writer.store.newKid(name)),
        total,
      );
      if (again.length === 0) break;
      if (attempt >= WRITE_ATTEMPTS)
        throw writer.stopped(`tasks ${again.slice(0, 5).join(', ')} kept changing while they were written`);
      const names = new Set(again);
      const retry: Declaration = {
        group: declaration.group,
        jobs: declaration.jobs.filter((j) => names.has(j.name)),
      };
      ({ plan: current, state: read } = await this.planOver(writer.store, retry, false, source));
    }
    const removals = [
      ...plan.remove.map((r): ApplyRow => ({ op: 'remove', kid: r.kid })),
      ...state.stale.map((kid): ApplyRow => ({ op: 'forget', kid })),
    ];
    await writer.write({ count: removals.length, rowAt: (i) => removals[i] as ApplyRow }, total);
  }
}

/** Rows to write, each made when its batch is (none is kept after). */
interface Rows {
  count: number;
  rowAt: (i: number) => ApplyRow;
}

/**
 * The rows of a plan's adds and changes (new tasks from now, changed ones keeping their runs),
 * each made when its batch is: one batch is made while Redis writes the one before.
 */
function planRows(
  plan: Plan,
  state: GroupState,
  nowMs: number,
  rules: TaskRules,
  kidFor: (name: string) => string,
): Rows {
  const { group } = plan;
  const added = plan.add.length;
  const rowAt = (i: number): ApplyRow => {
    const job = plan.add[i];
    if (job) {
      const task = {
        ...job.spec,
        group,
        run_num: 0,
        run_lasttime: 0,
        ...firstSchedule(job.spec, rules.maxDay, nowMs),
      };
      return { op: 'add', kid: kidFor(job.spec.name), task };
    }
    const c = plan.change[i - added] as PlannedChange;
    const spec = { ...c.spec, group };
    const task: Task = changedTask(
      spec,
      c.current,
      c.reschedule ? firstSchedule(spec, rules.maxDay, nowMs) : null,
    );
    return { op: 'change', kid: c.kid, task, expectedRaw: state.raws.get(c.kid) ?? '' };
  };
  return { count: added + plan.change.length, rowAt };
}

/** Writes an apply's rows in batches under its group's lock, and tells each change. */
class BatchWriter {
  /** Tasks written so far (the message of an apply stopped midway says how many). */
  private written = 0;
  private readonly pacer = new BatchPacer(APPLY_PACE);

  constructor(
    readonly store: TaskStore,
    private readonly group: string,
    private readonly token: string,
    private readonly deps: Pick<ApplyDeps, 'config' | 'onChange'>,
  ) {}

  /** Writes the batches; returns the names of the tasks changed since they were read, to plan again. */
  async write({ count, rowAt }: Rows, total: number): Promise<string[]> {
    const again: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) {
        const from = next;
        next = Math.min(count, from + this.pacer.size());
        const rows: ApplyRow[] = [];
        for (let i = from; i < next; i++) rows.push(rowAt(i));
        const reply = await this.store.applyBatch(this.batch(rows, false));
        if (reply.written) this.pacer.took(rows.length, reply.us / 1000);
        again.push(...this.outcome(rows, reply, total));
      }
    };
    await Promise.all(Array.from({ length: Math.min(BATCHES_IN_FLIGHT, count) }, worker));
    return again;
  }

  private batch(rows: readonly ApplyRow[], release: boolean): ApplyBatchRows {
    const { group, token } = this;
    return { group, token, lockMs: APPLY_LOCK_MS, release, maxNum: this.deps.config.task.maxNum, rows };
  }

  /** What a batch did: each row written told, those to write again named; or why nothing was. */
  private outcome(rows: readonly ApplyRow[], reply: ApplyReply, total: number): string[] {
    if (!reply.written) throw this.refused(rows, reply, total);
    const again: string[] = [];
    rows.forEach((row, i) => {
      const status = reply.statuses[i];
      if (status === 'done') {
        this.tell({ row, dropped: reply.dropped[i] ?? 0 });
        if (row.op !== 'forget') this.written++;
      } else if (row.op === 'change') {
        // Changed since read (a daemon fired it), or deleted meanwhile: planned again.
        again.push(row.task.name ?? row.kid);
      }
    });
    return again;
  }

  private tell({ row, dropped }: Written): void {
    const change: TaskChange | null =
      row.op === 'add'
        ? { op: 'add', kid: row.kid, task: row.task }
        : row.op === 'change'
          ? { op: 'update', kid: row.kid, task: row.task }
          : row.op === 'remove'
            ? { op: 'del', kids: [row.kid], removed: 1, dropped }
            : null;
    if (change) this.deps.onChange(change);
  }

  private refused(rows: readonly ApplyRow[], reply: Exclude<ApplyReply, { written: true }>, total: number) {
    if (reply.why === 'taken') {
      const [first] = reply.taken;
      const row = rows[first?.index ?? 0];
      const name = row?.op === 'add' ? row.task.name : '?';
      return this.stopped(`the name ${name} was taken by task ${first?.takenBy} meanwhile`, 'exists', total);
    }
    if (reply.why === 'full')
      return this.stopped(`the store reached task_max_num = ${this.deps.config.task.maxNum}`, 'limit', total);
    if (reply.why === 'unlocked')
      return this.stopped(
        `its lock on group ${this.group} ran out (no write for ${APPLY_LOCK_MS / 1000} s)`,
        'busy',
        total,
      );
    return this.stopped('a new kid exists already', 'internal', total);
  }

  /** The error of an apply that stopped midway: what is written stays, a re-apply completes it. */
  stopped(
    why: string,
    code: 'exists' | 'limit' | 'busy' | 'internal' = 'internal',
    total?: number,
  ): KtimerError {
    const of = total === undefined ? '' : ` of ${total}`;
    return new KtimerError(
      code,
      `the apply of group ${this.group} stopped: ${why}; ${this.written}${of} tasks were written (each batch whole): apply the file again to complete it`,
    );
  }

  /** Lets the group's lock go (an empty batch that releases it), unless it ran out already. */
  async release(): Promise<void> {
    await this.store.applyBatch(this.batch([], true)).catch(() => undefined);
  }
}
