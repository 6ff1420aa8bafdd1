// Under systemd and journald: log.dir = - (every log line on the foreground daemon's stdout, its
// `log` field naming the file), `start -d` refused with it, and the units of install --user and
// --run-as (written with --unit-dir: no systemctl call).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, runCli } from '../helpers/cli.js';
import { freePort, usePrivateRedis } from '../helpers/redis-server.js';
import { useDaemons } from '../helpers/test-daemons.js';
import { waitFor } from '../helpers/wait.js';

const redis = usePrivateRedis();
const newDaemon = useDaemons(redis);

/** The JSON lines of a text (other lines, such as `ktimer started [PID]`, left out). */
const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test('log.dir = -: every log on stdout, one JSON line each, with `log` naming its file; no log dir', async () => {
  const port = await freePort();
  const d = newDaemon({
    log: ['log.dir = -'],
    web: ['web_enable = 1', `web_port = ${port}`],
  });
  const child = spawn(process.execPath, [BIN, 'start', '--config', d.config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  await waitFor(() => /ktimer started \[\d+\]/.test(out), { what: 'foreground start' });
  d.pid = child.pid ?? 0;
  const kid = await d.add(['-time=1', '-command=echo to journald; exit 4']);
  // A command line's own output stays its output: no log line on it.
  const count = await d.cli(['count']);
  assert.match(count.stdout, /^there are \[[01]\] tasks\.\n$/);
  const web = await fetch(`http://127.0.0.1:${port}/?action=count&passwd=test-password`);
  assert.equal(web.status, 200);
  const lines = await waitFor(
    () => {
      const all = jsonLines(out);
      const fire = all.find((l) => l.event === 'fire' && l.kid === kid && l.log === 'runed');
      const failed = all.find((l) => l.event === 'fire' && l.kid === kid && l.log === 'error');
      const webac = all.find((l) => l.log === 'webac' && l.status === 200);
      return fire && failed && webac ? all : null;
    },
    { timeoutMs: 15_000, what: 'the fire in runed and error, the request in webac, on stdout' },
  );
  const start = lines.find((l) => l.event === 'start');
  assert.equal(start?.log, 'serve');
  assert.equal(start?.pid, d.pid);
  const fire = lines.find((l) => l.event === 'fire' && l.log === 'runed');
  assert.equal(fire?.output, 'to journald\n');
  assert.equal(fire?.exit_code, 4);
  assert.ok(
    lines.every((l) => ['serve', 'error', 'runed', 'webac'].includes(String(l.log))),
    'every line names its log',
  );
  // One JSON document per line, nothing else on stdout but the start line.
  const other = out.split('\n').filter((l) => l !== '' && !l.startsWith('{'));
  assert.deepEqual(other, [`ktimer started [${d.pid}]`]);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.ok(
    jsonLines(out).some((l) => l.event === 'stop' && l.log === 'serve'),
    'the stop line, flushed',
  );
  assert.equal(existsSync(join(d.dir, 'log')), false);
  assert.equal(existsSync(join(d.dir, '-')), false);
});

test('log.dir = -: start -d and restart -d are refused in one line (exit 1), and nothing starts', async () => {
  const d = newDaemon({ log: ['log.dir = -'] });
  const expected = `ktimer: error: ${d.config}: [log] log.dir = - sends the logs to stdout, which start -d would lose; run \`ktimer start\` in the foreground (as systemd does: \`ktimer install\`) or set log.dir to a directory\n`;
  for (const cmd of ['start', 'restart']) {
    const res = await d.cli([cmd, '-d']);
    assert.equal(res.code, 1, cmd);
    assert.equal(res.stderr, expected, cmd);
    assert.equal(existsSync(d.pidfile), false, cmd);
  }
});

test('install --user writes a user unit; --run-as writes User= and Group=; bad combinations are usage errors', async () => {
  const d = newDaemon();
  const user = await d.cli(['install', '--user', '--unit-dir', d.dir]);
  assert.equal(user.code, 0, user.stderr);
  const path = join(d.dir, 'ktimer.service');
  assert.equal(
    user.stdout,
    `installed ${path}; not enabled: run \`systemctl --user daemon-reload && systemctl --user enable --now ktimer.service\`; to run it while you are logged out: loginctl enable-linger\n`,
  );
  const userUnit = readFileSync(path, 'utf8');
  assert.match(userUnit, /^WantedBy=default\.target$/m);
  assert.match(userUnit, new RegExp(`^ExecStart=.*bin/ktimer start --config ${d.config}$`, 'm'));
  assert.doesNotMatch(userUnit, /^User=|redis-server\.service/m);
  assert.equal((await d.cli(['remove', '--user', '--unit-dir', d.dir])).code, 0);
  assert.equal(existsSync(path), false);

  const group = execFileSync('id', ['-gn', 'nobody'], { encoding: 'utf8' }).trim();
  const runAs = await d.cli(['install', '--run-as', 'nobody', '--unit-dir', d.dir]);
  assert.equal(runAs.code, 0, runAs.stderr);
  assert.match(
    runAs.stdout,
    new RegExp(
      `\\(it runs as nobody:${group}, who must read ${d.config} and write ${d.dir}/log and ${d.dir}/runtime\\)`,
    ),
  );
  const systemUnit = readFileSync(path, 'utf8');
  assert.match(systemUnit, /^User=nobody$/m);
  assert.match(systemUnit, new RegExp(`^Group=${group}$`, 'm'));
  assert.match(systemUnit, /^WantedBy=multi-user\.target$/m);
  const printed = await d.cli(['install', '--print', '--run-as', 'nobody:daemon']);
  assert.match(printed.stdout, /^User=nobody\nGroup=daemon\nExecStart=/m);

  const unknown = await d.cli(['install', '--run-as', 'no-such-user-kt', '--print']);
  assert.equal(unknown.code, 2);
  assert.equal(
    unknown.stderr,
    'ktimer: error: --run-as: there is no user "no-such-user-kt" on this machine; create it first (useradd --system no-such-user-kt)\n',
  );
  const both = await d.cli(['install', '--user', '--run-as', 'nobody', '--print']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--run-as is for a system unit/);
  const bad = await runCli(['install', '--run-as', 'a b', '--print', '--config', d.config]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--run-as "a b" is invalid/);
});
