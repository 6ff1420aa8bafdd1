// ktimer next KID [-n 10]: the next runs of a task, local time and UTC.
import type { CliContext } from '../context.js';
import { nextTable } from '../format.js';
import { kidArgument } from './kid-argument.js';

export async function run(
  ctx: CliContext,
  words: string[],
  opts: { kid?: string; n?: string },
): Promise<void> {
  const kid = kidArgument(words, opts.kid);
  const next = await (await ctx.service()).next(kid, opts.n);
  ctx.print(nextTable(next), next);
}
