// ktimer run KID... | -group=G [--wait]: fire tasks once, now, by hand (README "Run now"); their
// schedules stay as they are. --wait (one task) waits for the run (and its retries) to end and
// exits with its result.
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
      (o) => `run ${o.fire_id} ${o.state === 'queued' ? 'queued' : 'handed out'}`,
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
    ctx.print(human, { result: true, ...outcome });
    return;
  }
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
