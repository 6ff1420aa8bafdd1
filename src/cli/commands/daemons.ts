// ktimer daemons: the fleet's daemons as they say they are every second (docs/fleet.md): name,
// host, pid, labels, version, start, last claim, running runs, and whether their [task] and
// [notify] settings differ from the fleet's usual ones. One that stopped has left; one that died
// shows as gone until it is forgotten (a minute).
import type { CliContext } from '../context.js';
import { daemonsTable } from '../format.js';

export async function run(ctx: CliContext): Promise<void> {
  const { fleet, daemons } = await (await ctx.fleet()).daemons();
  const live = daemons.filter((d) => d.state === 'live').length;
  const head =
    live === 0
      ? `fleet ${fleet}: no live daemon; start one with \`ktimer start -d\``
      : `fleet ${fleet}: ${live} live daemon${live === 1 ? '' : 's'}`;
  ctx.print(daemons.length === 0 ? head : `${head}\n${daemonsTable(daemons)}`, { fleet, daemons });
}
