// ktimer output FIRE_ID: what a run printed (shell: the last 4 KiB; URL: the head of the body).
// Control characters (ESC, an OSC 52 clipboard write, CSI as U+009B, bidi overrides) are shown
// as escapes: a URL task's output is whatever a remote server sent. --raw prints it as it was.
import type { CliContext } from '../context.js';
import { printable } from '../../text.js';

export async function run(ctx: CliContext, words: string[], opts: { raw?: boolean }): Promise<void> {
  const record = await (await ctx.history()).byFireId(words[0] ?? '');
  const text = record.output ?? '';
  if (opts.raw === true && !ctx.json) {
    // The run's own bytes, for a pipe or a person who asked for exactly that.
    process.stdout.write(text);
    return;
  }
  ctx.print(printable(text.endsWith('\n') ? text.slice(0, -1) : text), record);
}
