// ktimer apply FILE|- [--dry-run] [--prune]: make a group's tasks what an apply file declares
// (issue 25, docs/apply.md). Prints the plan; a refused file changes nothing (exit 2).
import { planData, planLines } from '../../jobs/plan-text.js';
import { maskUrlUserinfo } from '../../log/mask-userinfo.js';
import { yieldProcess } from '../../priority.js';
import { readBulkFile } from '../bulk-input.js';
import type { CliContext } from '../context.js';

export async function run(
  ctx: CliContext,
  words: string[],
  opts: { dryRun?: boolean; prune?: boolean },
): Promise<void> {
  const file = words[0] as string;
  // Apply yields to firing: a daemon on this machine gets the CPUs first (docs/apply.md).
  yieldProcess();
  const text = readBulkFile(file);
  const dryRun = opts.dryRun === true;
  const { plan, applied } = await (
    await ctx.service()
  ).jobs.apply(text, file === '-' ? 'stdin' : file, {
    dryRun,
    prune: opts.prune === true,
  });
  ctx.print(planLines(plan, { dryRun, mask: maskUrlUserinfo }).join('\n'), {
    result: true,
    applied,
    dry_run: dryRun,
    ...planData(plan),
  });
}
