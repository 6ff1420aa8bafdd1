// ktimer output FIRE_ID: what a run printed (shell: the last 4 KiB; URL: the head of the body).
import type { CliContext } from '../context.js';

export async function run(ctx: CliContext, words: string[]): Promise<void> {
  const record = await (await ctx.history()).byFireId(words[0] ?? '');
  // The command's own bytes, as it printed them: the operator asked for exactly that.
  const text = record.output ?? '';
  ctx.print(text.endsWith('\n') || text === '' ? text.replace(/\n$/, '') : text, record);
}
