// `ktimer apply` of a file of thousands of tasks, as users run it (issue 25's numbers): several
// batches, each task added once with its runed.log line and its entry in the changes stream
// (who changed what: written 100 entries a script call); the same file again plans no change
// and writes nothing at all, counted by Redis itself (INFO persistence).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { BIN, readLogLines, runCli, taskKeys, writeTestConfig } from '../helpers/cli.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { niceOfThreads } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';

const redis = usePrivateRedis();
/** Many batches (of about 1 ms of Redis each), half of them cron tasks. */
const TASKS = 2100;

function applyFile(n: number): string {
  const lines = ['group: many', 'tasks:'];
  for (let i = 0; i < n; i++) {
    lines.push(`  job-${i}:`);
    if (i % 2 === 0) lines.push('    type: ticker', `    time: ${3600 + i}`);
    else lines.push('    type: cron', `    cron: "0 ${i % 60} ${i % 24} * * *"`, '    tz: Europe/Berlin');
    lines.push(`    command: echo ${i}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Redis' own count of changes to its data (no save runs in the test server: it only grows). */
async function redisChanges(): Promise<number> {
  const info = await redis.client.info('persistence');
  return Number(/rdb_changes_since_last_save:(\d+)/.exec(info)?.[1]);
}

test('a file of thousands of tasks applies in batches, each task told once; again, nothing is written', async () => {
  await redis.ready();
  const prefix = 'many';
  const config = writeTestConfig({ redisPort: redis.server.port, prefix });
  const file = join(dirname(config), 'jobs.yaml');
  writeFileSync(file, applyFile(TASKS));
  const first = await runCli(['apply', file, '--config', config], { timeoutMs: 60_000 });
  assert.equal(first.stderr, '');
  assert.equal(first.code, 0);
  assert.match(first.stdout, new RegExp(`${TASKS} to add, 0 to change, 0 to remove, 0 unchanged`));
  assert.equal(await redis.client.hlen(taskKeys(prefix).pool), TASKS);
  assert.equal(await redis.client.xlen(`${prefix}:tasks:lock:changes`), TASKS, 'an entry per task added');
  const logged = readLogLines(join(dirname(config), 'log', 'runed.log')).filter((l) => l.event === 'add');
  assert.equal(logged.length, TASKS, 'a runed.log line per task added');

  const before = await redisChanges();
  assert.ok(before >= TASKS, 'the count moves with writes');
  const again = await runCli(['apply', file, '--config', config], { timeoutMs: 60_000 });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`0 to add, 0 to change, 0 to remove, ${TASKS} unchanged`));
  assert.equal(await redisChanges(), before, 'the same file again writes nothing to Redis');
  assert.equal(await redis.client.xlen(`${prefix}:tasks:lock:changes`), TASKS, 'and records no change');
});

test(
  'apply yields to firing: every thread of it runs 10 nicer than a daemon',
  { skip: process.platform !== 'linux' },
  async () => {
    await redis.ready();
    const config = writeTestConfig({ redisPort: redis.server.port, prefix: 'nice' });
    // Its file from stdin, held open: the command waits for it, reniced already.
    const child = spawn(process.execPath, [BIN, 'apply', '-', '--config', config], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const threads = await waitFor(
        () => {
          const threads = niceOfThreads(child.pid as number);
          return threads.every((t) => t.nice === 10) ? threads : null;
        },
        { what: 'every thread of apply at nice 10' },
      );
      assert.ok(threads.length > 1, `the helper threads too: ${threads.length}`);
      child.stdin.end(applyFile(3));
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
    }
    assert.equal(await redis.client.hlen(taskKeys('nice').pool), 3);
  },
);
