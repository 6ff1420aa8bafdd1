// Task ids: a version-4 UUID as 32 lowercase hex digits; the dashed form is accepted on input.
import { v4 as uuidv4 } from 'uuid';
import { usageError } from '../errors.js';
import { KID_DASHED_FORM as DASHED, KID_FORM as PLAIN } from '../runs/ids.js';

export const newKid = (): string => uuidv4().replace(/-/g, '');

/** Whether `input` has a kid's form (either spelling, any case): never a task name. */
export function isKid(input: string): boolean {
  const kid = input.trim().toLowerCase();
  return PLAIN.test(kid) || DASHED.test(kid);
}

/** The kid in its stored form, or a usage error. */
export function normalizeKid(input: string): string {
  const kid = input.trim().toLowerCase();
  if (PLAIN.test(kid)) return kid;
  if (DASHED.test(kid)) return kid.replace(/-/g, '');
  const shown = input.length > 60 ? `${input.slice(0, 60)}...` : input;
  throw usageError(`kid "${shown}" is invalid; expected 32 hex digits as printed by \`ktimer add\``);
}
