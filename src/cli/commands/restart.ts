// ktimer restart [-d | --foreground] [--now]: stop (--now: running tasks killed at once), then
// start the daemon the way it ran: detached if it was, in the foreground (here) if it was; -d or
// --foreground chooses. With no daemon running it starts one as `start` would.
import { readPidfile } from '../../daemon/pidfile.js';
import { readState, stateFileOf } from '../../daemon/state-file.js';
import { usageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { refuseDetachedStdout, run as start } from './start.js';
import { stopDaemon } from './stop.js';

export async function run(
  ctx: CliContext,
  words: string[],
  opts: { daemon?: boolean; foreground?: boolean; now?: boolean },
): Promise<void> {
  if (opts.daemon && opts.foreground) throw usageError('give -d or --foreground, not both');
  const daemon = detachAgain(ctx, opts);
  // Refused before the running daemon is stopped, not after.
  refuseDetachedStdout(ctx.config, daemon);
  const stopped = await stopDaemon(ctx, opts.now === true);
  if (stopped && !ctx.json) process.stdout.write('ktimer stopped\n');
  await start(ctx, words, { daemon });
}

/** Whether the new daemon detaches: as asked, else as the running one did (read before it stops). */
function detachAgain(ctx: CliContext, opts: { daemon?: boolean; foreground?: boolean }): boolean {
  if (opts.daemon || opts.foreground) return opts.daemon === true;
  const { pidfile } = ctx.config;
  if (readPidfile(pidfile).state !== 'running') return false;
  const mode = readState(stateFileOf(pidfile))?.mode;
  if (mode !== undefined) return mode === 'detached';
  // A daemon older than this version says nothing: detached, as `start -d` runs most of them.
  process.stderr.write(
    'ktimer: restarting it detached (the running daemon does not say how it was started); --foreground runs it here\n',
  );
  return true;
}
