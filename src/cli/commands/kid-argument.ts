// The kid of get/del/update/next/history: `-kid=KID` or the first word, a kid or a task's name
// (resolved by TaskService.resolveKid; further words are stray, warned about by checkStray).
import { usageError } from '../../errors.js';
import { warnStray } from '../argv.js';

export function kidArgument(words: readonly string[], option: string | undefined): string {
  const [first] = words;
  const kid = option ?? first;
  if (option !== undefined && first !== undefined) warnStray([first]);
  if (kid === undefined || kid.trim() === '') {
    throw usageError('kid is missing; give the kid printed by `ktimer add` (ktimer get KID or -kid=KID)');
  }
  return kid;
}
