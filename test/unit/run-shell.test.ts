// Shell tasks as real processes: exit codes, signals, the output tail, the environment,
// timeouts killing the whole process group, background processes holding the pipe.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runShell } from '../../src/runner/run-shell.js';
import { waitFor } from '../helpers/wait.js';

const run = (command: string, timeoutMs = 0) =>
  runShell({ kid: 'k'.repeat(32), command, dueMs: 1_800_000_000_123, timeoutMs }).result;

const groupAlive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

test('exit code 0 is ok; non-zero and signals are recorded', async () => {
  const ok = await run('echo -e "a\\tb"');
  assert.equal(ok.ok, true);
  assert.equal(ok.exitCode, 0);
  assert.equal(ok.output, 'a\tb\n', 'bash -c, so echo -e works');
  const bad = await run('echo oops >&2; exit 3');
  assert.equal(bad.ok, false);
  assert.equal(bad.exitCode, 3);
  assert.equal(bad.output, 'oops\n');
  const killed = await run('kill -KILL $$');
  assert.equal(killed.ok, false);
  assert.equal(killed.signal, 'SIGKILL');
  assert.ok(killed.durationMs >= 0);
});

test('KTIMER_KID and KTIMER_DUE are in the environment', async () => {
  const r = await run('echo "$KTIMER_KID $KTIMER_DUE"');
  assert.equal(r.output, `${'k'.repeat(32)} 1800000000.123\n`);
});

test('only the last 4 KiB of a large output are kept', async () => {
  const r = await run('head -c 1000000 /dev/zero | tr "\\0" a; echo END');
  assert.equal(r.ok, true);
  assert.ok(r.output.length <= 4096, `${r.output.length}`);
  assert.ok(r.output.endsWith('aaaaEND\n'));
});

test('a background process holding the pipe does not delay completion', async () => {
  const started = Date.now();
  const r = await run('sleep 30 & echo started');
  assert.equal(r.ok, true);
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
});

test('a timeout kills the whole process group', async () => {
  const r = await runShell({
    kid: 'k',
    command: 'echo $$; sleep 300 & sleep 301; wait',
    dueMs: 0,
    timeoutMs: 300,
  }).result;
  assert.equal(r.timedOut, true);
  assert.equal(r.ok, false);
  assert.match(r.error ?? '', /timed out after 300 ms/);
  // bash's pid is the group id: nothing of that group may survive.
  const pgid = Number(r.output.trim());
  assert.ok(pgid > 1);
  await waitFor(() => !groupAlive(pgid), { what: `process group ${pgid} gone`, timeoutMs: 5000 });
});

test('kill() signals the whole group', async () => {
  const task = runShell({ kid: 'k', command: 'sleep 300 & sleep 300', dueMs: 0, timeoutMs: 0 });
  task.kill('SIGTERM');
  const r = await task.result;
  assert.equal(r.signal, 'SIGTERM');
});

test('200 tasks in a row all complete', async () => {
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => run(`echo ${i}`)));
  assert.equal(results.filter((r) => r.ok).length, 200);
  assert.deepEqual(
    results.map((r) => r.output),
    Array.from({ length: 200 }, (_, i) => `${i}\n`),
  );
});

test('a runner reports durations: how long the command waited since its hand-over, and how long it ran', async () => {
  const handedMs = Date.now() - 1000; // as a spawner sees a request that queued for a second
  const r = await runShell({ kid: 'k', command: 'sleep 0.2', dueMs: 0, timeoutMs: 0, handedMs }).result;
  assert.ok(r.startDelayMs >= 1000 && r.startDelayMs < 1500, `start delay ${r.startDelayMs} ms`);
  assert.ok(r.durationMs >= 200 && r.durationMs < 1500, `duration ${r.durationMs} ms`);
});
