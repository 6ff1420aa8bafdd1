// Stopping a daemon whose task hangs, as users do it: `stop` says what it waits for, the task is
// killed after shutdown_grace; `stop --now` / `restart --now` (SIGQUIT) kill it at once, also
// during a stop under way; either way the fire is logged `killed at shutdown`.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { runCli, writeTestConfig } from '../helpers/cli.js';
import { TestDaemon } from '../helpers/daemon.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const redis = usePrivateRedis();
const daemons: TestDaemon[] = [];

afterEach(() => {
  for (const d of daemons.splice(0)) d.kill();
});

/** A daemon running one task that would go on for minutes; resolves once its state file shows it. */
async function hungTask(graceSec: number): Promise<{ d: TestDaemon; kid: string }> {
  const d = new TestDaemon(
    writeTestConfig({ redisPort: redis.server.port, extra: { default: [`shutdown_grace = ${graceSec}`] } }),
  );
  daemons.push(d);
  await d.start();
  const kid = await d.add(['-time=1', '-command=sleep 300']);
  await d.waitForRunning(1);
  return { d, kid };
}

/** The hung task's fire, logged as killed at shutdown in runed.log and error.log. */
function assertKilledAtShutdown(d: TestDaemon, kid: string): void {
  const fire = d.fires().find((e) => e.kid === kid);
  assert.equal(fire?.ok, false);
  assert.equal(fire?.error, 'killed at shutdown');
  assert.equal(fire?.signal, 'SIGTERM');
  const logged = d.log('error').find((e) => e.event === 'fire' && e.kid === kid);
  assert.equal(logged?.error, 'killed at shutdown');
  assert.match(String(logged?.msg), /failed: killed at shutdown$/);
}

test('stop says it waits for the running task, which is killed after shutdown_grace and logged so', async () => {
  const { d, kid } = await hungTask(1);
  const stop = await d.cli(['stop']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(stop.stdout, 'ktimer stopped\n');
  assert.equal(
    stop.stderr,
    'ktimer: waiting for 1 running task, up to 1 s (shutdown_grace; `ktimer stop --now` kills it at once)\n',
  );
  assertKilledAtShutdown(d, kid);
  const killed = d.log('serve').find((e) => e.event === 'killed');
  assert.deepEqual([killed?.count, killed?.reason], [1, 'shutdown_grace']);
});

test('restart --now kills the running task at once instead of waiting shutdown_grace', async () => {
  const { d, kid } = await hungTask(30);
  const started = Date.now();
  const res = await d.cli(['restart', '-d', '--now']);
  assert.equal(res.code, 0, res.stderr);
  assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
  assert.equal(res.stderr, 'ktimer: killing 1 running task\n');
  const m = /^ktimer stopped\nktimer started \[(\d+)\]\n$/.exec(res.stdout);
  assert.ok(m, res.stdout);
  d.pid = Number(m[1]);
  assertKilledAtShutdown(d, kid);
  const killed = d.log('serve').find((e) => e.event === 'killed');
  assert.deepEqual([killed?.count, killed?.reason], [1, 'SIGQUIT']);
});

test('stop --now during a stop that waits: the wait ends, the task is killed', async () => {
  const { d, kid } = await hungTask(30);
  const started = Date.now();
  const waiting = d.cli(['stop']);
  await waitFor(() => d.log('serve').find((e) => e.event === 'stopping'), { what: 'the daemon stopping' });
  const now = await d.cli(['stop', '--now']);
  const stop = await waiting;
  assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stderr, /^ktimer: waiting for 1 running task, up to 30 s /);
  assert.equal(now.code, 0, now.stderr);
  assert.equal(d.alive(), false);
  assertKilledAtShutdown(d, kid);
});

test('help stop tells of --now and its signal', async () => {
  const help = await runCli(['help', 'stop']);
  assert.match(
    help.stdout,
    /--now +kill running tasks at once instead of waiting shutdown_grace\s+\(SIGQUIT\)/,
  );
  assert.match(help.stdout, /--now sends SIGQUIT: it kills them at once/);
  assert.match(help.stdout, /killed at shutdown/);
});
