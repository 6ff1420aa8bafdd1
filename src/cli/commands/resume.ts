// ktimer resume KID... | -group=G | --all: paused tasks go on at the next run of their schedules
// after now, without the runs they missed while paused (docs/steering.md).
import type { ResumeOutcome } from '../../service/pause-resume.js';
import { taskMissing } from '../../service/targets.js';
import { timeShown, zoneShown } from '../../service/task-service.js';
import type { CliContext } from '../context.js';
import { spanInWords } from '../run-words.js';
import { oneTarget, printTargets, targetWords, tasksWord, type TargetOptions } from '../targets-output.js';
import { everyTask } from './pause.js';

export async function run(
  ctx: CliContext,
  words: string[],
  opts: TargetOptions & { all?: boolean },
): Promise<void> {
  const refs = targetWords(words, opts);
  const { pauses, each } = await ctx.service();
  if (opts.all === true) {
    everyTask('resume', refs, opts);
    const { resumed, corrupt } = await pauses.resumeAll();
    for (const kid of corrupt) {
      process.stderr.write(
        `ktimer: warning: task ${kid} holds corrupt data in Redis and stays paused; delete it with \`ktimer del ${kid}\`\n`,
      );
    }
    ctx.print(`resumed ${tasksWord(resumed)}.`, { result: true, resumed, corrupt });
    return;
  }
  if (oneTarget(refs, opts)) {
    const [outcome] = await pauses.resume(refs);
    if (!outcome || outcome.state === 'missing') throw taskMissing(outcome?.kid ?? (refs[0] as string));
    const data = { result: true, kid: outcome.kid, state: outcome.state };
    if (outcome.state === 'not_paused' || !outcome.task)
      ctx.print(`task ${outcome.kid} is not paused; nothing to do.`, data);
    else
      ctx.print(`task ${outcome.kid} resumed; next run ${nextRun(outcome)}.`, {
        ...data,
        run_nexttime: outcome.task.run_nexttime,
      });
    return;
  }
  printTargets(
    ctx,
    await each.resume({ refs, group: opts.group }),
    (o) => (o.state === 'resumed' ? `resumed; next run ${nextRun(o)}` : 'not paused'),
    (done) => `resumed ${tasksWord(done.filter((o) => o.state === 'resumed').length)}`,
  );
}

/** When a resumed task runs next, in the zone `next` shows it in (a cron task's own). */
function nextRun({ task }: ResumeOutcome): string {
  if (!task) return '';
  const nextMs = Math.round(task.run_nexttime * 1000);
  const inMs = nextMs - Date.now();
  const tz = zoneShown(task);
  return `${timeShown(nextMs, tz)} (${tz}; ${inMs > 0 ? `in ${spanInWords(inMs)}` : 'now'})`;
}
