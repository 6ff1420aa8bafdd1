// ktimer clear --yes: deletes every task. Without --yes it deletes nothing: it says how many
// tasks it would delete and exits 2, so that a stray `clear` (a shell history, a script run on
// the wrong config) cannot wipe a store.
import { KtimerError } from '../../errors.js';
import type { CliContext } from '../context.js';

export async function run(ctx: CliContext, _words: string[], opts: { yes?: boolean }): Promise<void> {
  if (opts.yes !== true) {
    const count = await (await ctx.service()).count();
    throw new KtimerError(
      'usage',
      `clear would delete ${count} task${count === 1 ? '' : 's'}; nothing was deleted: run \`ktimer clear --yes\` to delete every task`,
      { details: { count } },
    );
  }
  const removed = await (await ctx.service()).clear();
  ctx.print('operating result:[true]', { result: true, removed });
}
