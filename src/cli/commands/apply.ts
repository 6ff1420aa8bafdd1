// ktimer apply FILE|- [--dry-run] [--prune]: make a group's tasks what an apply file declares
// (issue 25, docs/apply.md). Prints the plan; a refused file changes nothing (exit 2).
import type { Plan } from '../../jobs/plan.js';
import { planLines } from '../../jobs/plan-text.js';
import { maskUrlUserinfo } from '../../log/mask-userinfo.js';
import { readBulkFile } from '../bulk-input.js';
import type { CliContext } from '../context.js';

export async function run(
  ctx: CliContext,
  words: string[],
  opts: { dryRun?: boolean; prune?: boolean },
): Promise<void> {
  const file = words[0] as string;
  const text = readBulkFile(file);
  const dryRun = opts.dryRun === true;
  const { plan, applied } = await (
    await ctx.service()
  ).jobs.apply(text, file === '-' ? 'stdin' : file, {
    dryRun,
    prune: opts.prune === true,
  });
  ctx.print(planLines(plan, { dryRun, mask: maskUrlUserinfo }).join('\n'), planData(plan, applied, dryRun));
}

/** The plan as --json gives it: names by what happens to them, and each change's fields. */
export function planData(plan: Plan, applied: boolean, dryRun: boolean) {
  return {
    result: true,
    group: plan.group,
    applied,
    dry_run: dryRun,
    add: plan.add.map((j) => j.name),
    change: plan.change.map((c) => ({
      name: c.name,
      kid: c.kid,
      fields: c.changes.map((f) => f.field),
      reschedule: c.reschedule,
    })),
    remove: plan.remove.map((r) => r.name ?? r.kid),
    unchanged: plan.unchanged.length,
    kept: plan.kept,
  };
}
