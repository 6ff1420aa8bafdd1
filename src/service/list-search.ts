// `list` with `search` (the dashboard's search box) or `group`: the tasks of the window whose kid,
// name or command holds the text, case-insensitively, and of that group. Redis keeps no index of names or commands, so the
// window is read in pages by cursor and filtered here, never in a script: one page costs Redis
// what a plain page does, and a search never holds up the claims of a fleet.
import { usageError } from '../errors.js';
import type { ListAfter, ListPage, ListWindow } from '../store/open-store.js';
import type { TaskWithKid } from '../tasks/task.js';

/** Rows read for one search page at most: its `next` cursor goes on from there. */
export const SEARCH_MAX_SCANNED = 20_000;
const SCAN_PAGE = 1000;
export const SEARCH_MAX_CHARS = 200;

export function searchText(value: string | undefined): string | null {
  if (value === undefined || value.trim() === '') return null;
  if (value.length > SEARCH_MAX_CHARS)
    throw usageError(`search is ${value.length} characters long; at most ${SEARCH_MAX_CHARS}`);
  return value.trim().toLowerCase();
}

/**
 * Which tasks a filtered list keeps: those holding `text` in their kid, name or command (any
 * case), and of `group` (exactly); null when nothing filters.
 */
export function taskFilter(
  text: string | null,
  group: string | null,
): ((task: TaskWithKid) => boolean) | null {
  if (text === null && group === null) return null;
  return (task) =>
    (group === null || task.group === group) &&
    (text === null ||
      task.kid.includes(text) ||
      (task.name?.toLowerCase().includes(text) ?? false) ||
      task.command.toLowerCase().includes(text));
}

export interface SearchPage {
  total: number;
  /** The index in the window of the first row read. */
  position: number;
  tasks: TaskWithKid[];
  corrupt: string[];
  /** The last row read, when rows of the window remain after it. */
  resumeAfter: ListAfter | null;
}

/** Up to `count` matching tasks, reading the window from `after` on. */
export async function searchWindow(
  read: (window: ListWindow) => Promise<ListPage>,
  decode: (kid: string, raw: string | null) => TaskWithKid | null,
  window: { fromSec: number | null; toSec: number | null; after: ListAfter | null; count: number },
  keeps: (task: TaskWithKid) => boolean,
): Promise<SearchPage> {
  const out: SearchPage = { total: 0, position: 0, tasks: [], corrupt: [], resumeAfter: null };
  let after = window.after;
  for (let scanned = 0; scanned < SEARCH_MAX_SCANNED;) {
    const page = await read({
      fromSec: window.fromSec,
      toSec: window.toSec,
      count: SCAN_PAGE,
      offset: 0,
      after,
    });
    if (scanned === 0) out.position = page.position;
    out.total = page.total;
    let taken = 0;
    for (const row of page.rows) {
      taken++;
      const task = decode(row.kid, row.raw);
      if (!task) out.corrupt.push(row.kid);
      else if (keeps(task)) out.tasks.push(task);
      if (out.tasks.length === window.count) break;
    }
    scanned += taken;
    const last = page.rows[taken - 1];
    if (last === undefined || page.position + taken >= page.total) return out;
    after = { score: last.score, kid: last.kid };
    out.resumeAfter = after;
    if (out.tasks.length === window.count) return out;
  }
  return out;
}
