// What del, pause, resume and run print when they act on many tasks (issue 25 item 4): a line per
// target done on stdout, a line per target that failed on stderr, then how many; exit 1 when any
// failed (the others were done all the same). --json: every target's result.
import type { TargetResult } from '../service/targets.js';
import type { CliContext } from './context.js';

export interface TargetOptions {
  kid?: string;
  group?: string;
}

/** The targets typed: -kid=KID first, then the arguments. */
export const targetWords = (words: readonly string[], opts: TargetOptions): string[] =>
  opts.kid === undefined ? [...words] : [opts.kid, ...words];

/** One kid or name and no group: the command prints as it did before it took many. */
export const oneTarget = (words: readonly string[], opts: TargetOptions): boolean =>
  words.length === 1 && opts.group === undefined;

/** `n task` or `n tasks`. */
export const tasksWord = (n: number): string => `${n} task${n === 1 ? '' : 's'}`;

/**
 * Prints each target's line (`done` says what was done to it) and the summary (`summary` of the
 * targets done); failures on stderr, and exit 1 when there are any.
 */
export function printTargets<T>(
  ctx: CliContext,
  results: readonly TargetResult<T>[],
  done: (result: T) => string,
  summary: (done: readonly T[]) => string,
): void {
  const failed = results.filter((r) => !r.ok);
  for (const r of failed)
    process.stderr.write(`ktimer: error: ${r.target}: ${r.error?.message ?? 'failed'}\n`);
  const ok = results.flatMap((r) => (r.ok && r.result !== undefined ? [{ ...r, result: r.result }] : []));
  const lines = ok.map((r) => `${r.target}: ${done(r.result)}`);
  lines.push(`${summary(ok.map((r) => r.result))}${failed.length > 0 ? `; ${failed.length} failed` : ''}.`);
  if (failed.length > 0) ctx.exitCode = 1;
  ctx.print(lines.join('\n'), { result: failed.length === 0, targets: results });
}
