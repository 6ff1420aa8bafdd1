// Which process a pidfile may name: the one holding it open; for another user's process, whose
// descriptors cannot be listed, one whose command line is `ktimer ... start|restart`.
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isDaemonCommand, isDaemonOf } from '../../src/daemon/daemon-identity.js';

test('a process is the daemon of a pidfile while it holds that file open', () => {
  const pidfile = join(mkdtempSync(join(tmpdir(), 'ktimer-id-')), 'ktimer.pid');
  writeFileSync(pidfile, `${process.pid}\n`);
  assert.equal(isDaemonOf(process.pid, pidfile), false, 'written, not held');
  const fd = openSync(pidfile, 'r');
  assert.equal(isDaemonOf(process.pid, pidfile), true);
  closeSync(fd);
  assert.equal(isDaemonOf(process.pid, pidfile), false);
  assert.equal(isDaemonOf(process.pid, join(pidfile, '..', 'missing.pid')), false);
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
