// ktimer del KID... | -group=G: deletes tasks; an unknown kid or name is a failure (exit 1), the
// others are deleted all the same (issue 25). A fired timer is no task, but del stops its
// retries: the one waiting is dropped (then it is a success), and a run of it under way is not
// retried.
import type { CliContext } from '../context.js';
import { oneTarget, printTargets, targetWords, tasksWord, type TargetOptions } from '../targets-output.js';

export async function run(ctx: CliContext, words: string[], opts: TargetOptions): Promise<void> {
  const refs = targetWords(words, opts);
  const service = await ctx.service();
  if (oneTarget(refs, opts)) {
    const { removed, dropped } = await service.delOne(await service.resolveKid(refs[0] as string));
    ctx.print(`operating result:[true]${dropped > 0 ? ` dropped:[${dropped}]` : ''}`, {
      result: true,
      removed,
      dropped,
    });
    return;
  }
  const results = await service.each.del({ refs, group: opts.group });
  printTargets(
    ctx,
    results,
    ({ dropped }) => `deleted${dropped > 0 ? ` (${dropped} waiting run(s) dropped)` : ''}`,
    (done) => `deleted ${tasksWord(done.filter((d) => d.removed > 0).length)}`,
  );
}
