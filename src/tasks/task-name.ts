// Task names (docs/tasks.md): a unique label that any command or web action takes in place of
// a kid. The syntax keeps the two apart: a name starts with a letter, has no `:` (so `NAME:3`
// reads as a fire id) and is never in a kid's form (32 hex digits, or the dashed UUID).
import { usageError } from '../errors.js';
import { oneLine } from '../text.js';
import { isKid, normalizeKid } from './kid.js';

export const MAX_NAME_CHARS = 64;
const NAME = /^[A-Za-z][A-Za-z0-9._-]*$/;

export const NAME_RULE = `a letter, then letters, digits, . _ or - (at most ${MAX_NAME_CHARS} characters)`;

export const isTaskName = (value: string): boolean =>
  value.length <= MAX_NAME_CHARS && NAME.test(value) && !isKid(value);

/** A name as given to -name, checked. */
export function parseName(value: string): string {
  if (value === '') throw usageError(`name is empty; expected ${NAME_RULE}`);
  if (isKid(value.trim()))
    throw usageError(`name "${clip(value)}" has the form of a kid; a name must not be 32 hex digits`);
  if (!isTaskName(value)) throw usageError(`name "${clip(value)}" is invalid; expected ${NAME_RULE}`);
  return value;
}

/** What a KID argument names: a kid (normalized), or a name to look up. */
export type TaskRef = { kid: string } | { name: string };

export function parseTaskRef(input: string): TaskRef {
  const value = input.trim();
  if (isKid(value)) return { kid: normalizeKid(value) };
  if (isTaskName(value)) return { name: value };
  throw usageError(
    `kid "${clip(input)}" is invalid; expected 32 hex digits as printed by \`ktimer add\`, or a task name (${NAME_RULE})`,
  );
}

const clip = (value: string): string => oneLine(value, 60);
