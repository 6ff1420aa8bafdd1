// ktimer run KID [--wait]: fire the task once, now, by hand (README "Run now"); its schedule stays
// as it is. --wait waits for the run (and its retries) to end and exits with its result.
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
    ctx.print(human, { result: true, ...outcome });
    return;
  }
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
