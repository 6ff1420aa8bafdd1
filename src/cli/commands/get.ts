// ktimer get KID: one task as indented JSON.
import type { CliContext } from '../context.js';
import { kidArgument } from './kid-argument.js';

export async function run(ctx: CliContext, words: string[], opts: { kid?: string }): Promise<void> {
  const kid = kidArgument(words, opts.kid);
  const task = await (await ctx.service()).get(kid);
  ctx.print(`task detail info:\n${JSON.stringify(task, null, 2)}`, task);
}
