// A notify command runs for at most [notify] timeout, and holds its alert's slot no longer than
// its bash does, whatever it leaves behind.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { alertBody } from '../../src/notify/alert-body.js';
import { runNotifyCommand } from '../../src/notify/notify-command.js';
import type { RunRecord } from '../../src/store/open-store.js';

const record: RunRecord = {
  fire_id: 'k1:1',
  kid: 'k1',
  type: 'ticker',
  kind: 'shell',
  due: 1,
  finished: 2,
  result: 'failed',
  ok: false,
  exit_code: 1,
  host: 'web1',
  pid: 42,
  trigger: 'schedule',
  attempt: 1,
  output_bytes: [0, 0],
};
const body = alertBody({ record, task: {} }, 'failure', 1, 'web1', (text) => text);

test('a command whose child left its group holding stderr is let go soon after bash ends, not when that child does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ktimer-notify-'));
  const pidFile = join(dir, 'pid');
  const started = Date.now();
  try {
    const said = await runNotifyCommand(
      { command: `setsid sleep 20 & echo $! > ${pidFile}; exit 1`, cwd: dir, timeoutMs: 10_000 },
      body,
    );
    assert.equal(said, 'exit 1');
    assert.ok(Date.now() - started < 5000, `let go after ${Date.now() - started} ms`);
  } finally {
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
  }
});

test('a command past its timeout is killed with what it started, and said so', async () => {
  const said = await runNotifyCommand(
    { command: 'sleep 20 & sleep 20', cwd: tmpdir(), timeoutMs: 300 },
    body,
  );
  assert.equal(said, 'no end within 0.3 s: killed');
});

test('a failing command: its exit status and what it said on stderr', async () => {
  const said = await runNotifyCommand(
    { command: 'read -r line; echo "got ${#line} bytes" >&2; exit 3', cwd: tmpdir(), timeoutMs: 5000 },
    body,
  );
  assert.match(said, /^exit 3: got \d+ bytes$/);
});
