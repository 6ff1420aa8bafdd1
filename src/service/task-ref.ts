// The one way a KID argument becomes a kid, for every command and web action that takes one
// (get, update, del, next, history, output, and the commands to come): a kid as it is, or a
// task name looked up in the names hash (docs/tasks.md). History and output by name also find
// the task that last held a name and has left since (resolveHistoryKid); the commands acting on
// a live task do not.
import { KtimerError } from '../errors.js';
import type { TaskStore } from '../store/open-store.js';
import { parseTaskRef } from '../tasks/task-name.js';

export type NameLookup = Pick<TaskStore, 'kidsOfNames'>;
export type HistoryNameLookup = Pick<TaskStore, 'historyKidOfName'>;

/** The kid `ref` stands for; a kid costs no round trip, a name one. */
export async function resolveKid(ref: string, store: () => Promise<NameLookup>): Promise<string> {
  const parsed = parseTaskRef(ref);
  if ('kid' in parsed) return parsed.kid;
  const [kid] = await (await store()).kidsOfNames([parsed.name]);
  if (!kid) throw noSuchName(parsed.name);
  return kid;
}

/**
 * The kid whose run history `ref` stands for (history, output NAME:RUN): a kid as it is; a name
 * held by a task now, or else by the task that last held it and has left (fired, at its limit,
 * deleted, cleared) while its history is kept (history_max_age, docs/logs-and-history.md).
 */
export async function resolveHistoryKid(
  ref: string,
  store: () => Promise<HistoryNameLookup>,
): Promise<string> {
  const parsed = parseTaskRef(ref);
  if ('kid' in parsed) return parsed.kid;
  const kid = await (await store()).historyKidOfName(parsed.name);
  if (!kid) throw noSuchName(parsed.name);
  return kid;
}

/**
 * The kids of several refs (del), all checked before the round trip; a name no task holds is
 * left out, as a kid no task has removes nothing.
 */
export async function resolveKids(
  refs: readonly string[],
  store: () => Promise<NameLookup>,
): Promise<string[]> {
  const parsed = refs.map(parseTaskRef);
  const names = parsed.flatMap((p) => ('name' in p ? [p.name] : []));
  const named = names.length === 0 ? [] : await (await store()).kidsOfNames(names);
  const kids = parsed.flatMap((p) => ('kid' in p ? [p.kid] : []));
  return [...kids, ...named.filter((k): k is string => k !== null)];
}

/**
 * The kid of each ref, in order (pause, resume): a name no task holds stays as given, so the
 * caller reports it missing by the word the user typed.
 */
export async function resolveEach(
  refs: readonly string[],
  store: () => Promise<NameLookup>,
): Promise<string[]> {
  const parsed = refs.map(parseTaskRef);
  const names = parsed.flatMap((p) => ('name' in p ? [p.name] : []));
  const found = names.length === 0 ? [] : await (await store()).kidsOfNames(names);
  let next = 0;
  return parsed.map((p) => ('kid' in p ? p.kid : (found[next++] ?? p.name)));
}

export const noSuchName = (name: string): KtimerError =>
  new KtimerError(
    'not_found',
    `no task is named "${name}" (a task's name is freed when it ends, a timer's when it fires); see \`ktimer list\``,
  );

/** `add` without --replace meeting a name another task holds (`more`: other names of a file). */
export const nameTaken = (name: string, kid: string, more = 0): KtimerError =>
  new KtimerError(
    'exists',
    `name "${name}" is taken by task ${kid}${more > 0 ? ` (and ${more} more name(s) given are taken)` : ''}; ` +
      'give --replace (web API: replace=1) to replace that task, or another name',
  );

/** `update -name=` meeting a name another task holds. */
export const nameTakenForUpdate = (name: string, kid: string): KtimerError =>
  new KtimerError(
    'exists',
    `name "${name}" is taken by task ${kid}; give another name, or delete that task first`,
  );
