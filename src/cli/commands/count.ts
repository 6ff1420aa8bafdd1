// ktimer count: the number of tasks (HLEN, O(1)).
import type { CliContext } from '../context.js';

export async function run(ctx: CliContext): Promise<void> {
  const count = await (await ctx.service()).count();
  ctx.print(`there are [${count}] tasks.`, { count });
}
