// A count a request may give (a page's size, how many changes): a whole number from 1 to a
// bound, or the default when it gives none; a value past the bound is refused, not cut.
import { usageError } from '../errors.js';
import { parseWhole } from '../tasks/task-rules.js';

export function countParam(name: string, value: string | undefined, dflt: number, max: number): number {
  if (value === undefined) return dflt;
  const expected = `a whole number from 1 to ${max}`;
  const count = parseWhole(name, value, 1, expected);
  if (count > max) throw usageError(`${name} ${count} is invalid; expected ${expected}`);
  return count;
}
