// The systemd unit for `ktimer install`: runs `ktimer start` in the foreground with this
// config, restarts it on failure, reloads logs on `systemctl reload`. A system unit may run the
// daemon as another user (`--run-as`: User=, Group=); a user unit (`--user`) runs in the user's
// own systemd manager, as that user. Its stdout goes to journald (log.dir = - puts the logs there).
import { dirname } from 'node:path';
import type { Config } from '../config/config.js';

export const UNIT_NAME = 'ktimer.service';

export interface UnitOptions {
  /** A user unit (systemctl --user), started with the user's manager. */
  user?: boolean;
  /** A system unit's User= and Group=. */
  runAs?: { user: string; group: string };
}

export function systemdUnit(
  config: Config,
  nodePath: string,
  binPath: string,
  opts: UnitOptions = {},
): string {
  const quote = (s: string) => (/[\s"\\]/.test(s) ? `"${s.replace(/["\\]/g, '\\$&')}"` : s);
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
${[...runAs, ...dirs, ''].join('\n')}ExecStart=${quote(nodePath)} ${quote(binPath)} start --config ${quote(config.file)}
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=2
# SIGTERM to the daemon only: it lets running tasks finish (shutdown_grace), then exits.
KillMode=mixed
TimeoutStopSec=${config.task.shutdownGraceSec + 15}
# Its stdout and stderr (all its logs with log.dir = -) are journald's, under this name.
SyslogIdentifier=ktimer

[Install]
WantedBy=${opts.user ? 'default.target' : 'multi-user.target'}
`;
}
