// Alerts end to end ([notify]): a real daemon POSTs a task's run record to a local receiver after
// failure_threshold failures in a row, and again when it recovers; credentials in the URL go as
// Basic authentication; a receiver that hangs or fails delays no fire and ends in error.log.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TestDaemon } from '../helpers/daemon.js';
import { writeTestConfig } from '../helpers/cli.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

interface Received {
  path: string;
  auth: string | undefined;
  body: Record<string, unknown>;
}

const redis = usePrivateRedis();
const received: Received[] = [];
/** How the receiver answers: 200, 500, or never (hang). */
let mode: 'ok' | 'fail' | 'hang' = 'ok';
const hanging: ServerResponse[] = [];
const receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
  let text = '';
  req.setEncoding('utf8').on('data', (c: string) => {
    text += c;
  });
  req.on('end', () => {
    received.push({ path: req.url ?? '', auth: req.headers.authorization, body: JSON.parse(text) });
    if (mode === 'hang') hanging.push(res);
    else res.writeHead(mode === 'ok' ? 204 : 500).end();
  });
});
let daemon: TestDaemon;

before(async () => {
  await redis.ready();
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as AddressInfo).port;
  daemon = new TestDaemon(
    writeTestConfig({
      redisPort: redis.server.port,
      extra: {
        notify: [
          `on_failure = http://alert:s3cret@127.0.0.1:${port}/failed`,
          `on_recovery = http://127.0.0.1:${port}/recovered`,
          'failure_threshold = 2',
          'timeout = 1',
        ],
      },
    }),
  );
  await daemon.start();
});
after(async () => {
  daemon?.kill();
  for (const res of hanging) res.destroy();
  await new Promise((r) => receiver.close(r));
});

const alertsOf = (kid: string, path: string) => received.filter((r) => r.body.kid === kid && r.path === path);

test('an alert after failure_threshold failures in a row, each failure after it, and one on recovery', async () => {
  const flag = join(daemon.dir, 'healthy');
  const kid = await daemon.add(['-type=ticker', '-time=1', `-command=test -f ${flag}`]);
  await waitFor(() => alertsOf(kid, '/failed').length >= 2, {
    what: 'two failure alerts',
    timeoutMs: 15_000,
  });
  const failures = daemon.fires().filter((e) => e.kid === kid && e.ok === false);
  const [first, second] = alertsOf(kid, '/failed') as [Received, Received];
  // The first failure alone sends nothing: the first alert is the second failure's.
  assert.equal(first.body.failures_in_a_row, 2);
  assert.equal(second.body.failures_in_a_row, 3);
  assert.ok(failures.length >= 3);
  assert.equal(first.body.event, 'failure');
  assert.equal(first.body.result, 'failed');
  assert.equal(first.body.exit_code, 1);
  assert.equal(first.body.fire_id, `${kid}:2`);
  assert.equal(typeof first.body.sent_by, 'string');
  assert.equal(first.auth, `Basic ${Buffer.from('alert:s3cret').toString('base64')}`);
  writeFileSync(flag, '');
  await waitFor(() => alertsOf(kid, '/recovered').length === 1, { what: 'the recovery alert' });
  const [recovery] = alertsOf(kid, '/recovered') as [Received];
  assert.equal(recovery.body.event, 'recovery');
  assert.equal(recovery.body.result, 'ok');
  assert.ok((recovery.body.failures_in_a_row as number) >= 3);
  assert.equal(recovery.auth, undefined);
  // Healthy from now on: no more alerts of either kind.
  const okRuns = () => daemon.fires().filter((e) => e.kid === kid && e.ok === true).length;
  const seen = okRuns();
  await waitFor(() => okRuns() >= seen + 2, { what: 'two more good runs' });
  assert.equal(alertsOf(kid, '/recovered').length, 1);
  assert.equal(
    daemon.log('runed').filter((e) => e.event === 'alert' && e.kid === kid).length,
    received.filter((r) => r.body.kid === kid).length,
  );
  assert.equal((await daemon.cli(['del', kid])).code, 0);
  // The password of the URL is in no log.
  assert.ok(!JSON.stringify(daemon.log('runed')).includes('s3cret'));
});

test('a receiver that hangs or fails delays no fire: the alert is tried 3 times, then logged in error.log', async () => {
  mode = 'hang';
  const failing = await daemon.add(['-type=ticker', '-time=1', '-limit=2', '-command=false']);
  const steady = await daemon.add(['-type=ticker', '-time=1', '-limit=8', '-command=true']);
  await waitFor(() => daemon.log('error').some((e) => e.event === 'alert_failed' && e.kid === failing), {
    what: 'the alert given up',
    timeoutMs: 20_000,
  });
  const given = daemon.log('error').find((e) => e.event === 'alert_failed' && e.kid === failing) as Record<
    string,
    unknown
  >;
  assert.match(String(given.err), /no reply within 1 s/);
  assert.equal(String(given.url).includes('s3cret'), false, 'the URL is masked in error.log');
  assert.equal(alertsOf(failing, '/failed').length, 3, 'tried 3 times');
  await waitFor(() => daemon.fires().filter((e) => e.kid === steady).length === 8, {
    what: 'the steady ticker',
  });
  const lateness = daemon
    .fires()
    .filter((e) => e.kid === steady)
    .map((e) => e.lateness_ms as number);
  assert.ok(Math.max(...lateness) < 200, `fires stay on time while alerts hang: ${lateness.join(', ')} ms`);
  mode = 'fail';
  const other = await daemon.add(['-type=ticker', '-time=1', '-limit=2', '-command=false']);
  await waitFor(() => daemon.log('error').some((e) => e.event === 'alert_failed' && e.kid === other), {
    what: 'the alert given up after HTTP 500',
    timeoutMs: 20_000,
  });
  const refused = daemon.log('error').find((e) => e.event === 'alert_failed' && e.kid === other);
  assert.match(String(refused?.err), /HTTP 500/);
  assert.ok(existsSync(daemon.config));
});
