// The web API runs in a thread of its own: the loop fires on time while that thread is stuck,
// a thread that dies is logged and started again while the daemon goes on firing, SIGHUP
// reaches its webac.log, its info is fresh, and its runed.log and error.log lines are the
// daemon's. Faults are real: test/helpers/web-worker-fault.cjs, loaded into the daemon with
// NODE_OPTIONS, blocks or crashes the web API's thread alone.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli, writeTestConfig } from '../helpers/cli.js';
import { TestDaemon } from '../helpers/daemon.js';
import { niceOfThreads } from '../helpers/proc.js';
import { freePort, usePrivateRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const PASSWD = 'thread-test-secret';
const FAULT_HELPER = fileURLToPath(new URL('../helpers/web-worker-fault.cjs', import.meta.url));
const redis = usePrivateRedis();
let d: TestDaemon;
let port = 0;
let faultFile = '';

interface Reply {
  http: number;
  body: { status: boolean; code: number; data: unknown; msg: string };
}

/** An API call; rejects when no reply came within `timeoutMs`. */
async function api(action: string, params: Record<string, string> = {}, timeoutMs = 5000): Promise<Reply> {
  const query = new URLSearchParams({ action, passwd: PASSWD, ...params });
  const res = await fetch(`http://127.0.0.1:${port}/?${query}`, { signal: AbortSignal.timeout(timeoutMs) });
  return { http: res.status, body: (await res.json()) as Reply['body'] };
}

/** Has the web API's thread do `order` (web-worker-fault.cjs); resolves once it took it. */
async function fault(order: string): Promise<void> {
  rmSync(`${faultFile}.taken`, { force: true });
  writeFileSync(`${faultFile}.tmp`, order);
  renameSync(`${faultFile}.tmp`, faultFile);
  await waitFor(() => existsSync(`${faultFile}.taken`), { what: `the web API thread to take "${order}"` });
}

before(async () => {
  await redis.ready();
  port = await freePort();
  const config = writeTestConfig({
    redisPort: redis.server.port,
    extra: {
      web: ['web_enable = 1', `web_port = ${port}`, `web_passwd = ${PASSWD}`, 'web_allow_ip = 127.0.0.1'],
    },
  });
  faultFile = join(config, '..', 'web-fault');
  d = new TestDaemon(config, {
    NODE_OPTIONS: `--require ${FAULT_HELPER}`,
    KTIMER_TEST_WEB_FAULT: faultFile,
  });
  await d.start();
});
after(() => {
  d.kill();
});

test('the loop fires on time while the web API thread is stuck, and the API answers again after', async () => {
  const kids: string[] = [];
  for (const time of [2, 2, 3, 3, 4]) kids.push(await d.add([`-time=${time}`, '-command=true']));
  await fault('block 6000');
  await assert.rejects(api('count', {}, 1000), /aborted|timeout/i, 'the API thread is really stuck');
  const fires = await d.waitForFires(kids.length, 10_000, (e) => kids.includes(String(e.kid)));
  const lateness = fires.map((f) => Number(f.lateness_ms));
  // On the firing thread, a 6 s block would make them seconds late.
  assert.ok(
    Math.max(...lateness) < 1000,
    `lateness while the API thread was stuck: ${lateness.join(', ')} ms`,
  );
  await waitFor(async () => (await api('count').catch(() => null))?.http === 200, {
    what: 'the API answering again',
    timeoutMs: 10_000,
  });
});

test('the web API thread runs 10 nicer than the loop: short of CPUs, firing goes first', () => {
  const threads = niceOfThreads(d.pid);
  assert.equal(threads.find((t) => t.tid === d.pid)?.nice, 0, 'the main thread keeps its priority');
  assert.equal(threads.filter((t) => t.nice === 10).length, 1, JSON.stringify(threads));
});

test('a web API thread that dies is logged in error.log and started again; firing goes on', async () => {
  const kid = await d.add(['-time=2', '-command=true']);
  await fault('crash');
  const died = await waitFor(() => d.log('error').find((e) => e.event === 'web_died'), {
    what: 'web_died in error.log',
  });
  assert.match(String(died.err), /injected crash/);
  assert.equal(died.msg, 'web API thread died; the daemon goes on firing and starts it again');
  assert.equal(died.pid, d.pid);
  await d.waitForFires(1, 10_000, (e) => e.kid === kid);
  assert.equal(d.alive(), true);
  await waitFor(() => d.log('serve').find((e) => e.event === 'web_restarted'), { what: 'web_restarted' });
  assert.equal((await api('count')).http, 200);
  const info = (await api('info')).body.data as { web: unknown };
  assert.deepEqual(info.web, { listening: `127.0.0.1:${port}` }, 'the state says it listens again');
});

test('SIGHUP reopens webac.log, which the web API thread writes', async () => {
  const webac = join(d.dir, 'log', 'webac.log');
  const written = d.log('webac').length;
  await api('count');
  await waitFor(() => d.log('webac').length > written, { what: 'the request in webac.log' });
  renameSync(webac, `${webac}.old`);
  const before = readFileSync(`${webac}.old`, 'utf8');
  process.kill(d.pid, 'SIGHUP');
  await waitFor(() => d.log('serve').find((e) => e.event === 'reopen'), { what: 'reopen in serve.log' });
  await waitFor(
    async () => {
      await api('count');
      return existsSync(webac) && readFileSync(webac, 'utf8').includes('"action":"count"');
    },
    { what: 'a new webac.log' },
  );
  const line = d.log('webac').find((e) => e.action === 'count');
  assert.equal(line?.pid, d.pid);
  assert.equal(line?.msg, 'web request');
  assert.equal(readFileSync(`${webac}.old`, 'utf8'), before, 'nothing more went to the moved file');
});

test('info through the API is fresh: a fire and a running task show within a second', async () => {
  const info = async () => (await api('info')).body.data as Record<string, unknown>;
  const firedBefore = Number((await info()).fired_total);
  const kid = await d.add(['-time=1', '-command=true']);
  await d.waitForFires(1, 10_000, (e) => e.kid === kid);
  const seen = Date.now();
  await waitFor(async () => Number((await info()).fired_total) > firedBefore, {
    what: 'fired_total in info',
    timeoutMs: 3000,
  });
  assert.ok(Date.now() - seen < 1500, `info caught up after ${Date.now() - seen} ms`);
  await d.add(['-time=1', '-command=sleep 3']);
  await waitFor(async () => ((await info()).running as { shell: number }).shell === 1, {
    what: 'the running task in info',
    timeoutMs: 5000,
  });
  const now = await info();
  assert.equal(now.pid, d.pid);
  assert.deepEqual(now.web, { listening: `127.0.0.1:${port}` });
});

test('what the API writes to runed.log and error.log is written by the daemon, unchanged', async () => {
  const add = await api('add', { time: '600', command: 'echo via-web' });
  const kid = add.body.data as string;
  const line = await waitFor(() => d.log('runed').find((e) => e.event === 'add' && e.kid === kid), {
    what: 'the add in runed.log',
  });
  assert.deepEqual(Object.keys(line).sort(), ['by', 'event', 'kid', 'level', 'msg', 'pid', 'task', 'time']);
  assert.equal(line.by, 'web');
  assert.equal(line.msg, 'task add');
  assert.equal(line.pid, d.pid);
  assert.equal((line.task as { command: string }).command, 'echo via-web');
  await redis.server.stop();
  try {
    assert.equal((await api('count')).http, 503);
  } finally {
    await redis.server.launch();
  }
  const error = await waitFor(() => d.log('error').find((e) => e.event === 'web_error'), {
    what: 'web_error in error.log',
  });
  assert.equal(error.msg, 'web API request failed');
  assert.equal(error.level, 50);
  assert.equal(error.pid, d.pid);
});

test('stop closes the web API thread with the daemon: the port is free again', async () => {
  const stop = await d.cli(['stop']);
  assert.equal(stop.code, 0, stop.stderr);
  await assert.rejects(api('count', {}, 2000), /fetch failed/);
  const serve = d.log('serve').map((e) => e.event);
  assert.ok(serve.includes('stop'), serve.join(' '));
});

test("start -d fails with the web API's own error for a bind address the machine lacks", async () => {
  const cfg = writeTestConfig({
    redisPort: redis.server.port,
    extra: { web: ['web_enable = 1', `web_port = ${await freePort()}`, 'web_bind_ip = 192.0.2.1'] },
  });
  const res = await runCli(['start', '-d', '--config', cfg]);
  assert.equal(res.code, 1);
  assert.equal(
    res.stderr,
    `ktimer: error: web API cannot listen on 192.0.2.1:${/192\.0\.2\.1:(\d+)/.exec(res.stderr)?.[1]}: this machine has no address 192.0.2.1; check web_bind_ip in ${cfg}\n`,
  );
  assert.equal((await runCli(['status', '--config', cfg])).code, 3);
});
