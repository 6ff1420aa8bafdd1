// ktimer restart [-d] [--now]: stop (--now: running tasks killed at once), then start.
import type { CliContext } from '../context.js';
import { refuseDetachedStdout, run as start } from './start.js';
import { stopDaemon } from './stop.js';

export async function run(
  ctx: CliContext,
  words: string[],
  opts: { daemon?: boolean; now?: boolean },
): Promise<void> {
  // Refused before the running daemon is stopped, not after.
  refuseDetachedStdout(ctx.config, opts.daemon);
  const stopped = await stopDaemon(ctx, opts.now === true);
  if (stopped && !ctx.json) process.stdout.write('ktimer stopped\n');
  await start(ctx, words, opts);
}
