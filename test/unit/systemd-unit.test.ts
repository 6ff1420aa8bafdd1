// The systemd units `ktimer install` writes: system (optionally run as another user) and user.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildConfig } from '../../src/config/load-config.js';
import { systemdUnit } from '../../src/daemon/systemd-unit.js';
import { KtimerError } from '../../src/errors.js';

const config = buildConfig('[default]\nshutdown_grace = 10', '/opt/kt/conf.ini');
const unit = (opts?: Parameters<typeof systemdUnit>[3]) =>
  systemdUnit(config, '/usr/bin/node', '/opt/kt/bin/ktimer', opts);
const lines = (text: string) => text.split('\n');

test('the system unit: foreground start with this config, after Redis, no User= unless asked', () => {
  const text = unit();
  assert.ok(
    lines(text).includes('ExecStart=/usr/bin/node /opt/kt/bin/ktimer start --config /opt/kt/conf.ini'),
  );
  assert.ok(lines(text).includes('After=network-online.target redis-server.service'));
  assert.ok(lines(text).includes('WantedBy=multi-user.target'));
  assert.ok(lines(text).includes('TimeoutStopSec=25'));
  assert.ok(lines(text).includes('SyslogIdentifier=ktimer'));
  assert.doesNotMatch(text, /^(User|Group)=/m);
});

test('--run-as: User= and Group= in [Service]', () => {
  const text = unit({ runAs: { user: 'ktimer', group: 'daemon' } });
  const service = text.slice(text.indexOf('[Service]'), text.indexOf('[Install]'));
  assert.match(service, /^User=ktimer$/m);
  assert.match(service, /^Group=daemon$/m);
});

test('--user: wanted by default.target, no ordering after system units, no User=', () => {
  const text = unit({ user: true });
  assert.ok(lines(text).includes('WantedBy=default.target'));
  assert.doesNotMatch(text, /network-online|redis-server\.service|^User=/m);
  assert.match(text, /^ExecStart=.* start --config \/opt\/kt\/conf\.ini$/m);
});

test("/etc/ktimer/conf.ini's places: systemd makes /run/ktimer and /var/log/ktimer for the daemon", () => {
  const places = { pidfile: '/run/ktimer/ktimer.pid', logDir: '/var/log/ktimer' };
  const etc = buildConfig('', '/etc/ktimer/conf.ini', places);
  const text = systemdUnit(etc, '/usr/bin/node', '/usr/lib/node_modules/ktimer/bin/ktimer', {
    runAs: { user: 'ktimer', group: 'ktimer' },
  });
  assert.match(text, /^ExecStart=\/usr\/bin\/node \S+ start --config \/etc\/ktimer\/conf\.ini$/m);
  assert.match(text, /^RuntimeDirectory=ktimer$/m);
  assert.match(text, /^LogsDirectory=ktimer$/m);
  assert.doesNotMatch(unit(), /Directory=/, 'a config elsewhere keeps them beside it');
});

test('a path with a newline is refused (it would add a line of its own); % and $ stay as written', () => {
  const forged = buildConfig('', '/opt/kt\nExecStartPre=/bin/sh -c id\n/conf.ini');
  assert.throws(
    () => systemdUnit(forged, '/usr/bin/node', '/opt/kt/bin/ktimer'),
    (err: unknown) =>
      err instanceof KtimerError &&
      err.code === 'usage' &&
      /^the config path "\/opt\/kt\?ExecStartPre=\/bin\/sh -c id\?\/conf\.ini" holds a newline/.test(
        err.message,
      ),
  );
  assert.throws(() => systemdUnit(config, '/usr/bin/node', '/opt/k\rt/bin/ktimer'), /the ktimer path/);
  const odd = systemdUnit(
    buildConfig('', '/opt/100%h/$HOME/conf.ini'),
    '/usr/bin/node',
    '/opt/kt/bin/ktimer',
  );
  assert.match(
    odd,
    /^ExecStart=\/usr\/bin\/node \/opt\/kt\/bin\/ktimer start --config \/opt\/100%%h\/\$\$HOME\/conf\.ini$/m,
  );
});

test("KillMode: mixed (stop: SIGTERM to the daemon only; a dead daemon's commands killed); process with task_keep_orphans", () => {
  assert.ok(lines(unit()).includes('KillMode=mixed'));
  const keep = buildConfig('[default]\ntask_keep_orphans = 1', '/opt/kt/conf.ini');
  const text = systemdUnit(keep, '/usr/bin/node', '/opt/kt/bin/ktimer');
  assert.ok(lines(text).includes('KillMode=process'));
  assert.doesNotMatch(text, /KillMode=mixed/);
});
