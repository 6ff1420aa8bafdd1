// ktimer get KID: one task as indented JSON, with its schedule in words.
import type { CliContext } from '../context.js';
import { withSchedule } from '../../service/task-service.js';
import { kidArgument } from './kid-argument.js';

export async function run(ctx: CliContext, words: string[], opts: { kid?: string }): Promise<void> {
  const kid = kidArgument(words, opts.kid);
  const task = withSchedule(await (await ctx.service()).get(kid));
  ctx.print(`task detail info:\n${JSON.stringify(task, null, 2)}`, task);
}
