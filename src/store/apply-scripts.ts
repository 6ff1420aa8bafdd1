// The definition of lua/apply.lua: one batch of `ktimer apply` (issue 25), written whole by the
// holder of its group's lock. Rows add, change (compare-and-set on the JSON read), remove (as
// del does) or forget (a stale entry of the group's set).
import { encodeTask, type Task } from '../tasks/task.js';
import { countReply, type Script, statusReply, unexpectedReply } from './script.js';
import {
  batchNamesTaken,
  type BatchNameTaken,
  DELETE_KEYS,
  LEFT_BEHIND,
  leftBehind,
  type DelLeftBehind,
} from './task-scripts.js';

export type ApplyRow =
  | { op: 'add'; kid: string; task: Task & { name: string } }
  | { op: 'change'; kid: string; task: Task; expectedRaw: string }
  | { op: 'remove' | 'forget'; kid: string };

/** Per row: written; its task is gone; it changed since read (change) or left the group (remove). */
export type RowStatus = 'done' | 'missing' | 'changed';

export interface ApplyBatch {
  group: string;
  token: string;
  lockPrefix: string;
  lockMs: number;
  /** The last batch: the lock is let go after it. */
  release: boolean;
  maxNum: number;
  left: DelLeftBehind;
  rows: readonly ApplyRow[];
}

export type ApplyReply =
  /** `us`: how long the batch held Redis, microseconds. */
  | { written: true; statuses: RowStatus[]; dropped: number[]; us: number }
  | { written: false; why: 'unlocked' | 'exists' | 'full' }
  | { written: false; why: 'taken'; taken: BatchNameTaken[] };

const APPLY_ARGV = {
  fixed: {
    group: 'string',
    token: 'string',
    lock_prefix: 'string',
    lock_ms: 'number',
    release: 'flag',
    max_tasks: 'number',
    group_prefix: 'string',
    ...LEFT_BEHIND,
  },
  each: {
    op: 'string',
    kid: 'string',
    task_json: 'string?',
    next_run_sec: 'score',
    name: 'string?',
    expected_json: 'string?',
  },
} as const;

const rowArgs = (row: ApplyRow) => {
  const task = row.op === 'add' || row.op === 'change' ? row.task : null;
  return {
    op: row.op,
    kid: row.kid,
    task_json: task && encodeTask(task),
    next_run_sec: task?.run_nexttime ?? '',
    name: row.op === 'add' ? row.task.name : null,
    expected_json: row.op === 'change' ? row.expectedRaw : null,
  };
};

const ROW_STATUSES = ['done', 'missing', 'changed'] as const;

export const APPLY: Script<ApplyBatch, ApplyReply, typeof APPLY_ARGV> = {
  name: 'apply',
  keys: DELETE_KEYS,
  argv: APPLY_ARGV,
  encode: (b) => ({
    fixed: {
      group: b.group,
      token: b.token,
      lock_prefix: b.lockPrefix,
      lock_ms: b.lockMs,
      release: b.release,
      max_tasks: b.maxNum,
      group_prefix: b.left.groupPrefix,
      ...leftBehind(b.left),
    },
    each: b.rows.map(rowArgs),
  }),
  decode: (reply) => {
    if (typeof reply === 'number') {
      const why = statusReply('apply', reply, ['unlocked', 'exists', 'full']);
      return { written: false, why };
    }
    if (!Array.isArray(reply)) throw unexpectedReply('apply', reply);
    const [statuses, dropped, us] = reply as unknown[];
    if (reply.length === 3 && Array.isArray(statuses) && Array.isArray(dropped))
      return {
        written: true,
        statuses: statuses.map((s) => statusReply('apply', s, ROW_STATUSES)),
        dropped: dropped.map((n) => countReply('apply', n)),
        us: countReply('apply', us),
      };
    return { written: false, why: 'taken', taken: batchNamesTaken('apply', reply) };
  },
};
