// ktimer logout --all: ends every dashboard session of the fleet (every daemon on this Redis), at
// once: each session recorded the fleet's epoch at its login, and a new one is drawn. The
// dashboard's own Log out ends one session; the command line holds none, so --all is asked for.
import { KtimerError } from '../../errors.js';
import type { CliContext } from '../context.js';

export async function run(ctx: CliContext, _words: string[], opts: { all?: boolean }): Promise<void> {
  if (opts.all !== true)
    throw new KtimerError(
      'usage',
      'logout ends every dashboard session of the fleet, and needs --all to say so: `ktimer logout --all`',
    );
  await (await ctx.store()).uiSessions.endAll();
  ctx.print('every dashboard session of the fleet ended; log in again', { result: true });
}
