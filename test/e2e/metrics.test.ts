// /metrics, /healthz and `ktimer check` against a real daemon, real fires and a real Redis that
// is stopped and started again: what a scraper, a probe and a monitoring script see.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';
import { useWebDaemon } from '../helpers/web-daemon.js';

const PASSWD = 'metrics-test-password';
const TOKEN = 'scrape-token-0123456789abcdef';
const redis = usePrivateRedis();
const web = useWebDaemon(redis, PASSWD, {
  // Exactly 127.0.0.1: a request from 127.0.0.2 (the same machine) is an address not allowed.
  web: [`metrics_token = ${TOKEN}`, 'web_allow_ip = 127.0.0.1,::1'],
  // Alerts to a port nobody listens on: each failure's alert is tried 3 times and given up.
  notify: ['on_failure = http://127.0.0.1:9/alerts', 'timeout = 1'],
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(path: string, headers: Record<string, string> = {}, localAddress?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: web.port, path, headers, localAddress }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    })
      .on('error', reject)
      .end();
  });
}

const scrape = () => get('/metrics', { authorization: `Bearer ${TOKEN}` });

/** The value of one series, or undefined when the scrape has none. */
function series(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

test('a scrape counts real fires by kind and result, with their lateness and duration', async () => {
  const d = web.daemon;
  await d.add(['-time=1', '-command=true']);
  await d.add(['-time=1', '-command=exit 3']);
  await d.add(['-time=1', '-timeout=1', '-command=sleep 10']);
  await d.add(['-time=1', '-command=http://127.0.0.1:9/closed-port']);
  await d.waitForFires(4, 20_000);
  const fired = (name: string) => `ktimer_fires_total{kind="${name}`;
  const text = await waitFor(
    async () => {
      const res = await scrape();
      return series(res.body, `${fired('shell')}",result="timed_out"}`) === 1 ? res.body : null;
    },
    { what: 'the timed-out fire in a scrape' },
  );
  assert.equal(series(text, `${fired('shell')}",result="ok"}`), 1);
  assert.equal(series(text, `${fired('shell')}",result="failed"}`), 1);
  assert.equal(series(text, `${fired('url')}",result="failed"}`), 1);
  assert.equal(series(text, `${fired('url')}",result="ok"}`), 0);
  assert.equal(series(text, `${fired('shell')}",result="lost"}`), 0);
  assert.equal(series(text, 'ktimer_fire_lateness_seconds_count{kind="shell"}'), 3);
  assert.equal(series(text, 'ktimer_fire_lateness_seconds_count{kind="url"}'), 1);
  // Fired on time: every lateness under a second (the +Inf bucket holds them all too).
  assert.equal(series(text, 'ktimer_fire_lateness_seconds_bucket{le="1",kind="shell"}'), 3);
  assert.ok((series(text, 'ktimer_run_duration_seconds_sum{kind="shell"}') ?? 0) >= 1, 'the 1 s timeout');
  assert.ok((series(text, 'ktimer_claim_duration_seconds_count') ?? 0) > 0);
  assert.equal(series(text, 'ktimer_redis_up'), 1);
  assert.equal(series(text, 'ktimer_tasks'), 0);
  assert.equal(series(text, 'ktimer_running_tasks{kind="shell"}'), 0);
  assert.ok((series(text, 'process_resident_memory_bytes') ?? 0) > 0);
});

test('runs skipped by -overlap=skip, retries and alerts given up are counted', async () => {
  const d = web.daemon;
  await d.add(['-type=ticker', '-time=1', '-limit=4', '-overlap=skip', '-command=sleep 2.5']);
  await d.add(['-time=1', '-retries=1', '-retry_delay=1', '-command=exit 4']);
  const count = (body: string, name: string) => series(body, name) ?? 0;
  const body = await waitFor(
    async () => {
      const res = (await scrape()).body;
      const ok =
        count(res, 'ktimer_fires_total{kind="shell",result="skipped"}') >= 1 &&
        count(res, 'ktimer_retries_total{kind="shell"}') >= 1 &&
        count(res, 'ktimer_notification_failures_total') >= 1;
      return ok ? res : null;
    },
    { what: 'skipped, retried and alert failures in a scrape', timeoutMs: 30_000 },
  );
  assert.ok(count(body, 'ktimer_fires_total{kind="shell",result="skipped"}') >= 1);
  assert.ok(d.log('error').some((e) => e.event === 'alert_failed'));
});

test('the task gauges count tasks and paused ones, from Redis, at the scrape', async () => {
  const d = web.daemon;
  const kid = await d.add(['-time=3600', '-command=true']);
  await d.add(['-time=3600', '-command=true']);
  assert.equal((await d.cli(['pause', kid])).code, 0);
  // A scrape is reused for half a second: the next one within a second shows them.
  const text = await waitFor(async () => {
    const body = (await scrape()).body;
    return series(body, 'ktimer_tasks') === 2 ? body : null;
  });
  assert.equal(series(text, 'ktimer_tasks_paused'), 1);
  assert.equal((await d.cli(['clear', '--yes'])).code, 0);
});

test('/metrics: the Bearer token or the passwd; anything else 401; an address not allowed gets no reply', async () => {
  const ok = await scrape();
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  assert.match(ok.body, /^# TYPE ktimer_fires_total counter$/m);
  const byPasswd = await get(`/metrics?passwd=${PASSWD}`);
  assert.equal(byPasswd.status, 200);
  for (const [what, res] of [
    ['wrong token', await get('/metrics', { authorization: 'Bearer wrong-token-0123456789' })],
    ['the passwd as token', await get('/metrics', { authorization: `Bearer ${PASSWD}` })],
    ['nothing', await get('/metrics')],
    ['wrong passwd', await get('/metrics?passwd=nope')],
  ] as const) {
    assert.equal(res.status, 401, what);
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="ktimer"', what);
    assert.equal(
      JSON.parse(res.body).msg,
      'wrong or missing credentials; send Authorization: Bearer <metrics_token>, or passwd',
    );
  }
  assert.equal((await get(`/metrics?passwd=${PASSWD}&action=count`)).status, 400);
  // 127.0.0.2 is this machine too, but not in web_allow_ip: closed before a byte is read.
  await assert.rejects(
    get('/metrics', { authorization: `Bearer ${TOKEN}` }, '127.0.0.2'),
    /socket hang up|ECONNRESET/,
  );
  await assert.rejects(get('/healthz', {}, '127.0.0.2'), /socket hang up|ECONNRESET/);
  const webac = await waitFor(() =>
    web.daemon.log('webac').find((e) => e.address === '127.0.0.2' && e.refused !== undefined),
  );
  assert.equal(webac.refused, 'not in web_allow_ip');
  // The passwd is never logged.
  assert.ok(!JSON.stringify(web.daemon.log('webac')).includes(PASSWD));
});

test('healthy: /healthz 200 without a password, `ktimer check` exit 0', async () => {
  const res = await get('/healthz');
  assert.equal(res.status, 200);
  const body = JSON.parse(res.body);
  assert.equal(body.data.healthy, true);
  assert.equal(body.data.redis, 'ok');
  assert.ok(body.data.claim_age_ms <= 2000, res.body);
  const check = await web.daemon.cli(['check']);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /^ktimer is healthy \[\d+\]: the loop claimed \d+\.\d s ago, Redis answers\n$/);
  const json = JSON.parse((await web.daemon.cli(['check', '--json'])).stdout);
  assert.equal(json.healthy, true);
  assert.equal(json.pid, web.daemon.pid);
  assert.equal(json.reason, null);
});

test('Redis stopped: /healthz 503 and `ktimer check` exit 1 with the reason, redis_up 0; healthy again when it is back', async () => {
  const d = web.daemon;
  await redis.server.stop();
  try {
    const res = await get('/healthz');
    assert.equal(res.status, 503);
    const body = JSON.parse(res.body);
    assert.equal(body.data.healthy, false);
    // Refused, or (a PING in flight as Redis went) the connection closed under it.
    assert.match(
      body.msg,
      /^Redis does not answer: cannot reach Redis at 127\.0\.0\.1:\d+: (ECONNREFUSED|the connection is closed)/,
    );
    const check = await d.cli(['check']);
    assert.equal(check.code, 1);
    assert.match(
      check.stdout,
      /^ktimer is unhealthy: Redis does not answer: cannot reach Redis at 127\.0\.0\.1:\d+/,
    );
    assert.equal(check.stdout.split('\n').length, 2, 'one line');
    assert.equal(check.stderr, '');
    // The loop's own view: it stops claiming, and the scrape says Redis is down.
    await waitFor(async () => series((await scrape()).body, 'ktimer_redis_up') === 0, {
      what: 'ktimer_redis_up 0',
    });
  } finally {
    await redis.server.launch();
  }
  await waitFor(async () => (await get('/healthz')).status === 200, {
    timeoutMs: 15_000,
    what: '/healthz 200',
  });
  await waitFor(async () => (await d.cli(['check'])).code === 0, { timeoutMs: 15_000, what: 'check exit 0' });
});

test('the daemon stopped: `ktimer check` exit 1, saying so', async () => {
  const d = web.daemon;
  assert.equal((await d.cli(['stop'])).code, 0);
  const check = await d.cli(['check']);
  assert.equal(check.code, 1);
  assert.equal(
    check.stdout,
    `ktimer is unhealthy: the daemon is not running (pidfile ${d.pidfile}); start it with \`ktimer start -d\`\n`,
  );
  const json = JSON.parse((await d.cli(['check', '--json'])).stdout);
  assert.deepEqual({ healthy: json.healthy, pid: json.pid }, { healthy: false, pid: null });
});
