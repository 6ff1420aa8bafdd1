// ktimer start [-d]: runs the daemon in the foreground (for systemd), or detached with -d,
// returning once it is up.
import { detachDaemon, detachStage, reportStartup, startDetached } from '../../daemon/detach.js';
import { readPidfile } from '../../daemon/pidfile.js';
import { messageOf } from '../../errors.js';
import { chooseSpawner } from '../../runner/shell-pool.js';
import { BIN } from '../../config/find-config.js';
import type { CliContext } from '../context.js';

export async function run(ctx: CliContext, _words: string[], opts: { daemon?: boolean }): Promise<void> {
  const stage = detachStage();
  if (stage === 'daemon') return runDaemon(ctx, true);
  const args = ['start', '-d', '--config', ctx.configPath];
  if (stage === 'helper') return detachDaemon(BIN, args);
  const config = ctx.config;
  const pid = readPidfile(config.pidfile);
  if (pid.state === 'running') {
    ctx.print(`ktimer is already running [${pid.pid}]`, { started: false, running: true, pid: pid.pid });
    return;
  }
  // A bad KTIMER_SPAWNER is refused here, with its exit status, rather than by the detached daemon.
  chooseSpawner();
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
  try {
    const { startDaemon } = await import('../../daemon/daemon.js');
    const daemon = await startDaemon(ctx.config);
    const warnings = daemon.redisProblem
      ? [`Redis is not reachable yet (${daemon.redisProblem}); the daemon keeps retrying`]
      : [];
    if (detached) {
      reportStartup([`ok ${process.pid}`, ...warnings.map((w) => `warn ${w}`)]);
    } else {
      for (const w of warnings) process.stderr.write(`ktimer: warning: ${w}\n`);
      ctx.print(`ktimer started [${process.pid}]`, { started: true, pid: process.pid, warnings });
    }
    daemon.run();
    code = await daemon.done;
  } catch (err) {
    if (detached) reportStartup([`error ${messageOf(err).replace(/\s*\n\s*/g, ' ')}`]);
    throw err;
  }
  process.exit(code);
}
