// ktimer clear: deletes every task.
import type { CliContext } from '../context.js';

export async function run(ctx: CliContext): Promise<void> {
  await ctx.prepareChangeLog();
  const removed = await (await ctx.service()).clear();
  ctx.print('operating result:[true]', { result: true, removed });
}
