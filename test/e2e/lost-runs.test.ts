// A daemon SIGKILLed mid-run, another daemon on the same Redis (issue 29): the dead daemon's
// spawner stops its command within shutdown_grace (SIGTERM, SIGKILL), the command never finishes,
// and the other daemon records the run lost once its lease ran out (task_lost_after). A task with
// retries gets its next attempt then, after its retry delay; an -overlap=skip task's next run
// starts only then: neither runs beside the orphan.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Attempts } from '../helpers/attempts.js';
import { writeTestConfig } from '../helpers/cli.js';
import { TestDaemon } from '../helpers/daemon.js';
import { groupRunning } from '../helpers/proc.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const redis = usePrivateRedis();
const daemons: TestDaemon[] = [];
after(() => {
  for (const d of daemons) d.kill();
});

const LOST_AFTER_SEC = 6;
const GRACE_SEC = 2;

/** Daemons A and B on one Redis and key prefix; A alone is started. */
async function pair(): Promise<{ a: TestDaemon; b: TestDaemon }> {
  const prefix = `lost${daemons.length}x${process.pid}`;
  const extra = { default: [`task_lost_after = ${LOST_AFTER_SEC}`, `shutdown_grace = ${GRACE_SEC}`] };
  const [a, b] = [0, 1].map(
    () => new TestDaemon(writeTestConfig({ redisPort: redis.server.port, prefix, extra })),
  ) as [TestDaemon, TestDaemon];
  daemons.push(a, b);
  await a.start();
  return { a, b };
}

/** Kills A by SIGKILL once its command runs, starts B, and waits for the orphan's death. */
async function killMidRun(a: TestDaemon, b: TestDaemon, attempts: Attempts) {
  const pgid = await attempts.running();
  await b.start();
  a.kill('SIGKILL');
  const killedMs = Date.now();
  await a.waitExit();
  const diedMs = await waitFor(() => (groupRunning(pgid) ? 0 : Date.now()), {
    what: 'the orphan stopped by its spawner',
    timeoutMs: GRACE_SEC * 1000 + 5000,
    intervalMs: 20,
  });
  return { killedMs, diedMs };
}

const newAttempts = (b: TestDaemon) =>
  new Attempts(join(mkdtempSync(join(tmpdir(), 'kt-lost-')), 'run'), b.config);

test('a run lost with its SIGKILLed daemon is retried on the other daemon, after its orphan died', async () => {
  const { a, b } = await pair();
  const attempts = newAttempts(b);
  const kid = await a.add(['-time=1', '-retries=2', '-retry_delay=1', `-command=${attempts.command}`]);
  const { killedMs, diedMs } = await killMidRun(a, b, attempts);
  const retryMs = await attempts.quickStarted((LOST_AFTER_SEC + 10) * 1000);
  const termMs = attempts.termMs();
  const figures = {
    killed: 0,
    orphan_sigterm: termMs - killedMs,
    orphan_dead_by: diedMs - killedMs,
    retry_started: retryMs - killedMs,
  };
  process.stdout.write(`# lost-run timeline, ms after SIGKILL: ${JSON.stringify(figures)}\n`);
  assert.ok(termMs < diedMs, 'it got SIGTERM first');
  assert.ok(diedMs < retryMs, `the orphan was dead before the retry began: ${JSON.stringify(figures)}`);
  // The retry waits for the lease (at most task_lost_after, from the last renewal) and the retry
  // delay (1 s, +-20 %), and the claim that sees it comes within a second.
  assert.ok(
    retryMs - killedMs <= (LOST_AFTER_SEC + 1.2 + 1) * 1000,
    `retry within task_lost_after + retry_delay + 1 s: ${JSON.stringify(figures)}`,
  );
  await waitFor(async () => JSON.parse((await b.cli(['history', kid, '--json'])).stdout).runs.length === 2, {
    what: 'the retry on record',
  });
  const history = JSON.parse((await b.cli(['history', kid, '--json'])).stdout) as {
    runs: { fire_id: string; result: string; retry_at?: number }[];
  };
  assert.deepEqual(
    history.runs.map((r) => [r.fire_id, r.result]),
    [
      [`${kid}:1.2`, 'ok'],
      [`${kid}:1`, 'lost'],
    ],
  );
  assert.ok(history.runs[1]?.retry_at, 'the lost record says when its retry was due');
  const lost = b.log('runed').find((e) => e.event === 'lost');
  assert.match(String(lost?.msg), /recorded lost; attempt 2 is due at/);
  assert.equal(attempts.finished(), false, 'the orphan never finished');
});

test('-overlap=skip: the next run after a daemon killed mid-run never overlaps its orphan', async () => {
  const { a, b } = await pair();
  const attempts = newAttempts(b);
  const kid = await a.add(['-type=ticker', '-time=1', '-overlap=skip', `-command=${attempts.command}`]);
  const { killedMs, diedMs } = await killMidRun(a, b, attempts);
  const nextMs = await attempts.quickStarted((LOST_AFTER_SEC + 10) * 1000);
  const figures = { killed: 0, orphan_dead_by: diedMs - killedMs, next_run_started: nextMs - killedMs };
  process.stdout.write(`# overlap=skip timeline, ms after SIGKILL: ${JSON.stringify(figures)}\n`);
  assert.ok(diedMs < nextMs, `the next run started after the orphan died: ${JSON.stringify(figures)}`);
  await b.cli(['del', kid]);
  const runs = (
    JSON.parse((await b.cli(['history', kid, '--json'])).stdout) as { runs: { result: string }[] }
  ).runs.map((r) => r.result);
  assert.equal(runs.filter((r) => r === 'lost').length, 1, `one run lost: ${runs.join(' ')}`);
  assert.ok(runs.includes('skipped'), `runs due meanwhile were skipped: ${runs.join(' ')}`);
  assert.equal(attempts.finished(), false, 'the orphan never finished');
});
