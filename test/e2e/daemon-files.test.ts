// What ktimer leaves on disk for others to read: log and state files 0640 (log.file_mode), URL
// credentials masked in every log, conf.ini written 0600 from its first byte, and a warning at
// start when a conf.ini holding a password is readable by others.
import assert from 'node:assert/strict';
import { chmodSync, closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli, writeTestConfig } from '../helpers/cli.js';
import { TestDaemon } from '../helpers/daemon.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const redis = usePrivateRedis();
const daemons: TestDaemon[] = [];
after(() => {
  for (const d of daemons) d.kill();
});

function newDaemon(extra?: Parameters<typeof writeTestConfig>[0]['extra']): TestDaemon {
  const d = new TestDaemon(writeTestConfig({ redisPort: redis.server.port, extra }));
  daemons.push(d);
  return d;
}

const modeOf = (path: string): number => statSync(path).mode & 0o777;

test('log files and the state file are created 0640; log.file_mode = 0600 makes them private', async () => {
  const d = newDaemon();
  await d.start();
  const kid = await d.add(['-time=1', '-command=exit 3']);
  await d.waitForFires(1, 10_000, (e) => e.kid === kid);
  const state = join(d.dir, 'runtime', 'ktimer.state.json');
  await waitFor(() => existsSync(state) && d.log('error').length > 0, { what: 'state file and error.log' });
  for (const name of ['serve.log', 'runed.log', 'error.log']) {
    const path = join(d.dir, 'log', name);
    // 0640 less the test's umask: read and write for the owner, at most read for the group.
    assert.equal(modeOf(path) & 0o637, 0o600, `${name} is ${modeOf(path).toString(8)}`);
  }
  assert.equal(modeOf(state) & 0o637, 0o600, `the state file is ${modeOf(state).toString(8)}`);

  // The one-shot command's own runed.log lines follow the key too.
  const priv = writeTestConfig({ redisPort: redis.server.port, extra: { log: ['log.file_mode = 0600'] } });
  assert.equal((await runCli(['add', '-time=60', '--config', priv])).code, 0);
  assert.equal(modeOf(join(priv, '..', 'log', 'runed.log')), 0o600);
});

test('URL credentials are masked in runed.log and error.log, from the command line and the daemon; the task keeps them', async () => {
  const d = newDaemon();
  await d.start();
  const url = 'http://alice:s3cret@127.0.0.1:9/hook';
  const failing = await d.add(['-time=1', `-command=${url}`]);
  const echo = await d.add(['-time=1', '-command=echo "fetching https://bob:hunter2@example.com/x"']);
  const held = await d.add(['-time=3600', `-command=${url}`]);
  assert.equal(JSON.parse((await d.cli(['get', held, '--json'])).stdout).command, url);
  await d.waitForFires(2, 10_000, (e) => e.kid === failing || e.kid === echo);
  await waitFor(() => d.log('error').some((e) => e.kid === failing), {
    what: 'the failed fire in error.log',
  });
  for (const name of ['runed', 'error', 'serve'] as const) {
    const text = readFileSync(join(d.dir, 'log', `${name}.log`), 'utf8');
    assert.doesNotMatch(text, /s3cret|hunter2/, `${name}.log`);
  }
  const runed = d.log('runed');
  const added = runed.find((e) => e.event === 'add' && e.kid === held) as { task: { command: string } };
  assert.equal(added.task.command, 'http://***@127.0.0.1:9/hook');
  assert.equal(
    runed.find((e) => e.kid === failing && e.event === 'fire')?.command,
    'http://***@127.0.0.1:9/hook',
  );
  assert.equal(
    runed.find((e) => e.kid === echo && e.event === 'fire')?.output,
    'fetching https://***@example.com/x\n',
  );
});

test('start warns once when conf.ini holds a password and others may read it', async () => {
  const d = newDaemon();
  chmodSync(d.config, 0o644);
  const start = await d.start();
  const warnings = start.stderr.split('\n').filter((l) => l.includes('holds a password'));
  assert.deepEqual(warnings, [
    `ktimer: warning: ${d.config} holds a password and is readable by everyone (mode 0644); run \`chmod 600 ${d.config}\``,
  ]);
  assert.equal(d.log('serve').filter((e) => e.event === 'config_exposed').length, 1, 'and in serve.log');
  chmodSync(d.config, 0o600);
  const restart = await d.cli(['restart', '-d']);
  assert.equal(restart.code, 0, restart.stderr);
  assert.equal(restart.stderr, '');
  d.pid = Number(/ktimer started \[(\d+)\]/.exec(restart.stdout)?.[1]);
});

test('init fills in web_passwd in a new 0600 file: the old one (0644) never holds the password', async () => {
  const config = writeTestConfig({ redisPort: redis.server.port, extra: { web: ['web_passwd ='] } });
  chmodSync(config, 0o644);
  // Whoever had the old file open reads it as it was: the password went into a new file.
  const fd = openSync(config, 'r');
  try {
    const res = await runCli(['init', '--config', config]);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.equal(modeOf(config), 0o600);
    assert.match(readFileSync(config, 'utf8'), /^web_passwd = \S{20,}$/m);
    const buf = Buffer.alloc(64 * 1024);
    const old = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString();
    assert.match(old, /^web_passwd =$/m);
  } finally {
    closeSync(fd);
  }
});
