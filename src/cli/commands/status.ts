// ktimer status: `ktimer is running [PID]` (exit 0) or `ktimer is stopped` (exit 3, LSB).
import { readPidfile } from '../../daemon/pidfile.js';
import type { CliContext } from '../context.js';

export async function run(ctx: CliContext): Promise<void> {
  const state = readPidfile(ctx.config.pidfile);
  if (state.state === 'running') {
    ctx.print(`ktimer is running [${state.pid}]`, { running: true, pid: state.pid });
  } else {
    ctx.print('ktimer is stopped', { running: false, pid: null });
    ctx.exitCode = 3;
  }
}
