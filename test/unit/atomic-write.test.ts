// The pidfile and the state file are replaced through a temp file that is created exclusively,
// under a random name, never through a symlink: a link planted where the temp file used to be
// (`<file>.<pid>.tmp`, predictable) does not make ktimer overwrite its target.
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic } from '../../src/atomic-write.js';
import { removePidfile, writePidfile } from '../../src/daemon/pidfile.js';
import { type DaemonState, readState, writeState } from '../../src/daemon/state-file.js';

const dir = () => mkdtempSync(join(tmpdir(), 'ktimer-atomic-'));

function victim(where: string): string {
  const file = join(where, 'victim');
  writeFileSync(file, 'precious\n');
  return file;
}

test('the pidfile: a symlink at the old temp name is neither followed nor removed', () => {
  const d = dir();
  const target = victim(d);
  const pidfile = join(d, 'ktimer.pid');
  for (const pid of [process.pid, 4242]) {
    symlinkSync(target, `${pidfile}.${pid}.tmp`);
    writePidfile(pidfile, pid);
    assert.equal(readFileSync(pidfile, 'utf8'), `${pid}\n`);
    assert.equal(readFileSync(target, 'utf8'), 'precious\n');
    assert.equal(statSync(pidfile).isSymbolicLink(), false);
  }
  removePidfile(pidfile, 4242);
  assert.equal(existsSync(pidfile), false);
});

test('the state file: the same, and it is created 0640', () => {
  const d = dir();
  const target = victim(d);
  const path = join(d, 'ktimer.state.json');
  symlinkSync(target, `${path}.${process.pid}.tmp`);
  const state = { pid: process.pid, fired_total: 3 } as unknown as DaemonState;
  writeState(path, state, 0o640);
  assert.equal(readFileSync(target, 'utf8'), 'precious\n');
  assert.deepEqual(readState(path), state);
  // 0640 less the umask: nothing for others, no write for the group.
  assert.equal(statSync(path).mode & 0o627, 0o600);
});

test('temp names are random, and nothing is left behind', () => {
  const d = dir();
  const path = join(d, 'file');
  for (let i = 0; i < 20; i++) writeFileAtomic(path, `${i}\n`, 0o600);
  assert.equal(readFileSync(path, 'utf8'), '19\n');
  assert.deepEqual(readdirSync(d), ['file']);
  assert.equal(statSync(path).mode & 0o077, 0);
});
