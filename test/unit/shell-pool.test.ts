// The daemon runs shell tasks on a worker thread: the same results as runShell in-process,
// kills reach the process group, and a thread that goes away fails its tasks clearly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShellPool } from '../../src/runner/shell-pool.js';

const req = (command: string, timeoutMs = 0) => ({
  kid: 'k'.repeat(32),
  command,
  dueMs: 1_800_000_000_000,
  timeoutMs,
});

test('commands run on the thread: exit code, signal, output, environment', async () => {
  const pool = new ShellPool();
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

test('kill() from the main thread ends the command; a timeout is enforced on the thread', async () => {
  const pool = new ShellPool();
  try {
    const t = pool.run(req('sleep 30'));
    setTimeout(() => t.kill('SIGTERM'), 100);
    const r = await t.result;
    assert.equal(r.signal, 'SIGTERM');
    const timed = await pool.run(req('sleep 30', 200)).result;
    assert.equal(timed.timedOut, true);
    assert.equal(timed.ok, false);
  } finally {
    await pool.close();
  }
});

test('closing the thread fails what it ran, with the reason; the next command gets a new thread', async () => {
  const pool = new ShellPool();
  const pending = pool.run(req('sleep 0.5; echo late')).result;
  await new Promise((r) => setTimeout(r, 100));
  await pool.close();
  const r = await pending;
  assert.equal(r.ok, false);
  assert.match(r.error ?? '', /the daemon stopped; the command's outcome is unknown/);
  const again = await pool.run(req('echo again')).result;
  assert.equal(again.output, 'again\n');
  await pool.close();
});
