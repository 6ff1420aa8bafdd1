// ktimer run KID... | -group=G [--wait]: fire tasks once, now, by hand (docs/steering.md "Run
// now"); their schedules stay as they are. The run counts: a timer's, or one that makes up a
// -limit, is the task's last, and the task is done. --wait (one task) waits for the run (and its
// retries) to end and exits with its result.
import { usageError } from '../../errors.js';
import type { RunNowOutcome } from '../../service/task-service.js';
import type { CliContext } from '../context.js';
import { outcomeInWords } from '../run-words.js';
import { oneTarget, printTargets, targetWords, type TargetOptions } from '../targets-output.js';

export async function run(
  ctx: CliContext,
  words: string[],
  opts: TargetOptions & { wait?: boolean },
): Promise<void> {
  const refs = targetWords(words, opts);
  if (!oneTarget(refs, opts)) {
    if (opts.wait === true) throw usageError('--wait waits for the run of one task; give one kid or name');
    const results = await (await ctx.service()).each.run({ refs, group: opts.group });
    const n = (done: readonly RunNowOutcome[]) => done.length;
    printTargets(
      ctx,
      results,
      (o) =>
        `run ${o.fire_id} ${o.state === 'queued' ? 'queued' : 'handed out'}${o.task_done ? ': its last, the task is done' : ''}`,
      (done) => `${n(done)} run${n(done) === 1 ? '' : 's'} handed out or queued`,
    );
    return;
  }
  const outcome = await (await ctx.service()).runNow(refs[0] as string);
  const { kid, fire_id } = outcome;
  if (!opts.wait) {
    const human =
      outcome.state === 'queued'
        ? `run ${fire_id} queued: it starts when the run of ${kid} under way ends (overlap=queue).`
        : `run ${fire_id} handed out: a daemon starts it within a second; \`ktimer output ${fire_id}\` shows what it printed.`;
    ctx.print(outcome.task_done ? `${human}\n${lastRun(kid)}` : human, { result: true, ...outcome });
    return;
  }
  if (outcome.task_done) process.stderr.write(`ktimer: ${lastRun(kid)}\n`);
  await waitForRun(ctx, outcome);
}

async function waitForRun(ctx: CliContext, outcome: RunNowOutcome): Promise<void> {
  const { fire_id } = outcome;
  const history = await ctx.history();
  const record = await history.waitFor(fire_id, {
    onSlow: () =>
      process.stderr.write(
        `ktimer: run ${fire_id} has not ended after 10 s; is a daemon running (\`ktimer status\`)? still waiting\n`,
      ),
  });
  const words_ = `run ${record.fire_id}: ${outcomeInWords(record)}${record.error ? ` (${record.error})` : ''}`;
  if (!record.ok) ctx.exitCode = 1;
  ctx.print(record.output ? `${words_}\n${record.output.replace(/\n$/, '')}` : words_, {
    result: record.ok,
    ...outcome,
    run: record,
  });
}

/** Said when a run by hand was the task's last. */
const lastRun = (kid: string): string =>
  `it was the last run of ${kid} (a timer runs once; a -limit counts runs by hand too): the task is done and leaves the task list.`;
