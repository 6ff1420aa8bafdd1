// URL tasks against a real local HTTP server: GET with kid and timer_id, kt_post as a form
// POST, status codes, the body head, timeouts and connection errors.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { runUrl, urlCall } from '../../src/runner/run-url.js';
import { freePort } from '../helpers/redis-server.js';

let server: Server;
let base = '';
const seen: { method: string; url: string; body: string; type: string | undefined }[] = [];

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body, type: req.headers['content-type'] });
      if (req.url?.startsWith('/hang')) return; // never answers
      if (req.url?.startsWith('/trickle')) {
        res.write('first part'); // a head, then nothing more
        return;
      }
      if (req.url?.startsWith('/big')) {
        res.end('x'.repeat(1_000_000));
        return;
      }
      res.statusCode = req.url?.startsWith('/500') ? 500 : 200;
      res.end(`hello ${req.method}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const run = (command: string, timeoutMs = 0) => runUrl({ kid: 'abc', command, dueMs: 0, timeoutMs }).result;

test('GET with kid and timer_id added to the existing query', async () => {
  const r = await run(`${base}/hook?x=1`);
  assert.equal(r.ok, true);
  assert.equal(r.httpStatus, 200);
  assert.equal(r.output, 'hello GET');
  const req = seen.at(-1);
  assert.equal(req?.method, 'GET');
  assert.equal(req?.url, '/hook?x=1&kid=abc&timer_id=abc');
});

test('kt_post holding a JSON object becomes a form POST; kt_post leaves the URL', async () => {
  const r = await run(`${base}/p?y=2&kt_post={"a":1,"b":"two words","c":{"d":true}}`);
  assert.equal(r.ok, true);
  assert.equal(r.output, 'hello POST');
  const req = seen.at(-1);
  assert.equal(req?.method, 'POST');
  assert.equal(req?.type, 'application/x-www-form-urlencoded');
  assert.equal(req?.url, '/p?y=2&kid=abc&timer_id=abc');
  assert.deepEqual(Object.fromEntries(new URLSearchParams(req?.body)), {
    a: '1',
    b: 'two words',
    c: '{"d":true}',
  });
  assert.equal(urlCall('http://h/?kt_post={}', 'k').form, '');
});

test('HTTP 500 is a failure with its status', async () => {
  const r = await run(`${base}/500`);
  assert.equal(r.ok, false);
  assert.equal(r.httpStatus, 500);
  assert.match(r.error ?? '', /HTTP 500/);
});

test('only the first 1 KiB of the body is kept', async () => {
  const r = await run(`${base}/big`);
  assert.equal(r.ok, true);
  assert.equal(r.output.length, 1024);
});

test("the body is the run's stdout, bounded by outputMax as a command's; no stderr", async () => {
  const small = await run(`${base}/hook`);
  assert.deepEqual([small.stdout, small.stderr], ['hello GET', '']);
  const big = await runUrl({ kid: 'abc', command: `${base}/big`, dueMs: 0, timeoutMs: 0, outputMax: 100 })
    .result;
  assert.equal(big.stdout, `${'x'.repeat(50)}\n[ktimer: 999900 bytes cut]\n${'x'.repeat(50)}`);
});

test('the live tail: a body that trickles reaches the listener before the call ends', async () => {
  const chunks: { text: string; atMs: number }[] = [];
  const started = Date.now();
  const r = await runUrl({ kid: 'abc', command: `${base}/trickle`, dueMs: 0, timeoutMs: 800 }, (c) => {
    assert.equal(c.stream, 'stdout');
    chunks.push({ text: c.text, atMs: Date.now() - started });
  }).result;
  assert.equal(r.timedOut, true);
  assert.equal(chunks[0]?.text, 'first part');
  assert.ok((chunks[0]?.atMs ?? Infinity) < 600, `live, not at the end: ${JSON.stringify(chunks)}`);
});

test('a server that never answers times out', async () => {
  const started = Date.now();
  const r = await run(`${base}/hang`, 300);
  assert.equal(r.ok, false);
  assert.equal(r.timedOut, true);
  assert.match(r.error ?? '', /no answer within 300 ms/);
  assert.ok(Date.now() - started < 3000);
});

test('a body that stops coming: the run ends at the timeout, timed out', async () => {
  const r = await run(`${base}/trickle`, 300);
  assert.equal(r.ok, false);
  assert.equal(r.timedOut, true);
  assert.match(r.error ?? '', /no answer within 300 ms/);
});

test('kill ends a call under way at once, as a failure', async () => {
  const started = Date.now();
  const call = runUrl({ kid: 'abc', command: `${base}/hang`, dueMs: 0, timeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 100));
  call.kill('SIGTERM');
  const r = await call.result;
  assert.equal(r.ok, false);
  assert.equal(r.timedOut, false);
  assert.match(r.error ?? '', /stopped/);
  assert.ok(Date.now() - started < 2000);
});

test('connection refused and a bad URL: errors, never a throw', async () => {
  const port = await freePort();
  const refused = await run(`http://127.0.0.1:${port}/x`);
  assert.equal(refused.ok, false);
  assert.match(refused.error ?? '', /ECONNREFUSED/);
  const tls = await run(`https://127.0.0.1:${port}/x`);
  assert.equal(tls.ok, false);
  const bad = await run('http://[oops');
  assert.equal(bad.ok, false);
  assert.match(bad.error ?? '', /bad URL task/);
});
