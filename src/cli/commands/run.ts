// ktimer run KID... | -group=G [--wait [--timeout=S]] [--queue]: fire tasks once, now, by hand
// (docs/steering.md "Run now"); their schedules stay as they are. The run counts: a timer's, or one
// that makes up a -limit, is the task's last, and the task is done. Refused at once (exit 1, nothing
// stored) when no live daemon may run it, unless --queue. --wait (one task) waits for the run (and
// its retries) to end and exits with its result, or gives up after --timeout seconds (exit 1; the
// run goes on).
import { usageError } from '../../errors.js';
import type { RunNowOutcome } from '../../service/task-service.js';
import { parseWhole } from '../../tasks/task-rules.js';
import type { CliContext } from '../context.js';
import { outcomeInWords } from '../run-words.js';
import { oneTarget, printTargets, targetWords, type TargetOptions } from '../targets-output.js';

/** Most a --timeout may be: a day. */
const MAX_TIMEOUT_SEC = 86_400;

export async function run(
  ctx: CliContext,
  words: string[],
  opts: TargetOptions & { wait?: boolean; timeout?: string; queue?: boolean },
): Promise<void> {
  const refs = targetWords(words, opts);
  const timeoutSec = timeoutOf(opts);
  const queue = opts.queue === true;
  if (!oneTarget(refs, opts)) {
    if (opts.wait === true) throw usageError('--wait waits for the run of one task; give one kid or name');
    const results = await (await ctx.service()).each.run({ refs, group: opts.group }, { queue });
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
  const outcome = await (await ctx.service()).runNow(refs[0] as string, { queue });
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
  await waitForRun(ctx, outcome, timeoutSec);
}

async function waitForRun(ctx: CliContext, outcome: RunNowOutcome, timeoutSec: number | null): Promise<void> {
  const { fire_id } = outcome;
  const history = await ctx.history();
  const record = await history.waitFor(fire_id, {
    timeoutMs: timeoutSec === null ? undefined : timeoutSec * 1000,
    onSlow: () =>
      process.stderr.write(
        `ktimer: run ${fire_id} has not ended after 10 s; is a daemon running (\`ktimer daemons\`)? still waiting${timeoutSec === null ? ' (--timeout=S gives up after S seconds)' : ''}\n`,
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

function timeoutOf(opts: { wait?: boolean; timeout?: string }): number | null {
  if (opts.timeout === undefined) return null;
  if (!opts.wait) throw usageError('--timeout bounds --wait; give --wait too');
  const what = `a whole number of seconds from 1 to ${MAX_TIMEOUT_SEC}`;
  const sec = parseWhole('timeout', opts.timeout, 1, what);
  if (sec > MAX_TIMEOUT_SEC) throw usageError(`timeout "${sec}" is invalid; expected ${what}`);
  return sec;
}

/** Said when a run by hand was the task's last. */
const lastRun = (kid: string): string =>
  `it was the last run of ${kid} (a timer runs once; a -limit counts runs by hand too): the task is done and leaves the task list.`;
