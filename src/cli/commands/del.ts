// ktimer del KID (or NAME): deletes one task; an unknown kid or name is a failure (exit 1).
import { KtimerError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { kidArgument } from './kid-argument.js';

export async function run(ctx: CliContext, words: string[], opts: { kid?: string }): Promise<void> {
  const service = await ctx.service();
  const kid = await service.resolveKid(kidArgument(words, opts.kid));
  await ctx.prepareChangeLog();
  const removed = await service.del([kid]);
  if (removed === 0) {
    throw new KtimerError(
      'not_found',
      `task ${kid} does not exist (it may have fired already); see \`ktimer list\``,
    );
  }
  ctx.print('operating result:[true]', { result: true, removed });
}
