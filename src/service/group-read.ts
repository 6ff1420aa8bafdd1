// A group's tasks as stored (issue 25): what apply plans over, export prints and the commands on
// many tasks (`-group=G`) act on. The group's set of kids (StoreKeys.group) holds every task of
// the group, and perhaps some that left it: each task read is checked for its group.
import type { TaskStore } from '../store/open-store.js';
import type { StoredJob } from '../jobs/job.js';
import { decodeTask } from '../tasks/task.js';

/** HMGET at most this many fields at once: 5,000 tasks held Redis ~1.2 ms, 1,000 ~0.35 ms. */
const READ_CHUNK = 1000;

export interface GroupState {
  /** The group's tasks, and the tasks holding the names asked for (of any group, or none). */
  jobs: StoredJob[];
  /** Each task's JSON as read, by kid: what a change compares against. */
  raws: Map<string, string>;
  /** Kids in the group's set whose task is gone or of another group. */
  stale: string[];
}

type Reader = Pick<TaskStore, 'groupKids' | 'kidsOfNames' | 'rawTasks'>;

/** The tasks of `group`, and those holding `names` (an apply file's), read at once. */
export async function readGroup(
  store: Reader,
  group: string,
  names: readonly string[] = [],
): Promise<GroupState> {
  const [members, holders] = await Promise.all([
    store.groupKids(group),
    chunked(names, (n) => store.kidsOfNames(n)),
  ]);
  const inSet = new Set(members);
  const kids = [...new Set([...members, ...holders.filter((k): k is string => k !== null)])];
  const raws = await chunked(kids, (k) => store.rawTasks(k));
  const state: GroupState = { jobs: [], raws: new Map(), stale: [] };
  kids.forEach((kid, i) => {
    const raw = raws[i] ?? null;
    const task = raw === null ? null : decodeOrNull(kid, raw);
    // Gone, corrupt (del removes it), or moved to another group: it has left the group's set.
    if (inSet.has(kid) && task?.group !== group) state.stale.push(kid);
    if (task === null || raw === null) return;
    state.jobs.push({ kid, ...task });
    state.raws.set(kid, raw);
  });
  return state;
}

/** The group's tasks only, in the set's order (the commands on many tasks, export). */
export async function groupTasks(store: Reader, group: string): Promise<StoredJob[]> {
  const { jobs } = await readGroup(store, group);
  return jobs.filter((j) => j.group === group);
}

function decodeOrNull(kid: string, raw: string): ReturnType<typeof decodeTask> | null {
  try {
    return decodeTask(kid, raw);
  } catch {
    return null;
  }
}

/** `read` over `items` a chunk at a time, the answers in order. */
async function chunked<T, R>(items: readonly T[], read: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += READ_CHUNK)
    out.push(...(await read(items.slice(i, i + READ_CHUNK))));
  return out;
}
