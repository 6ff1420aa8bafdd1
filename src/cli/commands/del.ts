// ktimer del KID (or NAME): deletes one task; an unknown kid or name is a failure (exit 1). A
// fired timer is no task, but del stops its retries: the one waiting is dropped (then it is a
// success), and a run of it under way is not retried.
import { KtimerError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { kidArgument } from './kid-argument.js';

export async function run(ctx: CliContext, words: string[], opts: { kid?: string }): Promise<void> {
  const service = await ctx.service();
  const kid = await service.resolveKid(kidArgument(words, opts.kid));
  const { removed, dropped } = await service.del([kid]);
  if (removed === 0 && dropped === 0) {
    throw new KtimerError(
      'not_found',
      `task ${kid} does not exist (it may have fired already; a retry of its run under way, if any, will not happen); see \`ktimer list\``,
    );
  }
  ctx.print(`operating result:[true]${dropped > 0 ? ` dropped:[${dropped}]` : ''}`, {
    result: true,
    removed,
    dropped,
  });
}
