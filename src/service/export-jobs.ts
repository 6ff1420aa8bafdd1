// `ktimer export [-group=G]` (issue 25): a group's tasks as an apply file that applies back to no
// change (jobs/export.ts). Without a group, the one group the store holds; with several, the
// user is asked to pick (a file holds one group).
import { KtimerError, usageError } from '../errors.js';
import { exportJobs, type Exported, type FileFormat } from '../jobs/export.js';
import type { TaskStore } from '../store/open-store.js';
import { parseGroup } from '../tasks/task-group.js';
import { decodeTask } from '../tasks/task.js';
import { groupTasks } from './group-read.js';

export const EXPORT_FORMATS = ['yaml', 'json'] as const;

export interface ExportResult extends Exported {
  group: string;
  /** How many tasks the file holds. */
  count: number;
}

/** export's input, checked before any round trip: a group (none: the store's one) and a format. */
export function exportInput(
  group: string | undefined,
  format: string | undefined,
): { group: string | null; format: FileFormat } {
  return {
    group: group === undefined || group === '' ? null : parseGroup(group),
    format: parseFormat(format),
  };
}

/** The apply file of `group` (null: the store's one group). */
export async function exportGroup(
  store: TaskStore,
  input: { group: string | null; format: FileFormat },
): Promise<ExportResult> {
  const { format } = input;
  const group = input.group ?? (await onlyGroup(store));
  const tasks = await groupTasks(store, group);
  const exported = exportJobs(tasks, group, format);
  return { ...exported, group, count: tasks.length - exported.skipped.length };
}

function parseFormat(value: string | undefined): FileFormat {
  if (value === undefined || value === '') return 'yaml';
  const format = EXPORT_FORMATS.find((f) => f === value.toLowerCase());
  if (!format) throw usageError(`format "${value.slice(0, 20)}" is unknown; expected yaml or json`);
  return format;
}

/** The one group of the store's tasks (a scan of every task: export without -group only). */
async function onlyGroup(store: TaskStore): Promise<string> {
  const groups = new Set<string>();
  let cursor = '0';
  do {
    const step = await store.scanTasks(cursor, 1000);
    cursor = step.cursor;
    for (const { kid, raw } of step.rows) {
      // A quick look first: most tasks of a large store have no group.
      if (!raw.includes('"group":')) continue;
      try {
        const { group } = decodeTask(kid, raw);
        if (group !== undefined) groups.add(group);
      } catch {
        // Corrupt data: no group to tell.
      }
    }
  } while (cursor !== '0');
  const [only, ...others] = [...groups].sort();
  if (only === undefined)
    throw new KtimerError(
      'not_found',
      'no task has a group, and a file holds one group; `ktimer apply` a file first, or give tasks one with `ktimer update KID -group=G`',
    );
  if (others.length > 0)
    throw usageError(
      `the tasks are of ${groups.size} groups (${[only, ...others].join(', ')}); give -group=G, one file each`,
    );
  return only;
}
