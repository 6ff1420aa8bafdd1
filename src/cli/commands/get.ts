// ktimer get KID: one task as indented JSON, with its schedule in words. A command holding
// control characters (an escape sequence, a bidi override) shows them as \u escapes.
import type { CliContext } from '../context.js';
import { withSchedule } from '../../service/task-service.js';
import { safeJson } from '../../text.js';
import { kidArgument } from './kid-argument.js';

export async function run(ctx: CliContext, words: string[], opts: { kid?: string }): Promise<void> {
  const kid = kidArgument(words, opts.kid);
  const task = withSchedule(await (await ctx.service()).get(kid));
  ctx.print(`task detail info:\n${safeJson(task, 2)}`, task);
}
