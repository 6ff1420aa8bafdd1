// The dashboard's tasks at a glance (issue 26): every task, filtered by state (failing, running,
// paused), type, group and search, each state with its count, sorted by a column and cut into
// numbered pages. Redis keeps no index of these, so the tasks are read by HSCAN in pages
// (TaskStore.scanAll: no one command holds Redis up) and the rest is done here, in the web
// thread; BOARD_MAX_TASKS bounds what one read takes (docs/dashboard.md says so). Reading 5,000
// tasks and their last runs takes tens of ms, so a read serves the requests after it for up to
// BOARD_FRESH_MS while nothing changed: the store's stamp (newest run and change on record, the
// task count; one round trip) is the same and no change was made through these services. The
// runs under way are read afresh for each request.
import { usageError } from '../errors.js';
import type { HistoryStore, RunningFire, RunSummary, TaskStore } from '../store/open-store.js';
import { KID_FORM } from '../runs/ids.js';
import { decodeTask, type TaskWithKid } from '../tasks/task.js';
import { parseWhole } from '../tasks/task-rules.js';
import { countParam } from './count-param.js';
import { searchText, taskFilter } from './list-search.js';
import { lastRunFields, type LastRunFields, withSchedule } from './task-service.js';

/** Tasks one request reads at most; past them, counts and filters say they are partial. */
export const BOARD_MAX_TASKS = 50_000;
export const BOARD_DEFAULT_SIZE = 20;
export const BOARD_MAX_SIZE = 100;
/** How long one read of every task serves the next requests at most, while nothing changed. */
export const BOARD_FRESH_MS = 2000;

export const BOARD_STATES = ['all', 'failing', 'running', 'paused'] as const;
export type BoardState = (typeof BOARD_STATES)[number];
export const BOARD_SORTS = ['next', 'name', 'last', 'type'] as const;
export type BoardSort = (typeof BOARD_SORTS)[number];

export interface BoardQuery {
  state?: string | undefined;
  type?: string | undefined;
  group?: string | undefined;
  search?: string | undefined;
  sort?: string | undefined;
  /** asc or desc. */
  order?: string | undefined;
  /** 1-based. */
  page?: string | undefined;
  size?: string | undefined;
}

/** A task's row: as get shows it, its group, its runs under way, and why its last run failed. */
export type BoardTask = ReturnType<typeof withSchedule> &
  LastRunFields & {
    running?: RunningFire[];
    /** A failed last run: its error (a TLS or connection error, a refused spawn) and whether it timed out. */
    last_error?: string;
    last_timed_out?: boolean;
  };

export interface Board {
  /** Per state, over the tasks the type, group and search leave. */
  counts: Record<BoardState, number>;
  /** Every group the tasks read have, sorted: the group filter's choices. */
  groups: string[];
  /** Tasks the filters leave, and the page of them shown. */
  total: number;
  page: number;
  pages: number;
  size: number;
  tasks: BoardTask[];
  /** False when there were more than BOARD_MAX_TASKS tasks: counts and filters cover those read. */
  complete: boolean;
  /** Tasks whose stored JSON is not a valid task (left out). */
  corrupt: number;
}

export interface TaskBoardDeps {
  tasks: () => Promise<TaskStore>;
  history: () => Promise<HistoryStore>;
  /** A monotonic clock, ms (tests drive it). */
  clockMs?: () => number;
}

/** Kids one names request may ask at most. */
export const NAMES_MAX_KIDS = 200;

interface Row {
  task: TaskWithKid;
  last: RunSummary | null;
  running: RunningFire[];
}

/** Every task read once, with its last run: what serves the requests while it is fresh. */
interface Snapshot {
  rows: readonly Omit<Row, 'running'>[];
  complete: boolean;
  corrupt: number;
  stamp: string;
  readAtMs: number;
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], dflt: T): T {
  if (value === undefined || value === '') return dflt;
  const found = allowed.find((a) => a === value);
  if (found === undefined)
    throw usageError(`${name} "${value.slice(0, 40)}" is invalid; expected ${allowed.join(', ')}`);
  return found;
}

const failing = (r: Row): boolean => r.last?.result === 'failed' || r.last?.result === 'lost';
const STATE_TEST: Record<BoardState, (r: Row) => boolean> = {
  all: () => true,
  failing,
  running: (r) => r.running.length > 0,
  paused: (r) => r.task.paused !== undefined,
};

const label = (r: Row): string => (r.task.name ?? r.task.kid).toLowerCase();
const SORT_KEY: Record<BoardSort, (a: Row, b: Row) => number> = {
  // Paused tasks have no next run: last.
  next: (a, b) => nextOf(a) - nextOf(b),
  name: (a, b) => (label(a) < label(b) ? -1 : label(a) > label(b) ? 1 : 0),
  // Latest first in ascending order, as "last run" reads; never run: last.
  last: (a, b) => (b.last?.started ?? -1) - (a.last?.started ?? -1),
  type: (a, b) => (a.task.type < b.task.type ? -1 : a.task.type > b.task.type ? 1 : 0),
};
const nextOf = (r: Row): number =>
  r.task.paused !== undefined ? Number.POSITIVE_INFINITY : r.task.run_nexttime;

export class TaskBoard {
  private snapshot: Snapshot | null = null;
  /** The read under way, which requests meanwhile share while the stamp is the same. */
  private reading: { stamp: string; snapshot: Promise<Snapshot> } | null = null;
  private readonly clockMs: () => number;

  constructor(private readonly deps: TaskBoardDeps) {
    this.clockMs = deps.clockMs ?? (() => performance.now());
  }

  /** A change was made (through these services): the next request reads every task again. */
  forget(): void {
    this.snapshot = null;
    // A read begun before the change is not kept (it is no longer this.reading).
    this.reading = null;
  }

  /**
   * Reads every task now, kept as any read is: a login calls it, as the list's first request
   * comes next. Never fails: that request reports what went wrong.
   */
  async warm(): Promise<void> {
    try {
      const tasks = await this.deps.tasks();
      await this.tasksAsOf(tasks, await tasks.boardStamp());
    } catch {
      // The list's own request reads again and says why.
    }
  }

  async page(q: BoardQuery): Promise<Board> {
    const state = oneOf('state', q.state, BOARD_STATES, 'all');
    const sort = oneOf('sort', q.sort, BOARD_SORTS, 'next');
    const order = oneOf('order', q.order, ['asc', 'desc'] as const, 'asc');
    const type =
      q.type === undefined || q.type === ''
        ? null
        : oneOf('type', q.type, ['timer', 'ticker', 'cron'] as const, 'timer');
    const size = countParam('size', q.size, BOARD_DEFAULT_SIZE, BOARD_MAX_SIZE);
    const page = q.page === undefined ? 1 : parseWhole('page', q.page, 1, 'a whole number from 1');
    const group = q.group === undefined || q.group === '' ? null : q.group;
    const keeps = taskFilter(searchText(q.search), group);

    const { rows, complete, corrupt } = await this.readRows();
    const base = rows.filter(
      (r) => (type === null || r.task.type === type) && (keeps === null || keeps(r.task)),
    );
    const counts = Object.fromEntries(
      BOARD_STATES.map((s) => [s, base.filter(STATE_TEST[s]).length]),
    ) as Record<BoardState, number>;
    const matching = base.filter(STATE_TEST[state]);
    const compare = SORT_KEY[sort];
    matching.sort(
      (a, b) => (order === 'asc' ? 1 : -1) * (compare(a, b) || (a.task.kid < b.task.kid ? -1 : 1)),
    );
    const pages = Math.max(1, Math.ceil(matching.length / size));
    const shown = matching.slice((page - 1) * size, page * size);
    const groups = [
      ...new Set(rows.flatMap((r) => (r.task.group === undefined ? [] : [r.task.group]))),
    ].sort();
    return {
      counts,
      groups,
      total: matching.length,
      page,
      pages,
      size,
      tasks: await this.withWhy(shown),
      complete,
      corrupt,
    };
  }

  /**
   * The name of each task asked (null: it has none), or that it is gone (a timer that fired, a
   * task deleted): the live feed and the runs name their tasks, and link a gone one to its
   * history, without a request that fails for each.
   */
  async names(kids: readonly string[]): Promise<Record<string, { name: string | null; exists: boolean }>> {
    if (kids.length > NAMES_MAX_KIDS)
      throw usageError(`too many kids (${kids.length}); at most ${NAMES_MAX_KIDS} at once`);
    const bad = kids.find((k) => !KID_FORM.test(k));
    if (bad !== undefined) throw usageError(`kid "${bad.slice(0, 40)}" is invalid; expected 32 hex digits`);
    const raws = await (await this.deps.tasks()).rawTasks(kids);
    return Object.fromEntries(
      kids.map((kid, i) => {
        const read = raws[i] == null ? null : readTask(kid, raws[i]);
        return [kid, { name: read?.task.name ?? null, exists: raws[i] != null }];
      }),
    );
  }

  /** Every task (BOARD_MAX_TASKS at most) with its group, last run and runs under way. */
  private async readRows(): Promise<{ rows: Row[]; complete: boolean; corrupt: number }> {
    const tasks = await this.deps.tasks();
    const [stamp, running] = await Promise.all([tasks.boardStamp(), (await this.deps.history()).running()]);
    const byKid = new Map<string, RunningFire[]>();
    for (const fire of running) {
      if (fire.state !== 'started' && fire.state !== 'leased') continue;
      byKid.set(fire.kid, [...(byKid.get(fire.kid) ?? []), fire]);
    }
    const { rows, complete, corrupt } = await this.tasksAsOf(tasks, stamp);
    return { rows: rows.map((r) => ({ ...r, running: byKid.get(r.task.kid) ?? [] })), complete, corrupt };
  }

  /** The snapshot if still fresh for `stamp`, else a new read (shared with requests meanwhile). */
  private async tasksAsOf(tasks: TaskStore, stamp: string): Promise<Snapshot> {
    const kept = this.snapshot;
    if (kept && kept.stamp === stamp && this.clockMs() - kept.readAtMs < BOARD_FRESH_MS) return kept;
    if (this.reading?.stamp === stamp) return this.reading.snapshot;
    const reading = { stamp, snapshot: readSnapshot(tasks, stamp, this.clockMs()) };
    this.reading = reading;
    // Kept only if it is still the latest read: not one begun before a change or a newer stamp.
    const done = (read: Snapshot | null) => {
      if (this.reading !== reading) return;
      this.reading = null;
      if (read) this.snapshot = read;
    };
    reading.snapshot.then(done, () => done(null));
    return reading.snapshot;
  }

  /** The page's rows as shown, a failed last run with its error and timeout from its record. */
  private async withWhy(rows: Row[]): Promise<BoardTask[]> {
    const history = await this.deps.history();
    return Promise.all(
      rows.map(async (r) => {
        const shown: BoardTask = { ...withSchedule(r.task), ...lastRunFields(r.last) };
        if (r.running.length > 0) shown.running = r.running;
        if (!failing(r)) return shown;
        const [record] = await history.ofTask(r.task.kid, 1);
        if (record?.fire_id === r.last?.fire_id) {
          if (record?.error !== undefined) shown.last_error = record.error;
          if (record?.timed_out === true) shown.last_timed_out = true;
        }
        return shown;
      }),
    );
  }
}

/** A stored task; null when it is not a valid task. */
function readTask(kid: string, raw: string): { task: TaskWithKid } | null {
  try {
    return { task: { kid, ...decodeTask(kid, raw) } };
  } catch {
    return null;
  }
}

/** Every task (BOARD_MAX_TASKS at most) with its group and last run, as of `stamp`. */
async function readSnapshot(tasks: TaskStore, stamp: string, readAtMs: number): Promise<Snapshot> {
  // Each page's last runs are asked as it comes, while the scan goes on.
  const lastsByPage: Promise<(RunSummary | null)[]>[] = [];
  const scan = await tasks.scanAll(BOARD_MAX_TASKS, (page) =>
    lastsByPage.push(tasks.lastRuns(page.map((r) => r.kid))),
  );
  const lasts = (await Promise.all(lastsByPage)).flat();
  const rows: { task: TaskWithKid; last: RunSummary | null }[] = [];
  let corrupt = 0;
  scan.rows.forEach(({ kid, raw }, i) => {
    const read = readTask(kid, raw);
    if (read) rows.push({ ...read, last: lasts[i] ?? null });
    else corrupt++;
  });
  return { rows, complete: scan.complete, corrupt, stamp, readAtMs };
}
