// Task names by kid, for the live feed and the runs (which carry kids only): learnt from the
// task lists the page loads, else asked once per kid. A task gone (a timer that fired) has none.
import { call } from './api.js';
import type { TaskRow } from './types.js';

const known = new Map<string, Promise<string | null>>();

export function learnNames(tasks: readonly TaskRow[]): void {
  for (const t of tasks) known.set(t.kid, Promise.resolve(t.name));
}

export function nameOf(kid: string): Promise<string | null> {
  let name = known.get(kid);
  if (!name) {
    name = call<TaskRow>('get', { kid }).then(
      (r) => r.data.name,
      () => null,
    );
    known.set(kid, name);
  }
  return name;
}
