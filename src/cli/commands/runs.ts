// ktimer runs [--failed] [--since 1h] [-n 50]: the runs of every task, from every daemon.
import type { CliContext } from '../context.js';
import { runsTable } from '../format.js';

export async function run(
  ctx: CliContext,
  _words: string[],
  opts: { failed?: boolean; since?: string; n?: string },
): Promise<void> {
  const runs = await (await ctx.history()).runs({ failed: opts.failed, since: opts.since, count: opts.n });
  const none = opts.failed ? 'no failed runs on record' : 'no runs on record';
  ctx.print(runs.length === 0 ? `${none}${opts.since ? ' in that time' : ''}.` : runsTable(runs), { runs });
}
