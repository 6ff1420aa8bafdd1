// Which process a pidfile may name: the one holding it open whose command line is `ktimer ...
// start|restart`; for another user's process, whose descriptors cannot be listed, the command
// line alone.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { isDaemonCommand, isDaemonOf } from '../../src/daemon/daemon-identity.js';

/** A process holding `pidfile` open, started as `bash DIR/NAME ARGS...`; its pid written in the file. */
async function holder(pidfile: string, name: string, args: string[]): Promise<ChildProcess> {
  const script = join(dirname(pidfile), name);
  writeFileSync(script, 'exec 9<"$KT_PIDFILE"; echo held; read -r _\n');
  const child = spawn('bash', [script, ...args], { env: { ...process.env, KT_PIDFILE: pidfile } });
  await once(child.stdout, 'data');
  writeFileSync(pidfile, `${child.pid}\n`);
  return child;
}

test('a process is the daemon of a pidfile while it holds that file open, started as `ktimer start`', async () => {
  const pidfile = join(mkdtempSync(join(tmpdir(), 'ktimer-id-')), 'ktimer.pid');
  writeFileSync(pidfile, `${process.pid}\n`);
  assert.equal(isDaemonOf(process.pid, pidfile), false, 'written, not held');
  const daemon = await holder(pidfile, 'ktimer', ['start', '--config', 'c.ini']);
  try {
    assert.equal(isDaemonOf(daemon.pid ?? 0, pidfile), true);
    assert.equal(isDaemonOf(daemon.pid ?? 0, join(pidfile, '..', 'missing.pid')), false);
  } finally {
    daemon.kill('SIGKILL');
  }
});

test('a process that only holds the pidfile open, its pid in it, is not the daemon', async () => {
  const pidfile = join(mkdtempSync(join(tmpdir(), 'ktimer-id-')), 'ktimer.pid');
  for (const [name, args] of [
    ['tail', ['-f', 'ktimer.pid']],
    ['ktimer', ['status']],
  ] as const) {
    const impostor = await holder(pidfile, name, [...args]);
    try {
      assert.equal(isDaemonOf(impostor.pid ?? 0, pidfile), false, `${name} ${args.join(' ')}`);
    } finally {
      impostor.kill('SIGKILL');
    }
  }
  // The test runner holds it open too, and is no daemon.
  const fd = openSync(pidfile, 'r');
  writeFileSync(pidfile, `${process.pid}\n`);
  assert.equal(isDaemonOf(process.pid, pidfile), false);
  closeSync(fd);
});

test('the command line that counts when descriptors cannot be listed', () => {
  assert.equal(isDaemonCommand(['node', '/opt/ktimer/bin/ktimer', 'start', '--config', '/c.ini']), true);
  assert.equal(
    isDaemonCommand(['/usr/bin/node', '/usr/local/bin/ktimer', '--config', 'c', 'restart', '-d']),
    true,
  );
  assert.equal(isDaemonCommand(['bash', '-c', 'sleep 300; : tail ktimer']), false);
  assert.equal(isDaemonCommand(['node', '/opt/ktimer/bin/ktimer', 'status']), false);
  assert.equal(isDaemonCommand(['vim', 'start', 'ktimer']), false);
  assert.equal(isDaemonCommand([]), false);
});
