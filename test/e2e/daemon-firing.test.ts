// The daemon fires what users add: timers once, tickers `limit` times, on time and never early;
// shell and URL tasks; failures in error.log; timeouts kill the process group.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { taskKeys, writeTestConfig } from '../helpers/cli.js';
import { TestDaemon } from '../helpers/daemon.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { storedTask, storeTasks } from '../helpers/stored-tasks.js';
import { waitFor } from '../helpers/wait.js';

const PREFIX = 'firing';
const redis = usePrivateRedis();
let d: TestDaemon;
let sink: Server;
let sinkPort = 0;
const hits: { method: string; url: string; body: string; atMs: number }[] = [];

before(async () => {
  await redis.ready();
  d = new TestDaemon(
    writeTestConfig({
      redisPort: redis.server.port,
      prefix: PREFIX,
      extra: { default: ['task_timeout = 2', 'task_expire_limit = 60'] },
    }),
  );
  await d.start();
  sink = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      hits.push({ method: req.method ?? '', url: req.url ?? '', body, atMs: Date.now() });
      res.statusCode = req.url?.startsWith('/fail') ? 500 : 200;
      res.end('sink says hi');
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  sinkPort = (sink.address() as { port: number }).port;
});
after(() => {
  d.kill();
  sink.close();
});

const byKid = (kid: string) => (e: Record<string, unknown>) => e.kid === kid;

test('a timer fires once, on time and never early, with KTIMER_KID and KTIMER_DUE set', async () => {
  const kid = await d.add(['-time=1', '-command=echo "kid=$KTIMER_KID due=$KTIMER_DUE"']);
  const [fire] = await d.waitForFires(1, 10_000, byKid(kid));
  assert.ok(fire);
  assert.equal(fire.ok, true);
  assert.equal(fire.exit_code, 0);
  assert.equal(fire.type, 'timer');
  const lateness = fire.lateness_ms as number;
  assert.ok(lateness >= 0, `fired ${lateness} ms early`);
  assert.ok(lateness < 500, `fired ${lateness} ms late`);
  assert.match(String(fire.output), new RegExp(`kid=${kid} due=${String(fire.due).replace('.', '\\.')}`));
  assert.equal((await d.cli(['get', kid])).code, 1, 'a fired timer is gone');
  // It does not fire again.
  const more = await d.add(['-time=1', '-command=true']);
  await d.waitForFires(1, 10_000, byKid(more));
  assert.equal(d.fires().filter(byKid(kid)).length, 1);
});

test('a ticker fires exactly `limit` times, `time` seconds apart, then is removed', async () => {
  const kid = await d.add(['-type=ticker', '-time=1', '-limit=3', '-command=date']);
  const fires = await d.waitForFires(3, 15_000, byKid(kid));
  assert.deepEqual(
    fires.map((f) => f.run_num),
    [1, 2, 3],
  );
  for (let i = 1; i < fires.length; i++) {
    const gap = (fires[i]?.due as number) - (fires[i - 1]?.due as number);
    assert.ok(gap >= 1 && gap < 1.5, `gap ${gap}`);
  }
  await waitFor(async () => (await d.cli(['get', kid])).code === 1, { what: 'ticker removed' });
  assert.equal(d.fires().filter(byKid(kid)).length, 3);
});

test('an absolute timestamp fires at that second', async () => {
  // Far enough ahead that a slow `add` on a loaded machine still finds it in the future.
  const at = Math.floor(Date.now() / 1000) + 6;
  const kid = await d.add([`-time=${at}`, '-command=true']);
  const [fire] = await d.waitForFires(1, 15_000, byKid(kid));
  assert.equal(fire?.due, at);
  assert.ok((fire?.lateness_ms as number) >= 0);
});

test('a failing command is logged in error.log with its exit code and output', async () => {
  const kid = await d.add(['-time=1', '-command=echo boom >&2; exit 7']);
  const [fire] = await d.waitForFires(1, 10_000, byKid(kid));
  assert.equal(fire?.ok, false);
  assert.equal(fire?.exit_code, 7);
  await waitFor(() => d.log('error').find((e) => e.kid === kid && e.exit_code === 7), {
    what: 'error.log entry',
  });
  const err = d.log('error').find((e) => e.kid === kid);
  assert.match(String(err?.output), /boom/);
});

test('task_timeout kills the whole process group', async () => {
  const kid = await d.add(['-time=1', '-command=sleep 300 & echo $! > /dev/null; sleep 300']);
  const [fire] = await d.waitForFires(1, 15_000, byKid(kid));
  assert.equal(fire?.timed_out, true);
  assert.equal(fire?.ok, false);
  assert.ok((fire?.duration_ms as number) >= 1900 && (fire?.duration_ms as number) < 6000);
});

test('URL tasks: GET with kid and timer_id; kt_post turns into a form POST; 500 is a failure', async () => {
  const get = await d.add(['-time=1', `-command=http://127.0.0.1:${sinkPort}/hook?x=1`]);
  const post = await d.add([
    '-time=1',
    `-command=http://127.0.0.1:${sinkPort}/post?kt_post={"a":1,"b":"two"}`,
  ]);
  const fail = await d.add(['-time=1', `-command=http://127.0.0.1:${sinkPort}/fail`]);
  await d.waitForFires(1, 10_000, byKid(get));
  await d.waitForFires(1, 10_000, byKid(post));
  const [failed] = await d.waitForFires(1, 10_000, byKid(fail));
  const g = hits.find((h) => h.url.startsWith('/hook'));
  assert.equal(g?.method, 'GET');
  assert.match(g?.url ?? '', new RegExp(`x=1.*kid=${get}.*timer_id=${get}`));
  const p = hits.find((h) => h.url.startsWith('/post'));
  assert.equal(p?.method, 'POST');
  assert.doesNotMatch(p?.url ?? '', /kt_post/);
  assert.deepEqual(Object.fromEntries(new URLSearchParams(p?.body)), { a: '1', b: 'two' });
  assert.equal(failed?.http_status, 500);
  assert.equal(failed?.ok, false);
  const ok = d.fires().find(byKid(get));
  assert.equal(ok?.http_status, 200);
  assert.equal(ok?.output, 'sink says hi');
});

test('a timer overdue beyond task_expire_limit is dropped and logged as expired', async () => {
  // Written straight into Redis as if the daemon had been down for two minutes.
  const keys = taskKeys(PREFIX);
  const due = Date.now() / 1000 - 120;
  await storeTasks(redis.client, keys, [['e'.repeat(32), storedTask({ run_nexttime: due })]]);
  await redis.client.hset(keys.pool, 'c'.repeat(32), '{corrupt');
  await redis.client.zadd(keys.schedule, due, 'c'.repeat(32));
  await waitFor(() => d.log('runed').find((e) => e.event === 'expired' && e.kid === 'e'.repeat(32)), {
    what: 'expired entry',
  });
  await waitFor(() => d.log('error').find((e) => e.event === 'corrupt' && e.kid === 'c'.repeat(32)), {
    what: 'corrupt entry',
  });
  assert.equal(d.fires().filter(byKid('e'.repeat(32))).length, 0);
  assert.equal(d.alive(), true);
});

test('200 shell tasks in a row: all fire once, the daemon stays alive', async () => {
  const due = Date.now() / 1000 + 1;
  const kids = Array.from({ length: 200 }, (_, i) => `${i}`.padStart(32, 'b'));
  await storeTasks(
    redis.client,
    taskKeys(PREFIX),
    kids.map((kid, i) => [kid, storedTask({ time: 1, command: `echo ${i}`, run_nexttime: due })]),
  );
  const set = new Set(kids);
  const fires = await d.waitForFires(200, 30_000, (e) => set.has(String(e.kid)));
  assert.equal(new Set(fires.map((f) => f.kid)).size, 200);
  assert.ok(fires.every((f) => f.ok === true));
  assert.equal(d.alive(), true);
  assert.equal((await d.cli(['status'])).code, 0);
});

test('SIGTERM lets a running task finish, then the daemon exits 0', async () => {
  const kid = await d.add(['-time=1', '-command=sleep 1; echo finished']);
  await waitFor(
    async () =>
      (JSON.parse((await d.cli(['info', '--json'])).stdout).running_tasks?.tasks ?? []).some(
        (t: { kid: string }) => t.kid === kid,
      ),
    {
      what: 'task running',
      timeoutMs: 10_000,
    },
  );
  const stop = await d.cli(['stop']);
  assert.equal(stop.stdout, 'ktimer stopped\n');
  const [fire] = d.fires().filter(byKid(kid));
  assert.equal(fire?.ok, true);
  assert.match(String(fire?.output), /finished/);
  await d.start();
});

test('task_concurrency bounds the shell commands running at once; the others wait, none is dropped', async () => {
  const prefix = 'bounded';
  const b = new TestDaemon(
    writeTestConfig({ redisPort: redis.server.port, prefix, extra: { default: ['task_concurrency = 2'] } }),
  );
  await b.start();
  try {
    const due = Date.now() / 1000 + 1;
    await storeTasks(
      redis.client,
      taskKeys(prefix),
      Array.from({ length: 6 }, (_, i) => [
        `${i}`.padStart(32, 'd'),
        storedTask({ time: 1, command: 'sleep 0.5', run_nexttime: due }),
      ]),
    );
    const fires = await b.waitForFires(6, 20_000);
    assert.equal(new Set(fires.map((f) => f.kid)).size, 6);
    const spans = fires.map((f) => ({
      start: (f.started as number) * 1000,
      end: (f.started as number) * 1000 + (f.duration_ms as number),
    }));
    const overlapAt = (t: number) => spans.filter((s) => s.start <= t && t < s.end).length;
    const most = Math.max(...spans.map((s) => overlapAt(s.start)));
    assert.ok(most <= 2, `${most} ran at once`);
  } finally {
    b.kill();
  }
});
