// ktimer pause KID | --all: the task stays, with its kid, schedule and history, and never fires
// until `ktimer resume` (README "Pause and resume").
import { KtimerError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { pauseTarget } from './pause-target.js';

export async function run(
  ctx: CliContext,
  words: string[],
  opts: { kid?: string; all?: boolean },
): Promise<void> {
  const target = pauseTarget('pause', words, opts);
  const { pauses } = await ctx.service();
  if (target === 'all') {
    const paused = await pauses.pauseAll();
    ctx.print(`paused ${paused} task${paused === 1 ? '' : 's'}.`, { result: true, paused });
    return;
  }
  const [outcome] = await pauses.pause([target]);
  if (!outcome || outcome.state === 'missing') {
    throw new KtimerError(
      'not_found',
      `task ${outcome?.kid ?? target} does not exist (it may have fired already); see \`ktimer list\``,
    );
  }
  const human =
    outcome.state === 'paused'
      ? `task ${outcome.kid} paused; \`ktimer resume ${outcome.kid}\` goes on with its schedule.`
      : `task ${outcome.kid} was paused already.`;
  ctx.print(human, { result: true, kid: outcome.kid, state: outcome.state });
}
