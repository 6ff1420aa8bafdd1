// ktimer pause KID... | -group=G | --all: the tasks stay, with their kids, schedules and history,
// and never fire until `ktimer resume` (docs/steering.md).
import { usageError } from '../../errors.js';
import type { PauseOutcome } from '../../service/pause-resume.js';
import { taskMissing } from '../../service/targets.js';
import type { CliContext } from '../context.js';
import { oneTarget, printTargets, targetWords, tasksWord, type TargetOptions } from '../targets-output.js';

export async function run(
  ctx: CliContext,
  words: string[],
  opts: TargetOptions & { all?: boolean },
): Promise<void> {
  const refs = targetWords(words, opts);
  const { pauses, each } = await ctx.service();
  if (opts.all === true) {
    everyTask('pause', refs, opts);
    const paused = await pauses.pauseAll();
    ctx.print(`paused ${tasksWord(paused)}.`, { result: true, paused });
    return;
  }
  if (oneTarget(refs, opts)) {
    const [outcome] = await pauses.pause(refs);
    if (!outcome || outcome.state === 'missing') throw taskMissing(outcome?.kid ?? (refs[0] as string));
    ctx.print(pausedWords(outcome, true), { result: true, kid: outcome.kid, state: outcome.state });
    return;
  }
  printTargets(
    ctx,
    await each.pause({ refs, group: opts.group }),
    (o) => pausedWords(o, false),
    (done) => `paused ${tasksWord(done.filter((o) => o.state === 'paused').length)}`,
  );
}

function pausedWords(outcome: PauseOutcome, alone: boolean): string {
  if (outcome.state !== 'paused') return alone ? `task ${outcome.kid} was paused already.` : 'paused already';
  return alone
    ? `task ${outcome.kid} paused; \`ktimer resume ${outcome.kid}\` goes on with its schedule.`
    : 'paused';
}

/** --all takes no kids and no group. */
export function everyTask(command: 'pause' | 'resume', refs: readonly string[], opts: TargetOptions): void {
  if (refs.length > 0 || opts.group !== undefined)
    throw usageError(
      `give kids, -group=G or --all, one of them (ktimer ${command} KID..., ktimer ${command} -group=G, or ktimer ${command} --all)`,
    );
}
