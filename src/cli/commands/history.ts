// ktimer history KID [-n 20]: a task's runs, newest first (also a timer's that has fired, by kid
// or by name: TaskService.resolveHistoryKid).
import type { CliContext } from '../context.js';
import { historyTable } from '../format.js';
import { kidArgument } from './kid-argument.js';

export async function run(
  ctx: CliContext,
  words: string[],
  opts: { kid?: string; n?: string },
): Promise<void> {
  const ref = kidArgument(words, opts.kid);
  const { kid, runs } = await (await ctx.history()).ofTask(ref, opts.n);
  ctx.print(runs.length === 0 ? `no runs of ${kid} on record.` : historyTable(runs), { kid, runs });
}
