// The systemd unit for `ktimer install`: runs `ktimer start` in the foreground with this
// config, restarts it on failure, reloads logs on `systemctl reload`.
import type { Config } from '../config/config.js';

export const UNIT_NAME = 'ktimer.service';

export function systemdUnit(config: Config, nodePath: string, binPath: string): string {
  const quote = (s: string) => (/[\s"\\]/.test(s) ? `"${s.replace(/["\\]/g, '\\$&')}"` : s);
  return `[Unit]
Description=ktimer timer/ticker task service
Documentation=file://${quote(binPath.replace(/\/bin\/ktimer$/, '/README.md'))}
After=network-online.target redis-server.service
Wants=network-online.target

[Service]
Type=simple
ExecStart=${quote(nodePath)} ${quote(binPath)} start --config ${quote(config.file)}
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=2
# SIGTERM to the daemon only: it lets running tasks finish (shutdown_grace), then exits.
KillMode=mixed
TimeoutStopSec=${config.task.shutdownGraceSec + 15}

[Install]
WantedBy=multi-user.target
`;
}
