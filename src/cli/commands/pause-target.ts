// What pause and resume act on: one kid (the first word or -kid=KID), or every task (--all).
import { usageError } from '../../errors.js';
import { kidArgument } from './kid-argument.js';

export function pauseTarget(
  command: 'pause' | 'resume',
  words: readonly string[],
  opts: { kid?: string; all?: boolean },
): string /* a kid, or 'all' */ {
  if (opts.all !== true) return kidArgument(words, opts.kid);
  if (opts.kid !== undefined || words.length > 0)
    throw usageError(`give a kid or --all, not both (ktimer ${command} KID, or ktimer ${command} --all)`);
  return 'all';
}
