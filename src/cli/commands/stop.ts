// ktimer stop: SIGTERM, wait for the graceful exit (bounded), SIGKILL after, pidfile removed.
import { isAlive, readPidfile, removePidfile } from '../../daemon/pidfile.js';
import { KtimerError } from '../../errors.js';
import type { CliContext } from '../context.js';

export async function run(ctx: CliContext): Promise<void> {
  const stopped = await stopDaemon(ctx);
  if (stopped === null) ctx.print('ktimer is not running', { stopped: false, running: false });
  else ctx.print('ktimer stopped', { stopped: true, pid: stopped.pid, killed: stopped.killed });
}

/** Stops the daemon of this config; null when none was running. */
export async function stopDaemon(ctx: CliContext): Promise<{ pid: number; killed: boolean } | null> {
  const config = ctx.config;
  const state = readPidfile(config.pidfile);
  if (state.state !== 'running') {
    if (state.state === 'stale') removePidfile(config.pidfile, Number.NaN, true);
    return null;
  }
  const { pid } = state;
  signal(pid, 'SIGTERM');
  // The daemon itself waits shutdown_grace for running tasks, then kills them (5 s more).
  const graceMs = (config.task.shutdownGraceSec + 10) * 1000;
  let killed = false;
  if (!(await exited(pid, graceMs))) {
    killed = true;
    signal(pid, 'SIGKILL');
    if (!(await exited(pid, 5000))) {
      throw new KtimerError('daemon', `ktimer [${pid}] does not exit even after SIGKILL; check it with ps`);
    }
  }
  removePidfile(config.pidfile, pid);
  return { pid, killed };
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
