// ktimer start [-d]: runs the daemon in the foreground (for systemd), or detached with -d,
// returning once it is up. A daemon already running is a failure (exit 1).
import {
  detachDaemon,
  READY_FD,
  reportStartup,
  startDetached,
  takeDetachStage,
} from '../../daemon/detach.js';
import { closeInheritedFds } from '../../daemon/inherited-fds.js';
import { readPidfile } from '../../daemon/pidfile.js';
import { KtimerError, messageOf } from '../../errors.js';
import { BIN } from '../../config/find-config.js';
import { exposedSecretsWarning } from '../../config/exposed-secrets.js';
import type { Config } from '../../config/config.js';
import type { CliContext } from '../context.js';

/**
 * log.dir = - writes the logs to the daemon's stdout, which a detached daemon does not have
 * (its stdout is /dev/null): they would be lost, so `start -d` is refused before anything starts.
 */
export function refuseDetachedStdout(config: Config, detach: boolean | undefined): void {
  if (detach && config.log.stdout)
    throw new KtimerError(
      'config',
      `${config.file}: [log] log.dir = - sends the logs to stdout, which start -d would lose; run \`ktimer start\` in the foreground (as systemd does: \`ktimer install\`) or set log.dir to a directory`,
    );
}

export async function run(ctx: CliContext, _words: string[], opts: { daemon?: boolean }): Promise<void> {
  const stage = takeDetachStage();
  if (stage === 'daemon') {
    await runDaemon(ctx, true);
    return;
  }
  const args = ['start', '-d', '--config', ctx.configPath];
  if (stage === 'helper') {
    detachDaemon(BIN, args);
    return;
  }
  const config = ctx.config;
  refuseDetachedStdout(config, opts.daemon);
  // Said here, in the process the operator started, so it reaches them once.
  const exposed = exposedSecretsWarning(config);
  if (exposed) process.stderr.write(`ktimer: warning: ${exposed}\n`);
  const pid = readPidfile(config.pidfile);
  if (pid.state === 'running') {
    throw new KtimerError(
      'daemon',
      `ktimer is already running [${pid.pid}]; see \`ktimer status\`, or \`ktimer restart\` to replace it`,
    );
  }
  if (!opts.daemon) return runDaemon(ctx, false);
  const started = await startDetached(BIN, args);
  for (const w of started.warnings) process.stderr.write(`ktimer: warning: ${w}\n`);
  ctx.print(`ktimer started [${started.pid}]`, {
    started: true,
    pid: started.pid,
    warnings: started.warnings,
  });
}

async function runDaemon(ctx: CliContext, detached: boolean): Promise<void> {
  let code: number;
  // Before any spawner starts: no task gets what the starter of the daemon left open.
  closeInheritedFds(detached ? [READY_FD] : []);
  try {
    const { startDaemon } = await import('../../daemon/lifecycle.js');
    const daemon = await startDaemon(ctx.config, undefined, detached ? 'detached' : 'foreground');
    const warnings = [
      ...(daemon.redisProblem
        ? [`Redis is not reachable yet (${daemon.redisProblem}); the daemon keeps retrying`]
        : []),
      ...(daemon.redisWarning ? [daemon.redisWarning] : []),
    ];
    if (detached) {
      reportStartup([`ok ${process.pid}`, ...warnings.map((w) => `warn ${w}`)]);
    } else {
      for (const w of warnings) process.stderr.write(`ktimer: warning: ${w}\n`);
      ctx.print(`ktimer started [${process.pid}]`, { started: true, pid: process.pid, warnings });
    }
    daemon.run();
    code = await daemon.done;
  } catch (err) {
    // The code goes along, so `start -d` exits as `start` would (2 for a usage error, ...).
    const code = err instanceof KtimerError ? err.code : 'daemon';
    if (detached) reportStartup([`error ${code} ${messageOf(err).replace(/\s*\n\s*/g, ' ')}`]);
    throw err;
  }
  process.exit(code);
}
