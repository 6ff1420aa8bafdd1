// ktimer status: `ktimer is running [PID]` (exit 0) or `ktimer is stopped` (exit 3, LSB). A
// running daemon that cannot reach Redis (its state file says so) adds one line; the exit status
// stays that of the process.
import { readPidfile } from '../../daemon/pidfile.js';
import { daemonRedisProblem, readState, stateFileOf } from '../../daemon/state-file.js';
import type { CliContext } from '../context.js';

export async function run(ctx: CliContext): Promise<void> {
  const state = readPidfile(ctx.config.pidfile);
  if (state.state !== 'running') {
    ctx.print('ktimer is stopped', { running: false, pid: null, redis_healthy: null, redis_error: null });
    ctx.exitCode = 3;
    return;
  }
  const daemon = readState(stateFileOf(ctx.config.pidfile));
  const error = daemonRedisProblem(daemon);
  const lines = [
    `ktimer is running [${state.pid}]`,
    ...(error ? [`Redis is unavailable to the daemon, which keeps retrying: ${error}`] : []),
  ];
  ctx.print(lines.join('\n'), {
    running: true,
    pid: state.pid,
    redis_healthy: daemon?.redis.healthy ?? null,
    redis_error: error,
  });
}
