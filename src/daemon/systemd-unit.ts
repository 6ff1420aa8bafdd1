// The systemd unit for `ktimer install`: runs `ktimer start` in the foreground with this
// config, restarts it on failure, reloads logs on `systemctl reload`. A system unit may run the
// daemon as another user (`--run-as`: User=, Group=); a user unit (`--user`) runs in the user's
// own systemd manager, as that user. Its stdout goes to journald (log.dir = - puts the logs there).
import { dirname } from 'node:path';
import type { Config } from '../config/config.js';
import { KtimerError } from '../errors.js';
import { oneLine } from '../text.js';

export const UNIT_NAME = 'ktimer.service';

export interface UnitOptions {
  /** A user unit (systemctl --user), started with the user's manager. */
  user?: boolean;
  /** A system unit's User= and Group=. */
  runAs?: { user: string; group: string };
}

/**
 * How systemd ends the unit's processes (docs/running-tasks.md). mixed: on stop, SIGTERM to the
 * daemon only (it lets running tasks finish for shutdown_grace, then kills them), SIGKILL to
 * whatever is left; when the daemon dies, systemd sends SIGKILL at once to what it left in the
 * unit (spawners and commands). process, with task_keep_orphans = 1: what the daemon left goes on.
 */
function killMode(config: Config): string {
  if (config.task.keepOrphans)
    return `# task_keep_orphans = 1: commands a dead daemon left go on alone (systemd kills the daemon only).
KillMode=process`;
  return `# SIGTERM to the daemon only: it lets running tasks finish (shutdown_grace), then exits.
# If it dies, systemd sends SIGKILL to every process it left in the unit (its commands too).
KillMode=mixed`;
}

export function systemdUnit(
  config: Config,
  nodePath: string,
  binPath: string,
  opts: UnitOptions = {},
): string {
  checkPath('the config path', config.file);
  checkPath('the node path', nodePath);
  checkPath('the ktimer path', binPath);
  // systemd expands %-specifiers in every line, and $VARIABLES in ExecStart: doubled, they stay as written.
  const quote = (s: string) =>
    (/[\s"\\]/.test(s) ? `"${s.replace(/["\\]/g, '\\$&')}"` : s).replace(/%/g, '%%');
  const arg = (s: string) => quote(s).replace(/\$/g, '$$$$');
  // A user manager cannot order itself after system units: it has none of them.
  const after = opts.user
    ? []
    : ['After=network-online.target redis-server.service', 'Wants=network-online.target'];
  const runAs = opts.runAs ? [`User=${opts.runAs.user}`, `Group=${opts.runAs.group}`] : [];
  // /etc/ktimer/conf.ini keeps its pidfile in /run/ktimer (emptied at each boot) and its logs in
  // /var/log/ktimer by default (config/places.ts): systemd makes them, owned by User=.
  const dirs = opts.user
    ? []
    : [
        ...(dirname(config.pidfile) === '/run/ktimer' ? ['RuntimeDirectory=ktimer'] : []),
        ...(config.log.dir === '/var/log/ktimer' ? ['LogsDirectory=ktimer'] : []),
      ];
  return `[Unit]
Description=ktimer timer/ticker task service
Documentation=file://${quote(binPath.replace(/\/bin\/ktimer$/, '/README.md'))}
${[...after, ''].join('\n')}
[Service]
Type=simple
${[...runAs, ...dirs, ''].join('\n')}ExecStart=${arg(nodePath)} ${arg(binPath)} start --config ${arg(config.file)}
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=2
${killMode(config)}
TimeoutStopSec=${config.task.shutdownGraceSec + 15}
# Its stdout and stderr (all its logs with log.dir = -) are journald's, under this name.
SyslogIdentifier=ktimer

[Install]
WantedBy=${opts.user ? 'default.target' : 'multi-user.target'}
`;
}

/** A path with a newline would end its line and add one of its own to the unit (ExecStartPre=...). */
function checkPath(what: string, path: string): void {
  if (/[\u0000-\u001f\u007f]/.test(path))
    throw new KtimerError(
      'usage',
      `${what} ${JSON.stringify(oneLine(path, 200))} holds a newline or another control character, ` +
        "which a unit's line cannot; move it to a path without one",
    );
}
