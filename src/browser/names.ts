// Task names by kid, for the live feed, the runs and the changes (which carry kids only): learnt
// from the task lists the page loads, else asked in batches (the names action, one request for
// the kids of a moment, answering for gone tasks too: no request that fails, no 404 in the
// console). A task gone (a timer that fired, one deleted) links to its history instead.
import { KID_FORM } from '../runs/ids.js';
import { call } from './api.js';
import type { TaskRow } from './types.js';

export interface TaskName {
  name: string | null;
  exists: boolean;
}

const known = new Map<string, Promise<TaskName>>();
let batch: { kids: string[]; settle: Map<string, (n: TaskName) => void> } | null = null;
const BATCH_MS = 50;
/** The names action's most kids a request (service/task-board.ts NAMES_MAX_KIDS). */
const BATCH_MAX = 200;

export function learnNames(tasks: readonly Pick<TaskRow, 'kid' | 'name'>[]): void {
  for (const t of tasks) known.set(t.kid, Promise.resolve({ name: t.name, exists: true }));
}

/** Forgets what is known of `kid` (it was deleted, or renamed). */
export const forgetName = (kid: string): boolean => known.delete(kid);

function send(): void {
  const mine = batch;
  batch = null;
  if (!mine) return;
  void call<Record<string, TaskName>>('names', { kids: mine.kids.join(',') }).then(
    (r) => {
      for (const [kid, settle] of mine.settle) settle(r.data[kid] ?? { name: null, exists: false });
    },
    () => {
      for (const [kid, settle] of mine.settle) {
        known.delete(kid);
        settle({ name: null, exists: true });
      }
    },
  );
}

export function nameOf(kid: string): Promise<TaskName> {
  let name = known.get(kid);
  if (!name) {
    if (!KID_FORM.test(kid)) return Promise.resolve({ name: null, exists: false });
    batch ??= { kids: [], settle: new Map() };
    const mine = batch;
    name = new Promise<TaskName>((resolve) => mine.settle.set(kid, resolve));
    mine.kids.push(kid);
    if (mine.kids.length === 1) window.setTimeout(send, BATCH_MS);
    if (mine.kids.length >= BATCH_MAX) send();
    known.set(kid, name);
  }
  return name;
}

/** Where a link to task `kid` goes: its page, or its history once it is gone. */
export const taskHref = (kid: string, exists: boolean): string =>
  exists ? `#/task/${encodeURIComponent(kid)}` : `#/history/${encodeURIComponent(kid)}`;
