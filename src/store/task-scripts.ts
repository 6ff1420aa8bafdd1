// Definitions of the scripts that change or page through tasks (lua/add.lua, add_many, update,
// del, clear, list): keys, arguments and checked replies. Times go in as unix seconds, the unit
// of the schedule's scores.
import { encodeTask, type Task } from '../tasks/task.js';
import { countReply, NONE, type Script, STATUS, statusReply, unexpectedReply } from './script.js';
import { HISTORY_ARGV, historyArgs, OUTPUT_KEYS, type HistoryRules } from './fire-scripts.js';

/** A new task as add and add_many write it (next_run_sec: its score). */
const TASK_ROW = {
  kid: 'string',
  task_json: 'string',
  next_run_sec: 'score',
  name: 'string',
  group: 'string',
} as const;
const taskRow = ({ kid, task }: NewTask) => ({
  kid,
  task_json: encodeTask(task),
  next_run_sec: task.run_nexttime,
  name: task.name ?? '',
  group: task.group ?? '',
});

export interface NewTask {
  kid: string;
  task: Task;
}

/** Where the scripts that write a task's group find its set of kids (StoreKeys.group). */
export interface GroupSets {
  groupPrefix: string;
}

/** The name is held by another task: its kid. */
export interface NameTaken {
  takenBy: string;
}

/** A kid as a script replies it (the holder of a name), or an unexpected reply. */
function holderReply(script: string, reply: unknown): NameTaken {
  if (typeof reply !== 'string' || reply === '') throw unexpectedReply(script, reply);
  return { takenBy: reply };
}

const ADD_ARGV = {
  fixed: { ...TASK_ROW, group_prefix: 'string', max_tasks: 'number' },
  each: NONE,
} as const;

export const ADD: Script<
  NewTask & GroupSets & { maxNum: number },
  'done' | 'full' | 'exists' | NameTaken,
  typeof ADD_ARGV
> = {
  name: 'add',
  keys: ['pool', 'schedule', 'names', 'placement'],
  argv: ADD_ARGV,
  encode: (t) => ({ fixed: { ...taskRow(t), group_prefix: t.groupPrefix, max_tasks: t.maxNum } }),
  decode: (reply) =>
    typeof reply === 'string'
      ? holderReply('add', reply)
      : statusReply('add', reply, ['done', 'full', 'exists']),
};

/** A task of a batch (its index, from 0) whose name another task holds. */
export interface BatchNameTaken extends NameTaken {
  index: number;
}

/**
 * A reply `{ i, kid, i, kid, ... }` (add_many, apply): the tasks of a batch (i from 1) whose
 * names those kids hold.
 */
export function batchNamesTaken(script: string, reply: unknown[]): BatchNameTaken[] {
  if (reply.length === 0 || reply.length % 2 !== 0) throw unexpectedReply(script, reply);
  const taken: BatchNameTaken[] = [];
  for (let i = 0; i < reply.length; i += 2)
    taken.push({ index: countReply(script, reply[i]) - 1, ...holderReply(script, reply[i + 1]) });
  return taken;
}

const ADD_MANY_ARGV = { fixed: { max_tasks: 'number', group_prefix: 'string' }, each: TASK_ROW } as const;

/** Replies the number added (the whole batch), or why nothing was. */
export const ADD_MANY: Script<
  GroupSets & { tasks: readonly NewTask[]; maxNum: number },
  number | 'full' | 'exists' | BatchNameTaken[],
  typeof ADD_MANY_ARGV
> = {
  name: 'add_many',
  keys: ['pool', 'schedule', 'names', 'placement'],
  argv: ADD_MANY_ARGV,
  encode: ({ tasks, maxNum, groupPrefix }) => ({
    fixed: { max_tasks: maxNum, group_prefix: groupPrefix },
    each: tasks.map(taskRow),
  }),
  decode: (reply) => {
    if (Array.isArray(reply)) return batchNamesTaken('add_many', reply);
    return reply === STATUS.full || reply === STATUS.exists
      ? statusReply('add_many', reply, ['full', 'exists'])
      : countReply('add_many', reply);
  },
};

const UPDATE_ARGV = {
  fixed: {
    kid: 'string',
    expected_json: 'string',
    task_json: 'string',
    next_run_sec: 'score',
    old_name: 'string',
    new_name: 'string',
    old_group: 'string',
    new_group: 'string',
    group_prefix: 'string',
  },
  each: NONE,
} as const;

export const UPDATE: Script<
  GroupSets & { kid: string; expectedRaw: string; old: Task; task: Task },
  'done' | 'missing' | 'changed' | NameTaken,
  typeof UPDATE_ARGV
> = {
  name: 'update',
  keys: ['pool', 'schedule', 'paused', 'names', 'placement'],
  argv: UPDATE_ARGV,
  encode: ({ kid, expectedRaw, old, task, groupPrefix }) => ({
    fixed: {
      kid,
      expected_json: expectedRaw,
      task_json: encodeTask(task),
      next_run_sec: task.run_nexttime,
      old_name: old.name ?? '',
      new_name: task.name ?? '',
      old_group: old.group ?? '',
      new_group: task.group ?? '',
      group_prefix: groupPrefix,
    },
  }),
  decode: (reply) =>
    typeof reply === 'string'
      ? holderReply('update', reply)
      : statusReply('update', reply, ['done', 'missing', 'changed']),
};

export interface Refill {
  kid: string;
  /** The task JSON as it was read: the write happens only if it is still that. */
  expectedRaw: string;
  task: Task;
  /** A parked task's runs not fired: put on record as one `missed` run with the write. */
  missed?: { policy: string; count: number; firstDueMs: number; lastDueMs: number };
}

/** Who refills, and when: the missed runs a refill puts on record are this daemon's, now. */
export interface RefillBy {
  owner: string;
  nowMs: number;
  history: HistoryRules;
}

/** A task written only if it still holds what was read (refill, resume): compare-and-set. */
export const SWAP_ARGV = {
  fixed: NONE,
  each: { kid: 'string', expected_json: 'string', task_json: 'string', next_run_sec: 'score' },
} as const;

export const swapOf = ({ kid, expectedRaw, task }: Refill) => ({
  kid,
  expected_json: expectedRaw,
  task_json: encodeTask(task),
  next_run_sec: task.run_nexttime,
});

const REFILL_ARGV = {
  fixed: { now_ms: 'number', owner: 'string', ...HISTORY_ARGV },
  each: {
    ...SWAP_ARGV.each,
    missed: 'number?',
    missed_first_ms: 'number?',
    missed_last_ms: 'number?',
    misfire: 'string?',
  },
} as const;

/** Replies how many of the tasks were written (the others changed meanwhile). */
export const REFILL: Script<{ items: readonly Refill[]; by: RefillBy }, number, typeof REFILL_ARGV> = {
  name: 'refill',
  keys: ['pool', 'schedule', 'runs', 'last', ...OUTPUT_KEYS, 'placement'],
  argv: REFILL_ARGV,
  encode: ({ items, by }) => ({
    fixed: { now_ms: by.nowMs, owner: by.owner, ...historyArgs(by.history) },
    each: items.map((item) => ({
      ...swapOf(item),
      missed: item.missed?.count ?? null,
      missed_first_ms: item.missed?.firstDueMs ?? null,
      missed_last_ms: item.missed?.lastDueMs ?? null,
      misfire: item.missed?.policy ?? null,
    })),
  }),
  decode: (reply) => countReply('refill', reply),
};

/**
 * What a task removed by del or clear leaves behind (lua/include/ended-name.lua), kept keepMs
 * (history_max_age, as its history): its name's record (namePrefix + name -> kid), for history
 * by name, and its kid's no-retry mark (noRetryPrefix + kid), so no run of it is retried.
 */
export interface LeftBehind {
  namePrefix: string;
  noRetryPrefix: string;
  keepMs: number;
}

/** What del needs besides: where a removed task's group keeps its kid. */
export type DelLeftBehind = LeftBehind & GroupSets;

/** What del did: tasks removed, and runs dropped that waited (a retry, a queued run). */
export interface Deleted {
  removed: number;
  /** A fired timer is no task any more, but its retry waiting for its time is dropped and counted. */
  dropped: number;
}

export const LEFT_BEHIND = {
  ended_name_prefix: 'string',
  keep_ms: 'number',
  no_retry_prefix: 'string',
} as const;
export const leftBehind = (left: LeftBehind) => ({
  ended_name_prefix: left.namePrefix,
  keep_ms: left.keepMs,
  no_retry_prefix: left.noRetryPrefix,
});
/** The keys of the scripts that remove tasks (del, clear, apply), in the order delete-task.lua's deletion_of reads. */
export const DELETE_KEYS = [
  'pool',
  'schedule',
  'last',
  'paused',
  'names',
  'queued',
  'retrying',
  'leases',
  'fires',
  'placement',
] as const;

const DEL_ARGV = { fixed: { ...LEFT_BEHIND, group_prefix: 'string' }, each: { kid: 'string' } } as const;

export const DEL: Script<{ kids: readonly string[]; left: DelLeftBehind }, Deleted, typeof DEL_ARGV> = {
  name: 'del',
  keys: DELETE_KEYS,
  argv: DEL_ARGV,
  encode: ({ kids, left }) => ({
    fixed: { ...leftBehind(left), group_prefix: left.groupPrefix },
    each: kids.map((kid) => ({ kid })),
  }),
  decode: (reply) => {
    if (!Array.isArray(reply) || reply.length !== 2) throw unexpectedReply('del', reply);
    return { removed: countReply('del', reply[0]), dropped: countReply('del', reply[1]) };
  },
};

const CLEAR_ARGV = { fixed: LEFT_BEHIND, each: NONE } as const;

export const CLEAR: Script<LeftBehind, number, typeof CLEAR_ARGV> = {
  name: 'clear',
  keys: DELETE_KEYS,
  argv: CLEAR_ARGV,
  encode: (left) => ({ fixed: leftBehind(left) }),
  decode: (reply) => countReply('clear', reply),
};

/** A row of the schedule a page starts after: its score as Redis wrote it, and its kid. */
export interface ListAfter {
  score: string;
  kid: string;
}

export interface ListWindow {
  /** Window ends, unix seconds; null = open. */
  fromSec: number | null;
  toSec: number | null;
  count: number;
  /** Rows of the window to skip; ignored when `after` is given. */
  offset: number;
  /** The page starts after this row (the last row of the page before). */
  after: ListAfter | null;
}

export interface ListRow extends ListAfter {
  /** null for a kid in the schedule whose hash entry is missing. */
  raw: string | null;
}

export interface ListPage {
  total: number;
  /** The first row's index in the window, from 0. */
  position: number;
  rows: ListRow[];
}

const LIST_ARGV = {
  fixed: {
    from_sec: 'score',
    to_sec: 'score',
    count: 'number',
    offset: 'number',
    after_score: 'string',
    after_kid: 'string',
  },
  each: NONE,
} as const;

export const LIST: Script<ListWindow, ListPage, typeof LIST_ARGV> = {
  name: 'list',
  keys: ['pool', 'schedule', 'paused', 'placement'],
  argv: LIST_ARGV,
  encode: ({ fromSec, toSec, count, offset, after }) => ({
    fixed: {
      from_sec: fromSec === null ? '-inf' : String(fromSec),
      to_sec: toSec === null ? '+inf' : String(toSec),
      count,
      offset,
      after_score: after?.score ?? '',
      after_kid: after?.kid ?? '',
    },
  }),
  decode: (reply) => {
    if (!Array.isArray(reply) || reply.length % 3 !== 2) throw unexpectedReply('list', reply);
    const values: unknown[] = reply;
    const rows: ListRow[] = [];
    for (let i = 2; i < values.length; i += 3) {
      const [kid, score, raw] = [values[i], values[i + 1], values[i + 2]];
      if (typeof kid !== 'string' || typeof score !== 'string' || (typeof raw !== 'string' && raw !== null))
        throw unexpectedReply('list', reply);
      rows.push({ kid, score, raw });
    }
    return { total: countReply('list', reply[0]), position: countReply('list', reply[1]), rows };
  },
};
