// Adding tasks, one or a file's worth, and `--replace`: a named task whose name is held already
// replaces the holder in place (docs/tasks.md): its kid, run count and history stay, and its
// runs stay too unless the type, time, cron expression or zone changed. Every write is one
// script; a replace is a compare-and-set, tried again when a daemon moved the task meanwhile.
import type { Config } from '../config/config.js';
import { KtimerError, usageError } from '../errors.js';
import type { NewTask, StoredTask, TaskStore } from '../store/open-store.js';
import { firstSchedule } from '../tasks/schedule.js';
import { decodeTask, encodeTask, type Task, type TaskSpec, type TaskWithKid } from '../tasks/task.js';
import { checkLimitAhead, reschedules, type TaskRules } from '../tasks/task-rules.js';
import { nameTaken } from './task-ref.js';

export interface AddOutcome {
  task: TaskWithKid;
  /** The name was held: that task was replaced (kept when it already was this one). */
  replaced: boolean;
}

export interface BulkOutcome {
  /** Each task's kid, in the order given (a replaced task's is the one it kept). */
  kids: string[];
  added: number;
  replaced: number;
}

export interface AddDeps {
  config: Config;
  rules: TaskRules;
  nowMs: () => Promise<number>;
  /** A task added (op add) or replaced (op update), for runed.log. */
  onChange: (op: 'add' | 'update', kid: string, task: Task) => void;
}

/** Tasks per add_many script: big enough to amortise the round trip, small enough not to stall Redis. */
export const BULK_BATCH = 1000;
const BULK_IN_FLIGHT = 4;
/** Replaces of a file sent at once (each is its own compare-and-set script). */
const REPLACE_IN_FLIGHT = 16;
export const WRITE_ATTEMPTS = 5;

/** checkUsersKnown, loaded only when a task names a user: a plain add starts without child_process. */
export async function checkUsers(users: Iterable<string | undefined>): Promise<void> {
  const named = [...users].filter((u) => u !== undefined);
  if (named.length > 0) await (await import('./user-check.js')).checkUsersKnown(named);
}

/**
 * A task with a new spec, its run count kept (fire ids KID:N never repeat), paused if it was.
 * Its runs stay, unless `fresh` gives new ones (a new type, time, cron expression or zone: from
 * now).
 */
export function changedTask(
  spec: TaskSpec,
  current: Task,
  fresh: Pick<Task, 'run_nexttime' | 'runs'> | null,
): Task {
  const { runs, parked, run_nexttime, run_num, run_lasttime, paused } = current;
  return fresh
    ? { ...spec, run_num, run_lasttime, ...fresh, paused }
    : { ...spec, run_num, run_lasttime, run_nexttime, runs, parked, paused };
}

/** A batch of a file refused: its first task's line, and why. */
interface Refused {
  start: number;
  why: string;
  nameTaken: boolean;
}

/** A file's kids (in its order) and counts, as its tasks are stored. */
class Tally implements BulkOutcome {
  added = 0;
  replaced = 0;
  constructor(readonly kids: string[]) {}

  count(index: number, outcome: AddOutcome): void {
    this.kids[index] = outcome.task.kid;
    if (outcome.replaced) this.replaced++;
    else this.added++;
  }
}

export class TaskAdder {
  constructor(private readonly deps: AddDeps) {}

  private newTask(spec: TaskSpec, nowMs: number): Task {
    return { ...spec, run_num: 0, run_lasttime: 0, ...firstSchedule(spec, this.deps.rules.maxDay, nowMs) };
  }

  /** What replacing `current` with `spec` stores; a limit it has reached already is refused. */
  private replacement(spec: TaskSpec, current: Task, nowMs: number): Task {
    checkLimitAhead(spec.type, spec.limit, current);
    const fresh = reschedules(spec, current) ? firstSchedule(spec, this.deps.rules.maxDay, nowMs) : null;
    return changedTask(spec, current, fresh);
  }

  async add(store: TaskStore, spec: TaskSpec, replace: boolean): Promise<AddOutcome> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const nowMs = await this.deps.nowMs();
      const kid = store.newKid(spec.name);
      const task = this.newTask(spec, nowMs);
      const res = await store.add(kid, task, this.deps.config.task.maxNum);
      if (res === 'added') {
        this.deps.onChange('add', kid, task);
        return { task: { kid, ...task }, replaced: false };
      }
      if (res === 'full') throw this.full();
      if (res === 'exists') throw new KtimerError('internal', `kid ${kid} exists already; try again`);
      if (!replace) throw nameTaken(spec.name ?? '', res.takenBy);
      const replaced = await this.replaceIn(store, res.takenBy, spec, nowMs);
      // Null: the holder was deleted or moved on meanwhile; the add is tried again.
      if (replaced) return { task: replaced, replaced: true };
    }
    throw new KtimerError(
      'internal',
      `the task named "${spec.name}" kept changing while it was added; try again`,
    );
  }

  /** Replaces the task `kid` (read now, unless `stored` is that read); null when it changed first. */
  private async replaceIn(
    store: TaskStore,
    kid: string,
    spec: TaskSpec,
    nowMs: number,
    stored?: StoredTask,
  ): Promise<TaskWithKid | null> {
    const current = stored ?? (await store.get(kid));
    if (!current) return null;
    const task = this.replacement(spec, current.task, nowMs);
    // The same task loaded again (a file applied twice) writes nothing: its runs go on as they were.
    if (encodeTask(task) === current.raw) return { kid, ...task };
    const res = await store.update(kid, current, task);
    if (res !== 'updated') return null;
    this.deps.onChange('update', kid, task);
    return { kid, ...task };
  }

  /**
   * A file's tasks. Names held already are found first: without `replace` that refuses the file
   * before anything is written; with it, those tasks are replaced one script each. The others go
   * in batches of BULK_BATCH, one script each, stored whole or not at all. A batch refused
   * (task_max_num) ends the run with an error saying how many were added before it.
   */
  async addSpecs(store: TaskStore, specs: readonly TaskSpec[], replace: boolean): Promise<BulkOutcome> {
    const names = specs.flatMap((s) => (s.name === undefined ? [] : [s.name]));
    // parseBulk says which lines; this guards any other caller (two tasks cannot share a name).
    if (new Set(names).size !== names.length)
      throw usageError('two tasks are given the same name; names are unique');
    const nowMs = await this.deps.nowMs();
    const held = await this.heldNames(store, specs);
    const first = held[0];
    if (first && !replace) throw nameTaken(specs[first.index]?.name ?? '', first.stored.kid, held.length - 1);
    const tally = new Tally(new Array<string>(specs.length));
    await this.replaceHeld(store, specs, held, nowMs, tally);
    const refused = await this.addFresh(store, specs, nowMs, replace, tally);
    if (refused.length > 0) throw this.refusal(refused, specs.length, tally);
    const { kids, added, replaced } = tally;
    return { kids, added, replaced };
  }

  /** The tasks whose names are held: each replaces its holder, one script each. */
  private async replaceHeld(
    store: TaskStore,
    specs: readonly TaskSpec[],
    held: readonly { index: number; stored: StoredTask & { kid: string } }[],
    nowMs: number,
    tally: Tally,
  ): Promise<void> {
    // Every replacement is computed before any write: one that is refused refuses the file.
    const plans = held.map((h) => ({
      ...h,
      spec: specs[h.index] as TaskSpec,
      task: this.replacement(specs[h.index] as TaskSpec, h.stored.task, nowMs),
    }));
    await inFlight(plans, REPLACE_IN_FLIGHT, async (plan) => {
      const done = await this.replaceIn(store, plan.stored.kid, plan.spec, nowMs, plan.stored);
      // Null: the task moved on since it was read (a daemon fired it); the one-task path reads again.
      tally.count(plan.index, done ? { task: done, replaced: true } : await this.add(store, plan.spec, true));
    });
  }

  /**
   * The other tasks, in batches of BULK_BATCH, each one script stored whole or not at all; the
   * batches refused (task_max_num, a name taken meanwhile without `replace`) are returned.
   */
  private async addFresh(
    store: TaskStore,
    specs: readonly TaskSpec[],
    nowMs: number,
    replace: boolean,
    tally: Tally,
  ): Promise<Refused[]> {
    const fresh = specs.flatMap((spec, index) => (tally.kids[index] === undefined ? [{ spec, index }] : []));
    const batches: { index: number; item: NewTask }[][] = [];
    for (let i = 0; i < fresh.length; i += BULK_BATCH) {
      batches.push(
        fresh.slice(i, i + BULK_BATCH).map(({ spec, index }) => ({
          index,
          item: { kid: store.newKid(spec.name), task: this.newTask(spec, nowMs) },
        })),
      );
    }
    const refused: Refused[] = [];
    await inFlight(batches, BULK_IN_FLIGHT, async (batch) => {
      const res = await store.addMany(
        batch.map((b) => b.item),
        this.deps.config.task.maxNum,
      );
      if (res === 'added') {
        for (const { index, item } of batch) {
          this.deps.onChange('add', item.kid, item.task);
          tally.count(index, { task: { kid: item.kid, ...item.task }, replaced: false });
        }
      } else if (Array.isArray(res) && replace) {
        // A name taken since it was looked up: this batch goes one task at a time instead.
        await inFlight(batch, REPLACE_IN_FLIGHT, async ({ index }) => {
          tally.count(index, await this.add(store, specs[index] as TaskSpec, true));
        });
      } else {
        const why = Array.isArray(res)
          ? `name "${batch[res[0]?.index ?? 0]?.item.task.name}" is taken by task ${res[0]?.takenBy}`
          : res === 'full'
            ? `they would pass task_max_num = ${this.deps.config.task.maxNum} (${this.deps.config.file})`
            : 'a generated kid exists already; try again';
        refused.push({ start: (batch[0]?.index ?? 0) + 1, why, nameTaken: Array.isArray(res) });
      }
    });
    return refused;
  }

  /** The error of a file whose batches were refused: how many were added, which batches were not. */
  private refusal(refused: Refused[], total: number, tally: Tally): KtimerError {
    refused.sort((a, b) => a.start - b.start);
    const [first] = refused as [Refused, ...Refused[]];
    const { added, replaced } = tally;
    const starts = refused.map((r) => `task ${r.start}`).join(', ');
    return new KtimerError(
      first.nameTaken ? 'exists' : 'limit',
      `${added + replaced} tasks added${replaced > 0 ? ` (${replaced} replaced)` : ''}, ${total - added - replaced} not: the batch of up to ${BULK_BATCH} starting at ${starts} was refused, ${first.why}`,
    );
  }

  /** The specs whose name a task holds now, with that task as stored. */
  private async heldNames(
    store: TaskStore,
    specs: readonly TaskSpec[],
  ): Promise<{ index: number; stored: StoredTask & { kid: string } }[]> {
    const named = specs.flatMap((spec, index) =>
      spec.name === undefined ? [] : [{ name: spec.name, index }],
    );
    const held: { index: number; stored: StoredTask & { kid: string } }[] = [];
    for (let i = 0; i < named.length; i += BULK_BATCH) {
      const chunk = named.slice(i, i + BULK_BATCH);
      const holders = await store.kidsOfNames(chunk.map((n) => n.name));
      const live = chunk.flatMap((n, j) => {
        const kid = holders[j];
        return kid ? [{ ...n, kid }] : [];
      });
      const raws = await store.rawTasks(live.map((l) => l.kid));
      live.forEach((l, j) => {
        const raw = raws[j];
        // A name whose task is gone is free: add_many takes it over.
        if (raw) held.push({ index: l.index, stored: { kid: l.kid, raw, task: decodeTask(l.kid, raw) } });
      });
    }
    return held;
  }

  private full(): KtimerError {
    const { maxNum } = this.deps.config.task;
    return new KtimerError(
      'limit',
      `the store holds task_max_num = ${maxNum} tasks already; delete some or raise task_max_num in ${this.deps.config.file}`,
    );
  }
}

/** Runs `fn` over `items`, at most `limit` at once (Redis runs one while the next is on its way). */
async function inFlight<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
