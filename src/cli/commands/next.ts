// ktimer next KID [-n 10] [--from DATE] [--until DATE]: the next runs of a task, or those of a
// window far ahead (issue 25), local time and UTC.
import type { CliContext } from '../context.js';
import { nextTable } from '../format.js';
import { kidArgument } from './kid-argument.js';

export async function run(
  ctx: CliContext,
  words: string[],
  opts: { kid?: string; n?: string; from?: string; until?: string },
): Promise<void> {
  const kid = kidArgument(words, opts.kid);
  const next = await (await ctx.service()).next(kid, { n: opts.n, from: opts.from, until: opts.until });
  ctx.print(nextTable(next), next);
}
