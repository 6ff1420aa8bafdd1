// A network partition between one daemon and Redis (issue 29, docs/guarantees.md "Lost runs and
// their retries"): daemon A runs a command when a proxy between it and Redis goes silent. A, alive
// but unable to renew the run's lease, stops its own command before the lease runs out
// (self-fencing); daemon B, which still reaches Redis, records the run lost once the lease ran out
// and runs its retry. The timestamps show A's command dead before B's retry began; the history
// has the run once (lost) and its retry once, also after the partition heals and A tries to put
// the run it stopped on record.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Attempts } from '../helpers/attempts.js';
import { writeTestConfig } from '../helpers/cli.js';
import { TestDaemon } from '../helpers/daemon.js';
import { groupRunning } from '../helpers/proc.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait.js';

const redis = usePrivateRedis();
const daemons: TestDaemon[] = [];
let proxy: TcpProxy | undefined;
after(async () => {
  for (const d of daemons) d.kill();
  await proxy?.close();
});

/** task_lost_after and shutdown_grace of both daemons: the fence's stop wait is 1.5 s. */
const LOST_AFTER_SEC = 6;
const settings = { default: [`task_lost_after = ${LOST_AFTER_SEC}`, 'shutdown_grace = 2'] };

test('partition: the cut-off daemon stops its command before the other daemon retries the run, recorded once', async () => {
  proxy = await TcpProxy.start(redis.server.port);
  const prefix = `part${process.pid}`;
  const a = new TestDaemon(writeTestConfig({ redisPort: proxy.port, prefix, extra: settings }));
  const b = new TestDaemon(writeTestConfig({ redisPort: redis.server.port, prefix, extra: settings }));
  daemons.push(a, b);
  await a.start();
  const attempts = new Attempts(join(a.dir, 'run'), b.config);
  const kid = await a.add(['-time=1', '-retries=1', '-retry_delay=1', `-command=${attempts.command}`]);
  const pgid = await attempts.running();
  await b.start();
  proxy.cut();
  const cutMs = Date.now();
  // A's command dies (SIGTERM, then SIGKILL: it ignores SIGTERM) while A lives, cut off.
  const diedMs = await waitFor(() => (groupRunning(pgid) ? 0 : Date.now()), {
    what: "A's command stopped by A",
    timeoutMs: LOST_AFTER_SEC * 1000 + 5000,
    intervalMs: 20,
  });
  assert.equal(a.alive(), true, 'A is alive: a partition, not a crash');
  // B records the run lost once its lease ran out, and runs the retry.
  const retryMs = await attempts.quickStarted(20_000);
  const termMs = attempts.termMs();
  const figures = {
    cut: 0,
    sigterm: termMs - cutMs,
    dead_by: diedMs - cutMs,
    retry_started: retryMs - cutMs,
  };
  process.stdout.write(`# partition timeline, ms after the cut: ${JSON.stringify(figures)}\n`);
  assert.ok(termMs < diedMs, `SIGTERM first: ${JSON.stringify(figures)}`);
  assert.ok(diedMs < retryMs, `A's command was dead before B's retry began: ${JSON.stringify(figures)}`);
  assert.ok(retryMs - cutMs < (LOST_AFTER_SEC + 4) * 1000, `the retry came: ${JSON.stringify(figures)}`);
  const fenced = a.log('error').filter((e) => e.event === 'fenced');
  assert.deepEqual(
    fenced.map((e) => e.fire_id),
    [`${kid}:1`],
    'A said once in error.log why it stopped its run',
  );

  // The partition heals: A reconnects and tries to put the run it stopped on record; the run is
  // B's record already (lost), so A's is not kept.
  proxy.heal();
  await waitFor(() => a.log('error').some((e) => e.event === 'finished_after_lost'), {
    what: 'A told the run was recorded lost already',
    timeoutMs: 30_000,
  });
  const history = JSON.parse((await b.cli(['history', kid, '--json'])).stdout) as {
    runs: { fire_id: string; result: string; attempt?: number; trigger?: string; host: string }[];
  };
  assert.deepEqual(
    history.runs.map((r) => [r.fire_id, r.result, r.trigger]),
    [
      [`${kid}:1.2`, 'ok', 'retry'],
      [`${kid}:1`, 'lost', 'schedule'],
    ],
    'the run once (lost), its retry once',
  );
  assert.equal(
    attempts.lines().filter((l) => l.startsWith('start ')).length,
    2,
    'two attempts started, no more',
  );
  assert.equal(attempts.finished(), false, "A's command never finished");
});
