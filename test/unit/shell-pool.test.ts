// The daemon runs shell tasks in spawner processes: the same results as runShell in-process,
// kills reach the process group, a second spawner in a burst, signals meant for the daemon's
// group are ignored, and a spawner that goes away fails its tasks clearly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShellPool } from '../../src/runner/shell-pool.js';
import { waitFor } from '../helpers/wait.js';

const req = (command: string, timeoutMs = 0) => ({
  kid: 'k'.repeat(32),
  command,
  dueMs: 1_800_000_000_000,
  timeoutMs,
});

test('commands run in the spawner: exit code, signal, output, environment', async () => {
  const pool = new ShellPool();
  pool.warm();
  assert.equal(pool.pids.length, 1, 'warm() starts the first spawner before any task');
  try {
    const [ok, bad, killed] = await Promise.all([
      pool.run(req('echo "$KTIMER_KID" >&2; echo out')).result,
      pool.run(req('exit 7')).result,
      pool.run(req('kill -KILL $$')).result,
    ]);
    assert.equal(ok.ok, true);
    assert.equal(ok.exitCode, 0);
    assert.match(ok.output, new RegExp(`${'k'.repeat(32)}\\n`));
    assert.match(ok.output, /out\n/);
    assert.equal(bad.exitCode, 7);
    assert.equal(bad.ok, false);
    assert.equal(killed.signal, 'SIGKILL');
  } finally {
    await pool.close();
  }
});

test('kill() from the daemon ends the command; a timeout is enforced in the spawner', async () => {
  const pool = new ShellPool();
  try {
    const t = pool.run(req('sleep 30'));
    setTimeout(() => t.kill('SIGTERM'), 300);
    const r = await t.result;
    assert.equal(r.signal, 'SIGTERM');
    const timed = await pool.run(req('sleep 30', 200)).result;
    assert.equal(timed.timedOut, true);
    assert.equal(timed.ok, false);
  } finally {
    await pool.close();
  }
});

test('a burst gets a second spawner, never more, gone once idle; SIGTERM or SIGINT to a spawner is ignored', async () => {
  const pool = new ShellPool(500);
  try {
    const burst = Array.from({ length: 100 }, () => pool.run(req('sleep 1')));
    assert.equal(pool.pids.length, 2);
    await waitFor(() => pool.waiting === 0, { what: 'both spawners up', timeoutMs: 10_000 });
    for (const pid of pool.pids) {
      process.kill(pid, 'SIGTERM');
      process.kill(pid, 'SIGINT');
    }
    const results = await Promise.all(burst.map((t) => t.result));
    assert.ok(
      results.every((r) => r.ok),
      JSON.stringify(results.find((r) => !r.ok)),
    );
    assert.equal(pool.pids.length, 2);
    // Idle: the extra spawner goes, the first one stays for the next task.
    await waitFor(() => pool.pids.length === 1, { what: 'the extra spawner gone', timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(pool.pids.length, 1);
    assert.equal((await pool.run(req('echo still')).result).output, 'still\n');
  } finally {
    await pool.close();
  }
  assert.equal(pool.pids.length, 0);
});

test('a spawner that dies fails what it ran, with the reason; the next command gets a new one', async () => {
  const pool = new ShellPool();
  try {
    const pending = pool.run(req('sleep 2; echo late')).result;
    const [pid] = pool.pids;
    await new Promise((r) => setTimeout(r, 200));
    process.kill(pid as number, 'SIGKILL');
    const r = await pending;
    assert.equal(r.ok, false);
    assert.match(r.error ?? '', /shell spawner exited \(SIGKILL\); the command's outcome is unknown/);
    const again = await pool.run(req('echo again')).result;
    assert.equal(again.output, 'again\n');
    assert.notEqual(pool.pids[0], pid);
  } finally {
    await pool.close();
  }
});

test('closing fails what still runs, with the reason', async () => {
  const pool = new ShellPool();
  const pending = pool.run(req('sleep 2; echo late')).result;
  await new Promise((r) => setTimeout(r, 200));
  await pool.close();
  const r = await pending;
  assert.equal(r.ok, false);
  assert.match(r.error ?? '', /the daemon stopped; the command's outcome is unknown/);
});
