// ktimer stop [--now]: SIGTERM (the daemon lets running tasks finish for shutdown_grace), or
// SIGQUIT with --now (it kills them at once); waits for the exit (bounded), SIGKILL after,
// pidfile removed. Says on stderr what it waits for.
import { isAlive, readPidfile, removePidfile } from '../../daemon/pidfile.js';
import { readState, stateFileOf } from '../../daemon/state-file.js';
import { KtimerError } from '../../errors.js';
import type { CliContext } from '../context.js';

export async function run(ctx: CliContext, _words: string[], opts: { now?: boolean }): Promise<void> {
  const stopped = await stopDaemon(ctx, opts.now === true);
  if (stopped === null) ctx.print('ktimer is not running', { stopped: false, running: false });
  else ctx.print('ktimer stopped', { stopped: true, pid: stopped.pid, killed: stopped.killed });
}

/** Stops the daemon of this config (killing its running tasks at once if `now`); null when none was running. */
export async function stopDaemon(
  ctx: CliContext,
  now = false,
): Promise<{ pid: number; killed: boolean } | null> {
  const config = ctx.config;
  const state = readPidfile(config.pidfile);
  if (state.state !== 'running') {
    if (state.state === 'stale') removePidfile(config.pidfile, Number.NaN, true);
    return null;
  }
  const { pid } = state;
  const graceSec = now ? 0 : config.task.shutdownGraceSec;
  // Read before the signal: a daemon told --now kills its tasks and rewrites the file at once.
  const tasks = runningTasks(config.pidfile);
  signal(pid, now ? 'SIGQUIT' : 'SIGTERM');
  sayWhatItWaitsFor(tasks, graceSec);
  // The daemon itself waits the grace for running tasks, then kills them (5 s more).
  const waitMs = (graceSec + 10) * 1000;
  let killed = false;
  if (!(await exited(pid, waitMs))) {
    killed = true;
    signal(pid, 'SIGKILL');
    if (!(await exited(pid, 5000))) {
      throw new KtimerError('daemon', `ktimer [${pid}] does not exit even after SIGKILL; check it with ps`);
    }
  }
  removePidfile(config.pidfile, pid);
  return { pid, killed };
}

/** Tasks the daemon runs now, from its state file (rewritten within a second of a change). */
function runningTasks(pidfile: string): number {
  const running = readState(stateFileOf(pidfile))?.running;
  return running ? running.shell + running.url : 0;
}

function sayWhatItWaitsFor(tasks: number, graceSec: number): void {
  if (tasks === 0) return;
  const what = tasks === 1 ? '1 running task' : `${tasks} running tasks`;
  process.stderr.write(
    graceSec === 0
      ? `ktimer: killing ${what}\n`
      : `ktimer: waiting for ${what}, up to ${graceSec} s (shutdown_grace; \`ktimer stop --now\` kills ${tasks === 1 ? 'it' : 'them'} at once)\n`,
  );
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPERM') {
      throw new KtimerError(
        'daemon',
        `not allowed to signal ktimer [${pid}]; run stop as the user that started it`,
      );
    }
  }
}

async function exited(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !isAlive(pid);
}
