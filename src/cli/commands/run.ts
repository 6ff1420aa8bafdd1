// ktimer run KID [--wait]: fire the task once, now, by hand (docs/steering.md "Run now"); its
// schedule stays as it is. The run counts: a timer's, or one that makes up a -limit, is the task's
// last, and the task is done. --wait waits for the run (and its retries) to end and exits with its
// result.
import type { CliContext } from '../context.js';
import { outcomeInWords } from '../run-words.js';
import { kidArgument } from './kid-argument.js';

export async function run(
  ctx: CliContext,
  words: string[],
  opts: { kid?: string; wait?: boolean },
): Promise<void> {
  const ref = kidArgument(words, opts.kid);
  const outcome = await (await ctx.service()).runNow(ref);
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
