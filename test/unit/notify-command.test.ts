// A notify command runs for at most [notify] timeout, whatever it leaves behind.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { alertBody } from '../../src/notify/alert-body.js';
import { runNotifyCommand } from '../../src/notify/notify-command.js';
import type { RunRecord } from '../../src/store/open-store.js';

test('a command whose own child left its group holding stderr is let go at the timeout', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ktimer-notify-'));
  const pidFile = join(dir, 'pid');
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
  const started = Date.now();
  try {
    const said = await runNotifyCommand(
      { command: `setsid sleep 20 & echo $! > ${pidFile}; exit 1`, cwd: dir, timeoutMs: 300 },
      body,
    );
    assert.equal(said, 'exit 1');
    assert.ok(Date.now() - started < 5000, `let go after ${Date.now() - started} ms`);
  } finally {
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
  }
});
