// Clock skew: a daemon whose machine clock runs 5 s ahead (or behind) still fires on the
// Redis server's time: never early, not late. The skew is made with libfaketime.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { writeTestConfig } from '../helpers/cli.js';
import { TestDaemon } from '../helpers/daemon.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';
import { plan, report, seed, Sink, tally } from './fleet.js';

const FAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const redis = usePrivateRedis();
let sink: Sink;

before(async () => {
  assert.ok(existsSync(FAKETIME), `${FAKETIME} is missing: apt-get install -y faketime`);
  sink = new Sink();
  await sink.start();
});
after(() => sink.close());

for (const [skew, tag] of [
  ['+5s', '0a'],
  ['-5s', '0b'],
] as const) {
  test(`a daemon whose clock is ${skew} off fires on Redis time`, async () => {
    const prefix = `skew${tag}`;
    const d = new TestDaemon(writeTestConfig({ redisPort: redis.server.port, prefix }), {
      FAKETIME: skew,
      LD_PRELOAD: FAKETIME,
    });
    await d.start();
    try {
      const nowSec = Number((await redis.client.time())[0]);
      const tasks = plan({
        tag,
        sinkUrl: sink.url(),
        startSec: nowSec + 2,
        spreadSec: 4,
        timers: 200,
        tickers: 0,
        tickerEverySec: 1,
        tickerLimit: 1,
      });
      await seed(redis.client, prefix, tasks);
      await waitFor(() => tally(tasks, sink).lost === 0, { what: 'every fire', timeoutMs: 20_000 });
      const t = tally(tasks, sink);
      // The skew is real: the daemon itself sees it.
      const seen = JSON.parse((await d.cli(['info', '--json'])).stdout).daemon_clock_skew_ms as number;
      assert.ok(Math.abs(seen - (skew === '+5s' ? 5000 : -5000)) < 1000, `daemon clock skew ${seen} ms`);
      report(`clock-skew${skew}`, { skew_ms: seen, fired: t.fired, early: t.early, lateness_ms: t.lateness });
      assert.equal(t.early, 0);
      assert.ok(t.lateness.max < 1000, `max lateness ${t.lateness.max} ms`);
    } finally {
      d.kill();
    }
  });
}
