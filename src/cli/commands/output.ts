// ktimer output FIRE_ID: what a run printed, stdout then stderr (each within its output_max, cut
// in the middle with a marker line), or one of them (--stdout, --stderr); a URL task's body is its
// stdout. Control characters (ESC, an OSC 52 clipboard write, CSI as U+009B, bidi overrides) are
// shown as escapes: a URL task's output is whatever a remote server sent. --raw prints it as it
// was. --follow prints a run's output as it is printed, from any machine (output-follow.ts).
import { KtimerError } from '../../errors.js';
import type { RunRecord } from '../../store/open-store.js';
import { printable } from '../../text.js';
import type { CliContext } from '../context.js';

export interface OutputOptions {
  raw?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  follow?: boolean;
}

export async function run(ctx: CliContext, words: string[], opts: OutputOptions): Promise<void> {
  const fireId = words[0] ?? '';
  if (opts.follow === true) {
    const { follow } = await import('./output-follow.js');
    await follow(ctx, fireId, opts);
    return;
  }
  const record = await (await ctx.history()).byFireId(fireId);
  if (ctx.json) {
    ctx.print('', record);
    return;
  }
  writeOutput(textOf(record, opts), opts);
}

/** What to print of `record`: both streams, or the one asked for. */
export function textOf(record: RunRecord, opts: OutputOptions): string {
  if (record.output_dropped === true)
    throw new KtimerError(
      'not_found',
      `the output of run ${record.fire_id} is no longer kept: history_max_output (conf.ini) drops the oldest outputs first; its record stays (\`ktimer history\`)`,
    );
  const one = opts.stdout === opts.stderr ? null : opts.stdout === true ? 'stdout' : 'stderr';
  if (one === null) return record.output ?? '';
  if (record.output !== undefined && record.output_bytes === undefined)
    throw new KtimerError(
      'not_found',
      `run ${record.fire_id} was put on record by ktimer 3.0, which kept stdout and stderr together: \`ktimer output ${record.fire_id}\` prints them`,
    );
  return record[one] ?? '';
}

/** Output as the person asked: escaped for a terminal, or as it was (--raw). */
export function writeOutput(text: string, opts: Pick<OutputOptions, 'raw'>): void {
  if (opts.raw === true) {
    // The run's own bytes, for a pipe or a person who asked for exactly that.
    process.stdout.write(text);
    return;
  }
  process.stdout.write(`${printable(text.endsWith('\n') ? text.slice(0, -1) : text)}\n`);
}
