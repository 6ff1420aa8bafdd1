// Task groups (issue 25): the tasks one apply file declares. A group is what `apply --prune` may
// remove and what `list -group=G` and the commands on many tasks select, so it is written as a
// name is: a letter, then letters, digits, . _ or -.
import { usageError } from '../errors.js';
import { oneLine } from '../text.js';
import { isTaskName, MAX_NAME_CHARS } from './task-name.js';

export const GROUP_RULE = `a letter, then letters, digits, . _ or - (at most ${MAX_NAME_CHARS} characters)`;

export function parseGroup(value: string): string {
  if (!isTaskName(value))
    throw usageError(`group "${oneLine(value, 60)}" is invalid; expected ${GROUP_RULE}`);
  return value;
}
