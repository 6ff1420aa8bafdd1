// ktimer resume KID | --all: a paused task goes on at the next run of its schedule after now,
// without the runs it missed while paused (README "Pause and resume").
import { KtimerError } from '../../errors.js';
import { timeShown, zoneShown } from '../../service/task-service.js';
import type { CliContext } from '../context.js';
import { spanInWords } from '../run-words.js';
import { pauseTarget } from './pause-target.js';

export async function run(
  ctx: CliContext,
  words: string[],
  opts: { kid?: string; all?: boolean },
): Promise<void> {
  const target = pauseTarget('resume', words, opts);
  const { pauses } = await ctx.service();
  if (target === 'all') {
    const { resumed, corrupt } = await pauses.resumeAll();
    for (const kid of corrupt) {
      process.stderr.write(
        `ktimer: warning: task ${kid} holds corrupt data in Redis and stays paused; delete it with \`ktimer del ${kid}\`\n`,
      );
    }
    ctx.print(`resumed ${resumed} task${resumed === 1 ? '' : 's'}.`, { result: true, resumed, corrupt });
    return;
  }
  const [outcome] = await pauses.resume([target]);
  if (!outcome || outcome.state === 'missing') {
    throw new KtimerError(
      'not_found',
      `task ${outcome?.kid ?? target} does not exist (it may have fired already); see \`ktimer list\``,
    );
  }
  if (outcome.state === 'not_paused' || !outcome.task) {
    ctx.print(`task ${outcome.kid} is not paused; nothing to do.`, {
      result: true,
      kid: outcome.kid,
      state: outcome.state,
    });
    return;
  }
  const nextMs = Math.round(outcome.task.run_nexttime * 1000);
  const inMs = nextMs - Date.now();
  // In the zone `next` shows it in: a cron task's own.
  const tz = zoneShown(outcome.task);
  const when = `${timeShown(nextMs, tz)} (${tz}; ${inMs > 0 ? `in ${spanInWords(inMs)}` : 'now'})`;
  ctx.print(`task ${outcome.kid} resumed; next run ${when}.`, {
    result: true,
    kid: outcome.kid,
    state: outcome.state,
    run_nexttime: outcome.task.run_nexttime,
  });
}
