// Bad input at volume: 250 generated command lines, 10,000 generated web requests and 3,000
// to the dashboard's routes. No stack trace, no exit status outside 0/1/2/3, no 5xx, and the
// daemon still serves and fires.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { uiLogin } from '../helpers/dashboard-client.js';
import { after, before, test } from 'node:test';
import { runCli, writeTestConfig } from '../helpers/cli.js';
import { TestDaemon } from '../helpers/daemon.js';
import { freePort, usePrivateRedis } from '../helpers/redis-server.js';
import { report } from './fleet.js';

const PASSWD = 'fuzz-secret';
const redis = usePrivateRedis();
let d: TestDaemon;
let port = 0;

before(async () => {
  await redis.ready();
  port = await freePort();
  d = new TestDaemon(
    writeTestConfig({
      redisPort: redis.server.port,
      extra: {
        // The fuzz is about parsing: the fleet's limit of wrong passwords would answer 429 to most.
        web: [
          'web_enable = 1',
          `web_port = ${port}`,
          `web_passwd = ${PASSWD}`,
          'web_wrong_passwd_per_minute = 1000000',
        ],
        default: ['task_max_num = 100000'],
      },
    }),
  );
  await d.start();
});
after(() => {
  d.kill();
});

/** A small seeded generator, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed;
  const next = (n: number) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % n;
  };
  return { next, pick: <T>(xs: readonly T[]): T => xs[next(xs.length)] as T };
}

const VALUES = [
  '',
  '0',
  '-1',
  '1',
  '5',
  '86400',
  '8640001',
  '99999999999999999999',
  '1e3',
  '5.5',
  'NaN',
  'timer',
  'ticker',
  'TICKER',
  'echo hi',
  'http://127.0.0.1:1/x',
  'https://[bad',
  'http://h/?kt_post=[1]',
  '日本語',
  '\u{1F600}',
  'a'.repeat(5000),
  '"',
  "'",
  '$(reboot)',
  '; rm -rf /',
  '%00',
  '\\',
  '--',
  '-',
  '=',
  'x=y=z',
  '0x10',
  ' ',
  'f'.repeat(32),
  'F'.repeat(32),
  '7d411eeb-079e-47e8-a662-82919d04be90',
];
const OPTIONS = [
  'type',
  'time',
  'limit',
  'command',
  'kid',
  'starttime',
  'endtime',
  'offset',
  'count',
  'json',
  'config-x',
  'd',
  'h',
];
const COMMANDS = [
  'add',
  'get',
  'del',
  'update',
  'list',
  'count',
  'version',
  'help',
  'status',
  'info',
  'bogus',
  '',
  '-x',
];

// 250 lines a run (CI's 15 minutes), drawn from a seed that changes daily, so that the runs of
// the days cover more than any one; the seed is reported (KTIMER_FUZZ_SEED=N replays a run).
const FUZZ_LINES = 250;
const FUZZ_SEED = Number(process.env.KTIMER_FUZZ_SEED ?? Math.floor(Date.now() / 86_400_000));

test('250 generated command lines: exit 0/1/2/3, one-line errors, no stack trace', async () => {
  const r = rng(FUZZ_SEED);
  const lines: string[][] = [];
  for (let i = 0; i < FUZZ_LINES; i++) {
    const args = [r.pick(COMMANDS)];
    for (let k = r.next(4); k > 0; k--) {
      const opt = r.pick(OPTIONS);
      const value = r.pick(VALUES);
      const style = r.next(4);
      if (style === 0) args.push(`-${opt}=${value}`);
      else if (style === 1) args.push(`--${opt}`, value);
      else if (style === 2) args.push(`--${opt}=${value}`);
      else args.push(value);
    }
    lines.push(args);
  }
  const codes = new Map<number, number>();
  const queue = [...lines];
  const worker = async () => {
    for (let args = queue.shift(); args; args = queue.shift()) {
      const res = await runCli([...args, '--config', d.config]);
      const code = res.code ?? -1;
      codes.set(code, (codes.get(code) ?? 0) + 1);
      assert.ok([0, 1, 2, 3].includes(code), `exit ${code} for ${JSON.stringify(args)}: ${res.stderr}`);
      assert.doesNotMatch(
        res.stderr,
        /\n\s+at |TypeError|ReferenceError|unexpected failure/,
        `${JSON.stringify(args)}: ${res.stderr}`,
      );
      if (code === 1 || code === 2) {
        const errors = res.stderr.split('\n').filter((l) => l.startsWith('ktimer: error:'));
        assert.equal(errors.length, 1, `${JSON.stringify(args)}: ${res.stderr}`);
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  report('cli-fuzz', { lines: FUZZ_LINES, seed: FUZZ_SEED, exit_codes: Object.fromEntries(codes) });
  assert.equal(d.alive(), true);
});

function call(path: string, method: string, body?: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        headers: body ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(-1));
    req.end(body);
  });
}

test('10,000 generated web requests: 4xx or 200, never a 5xx; the daemon serves and fires after', async () => {
  const r = rng(11);
  const keys = ['action', 'passwd', ...OPTIONS];
  const actions = ['count', 'get', 'del', 'add', 'update', 'list', 'info', 'nope', ''];
  const statuses = new Map<number, number>();
  let i = 0;
  const worker = async () => {
    while (i < 10_000) {
      i++;
      const parts = [`passwd=${r.next(20) ? PASSWD : 'x'}`, `action=${r.pick(actions)}`];
      for (let k = r.next(5); k > 0; k--) {
        const v = r.pick(VALUES);
        parts.push(`${r.pick(keys)}=${r.next(3) ? encodeURIComponent(v) : v.slice(0, 200)}`);
      }
      const query = parts.join('&');
      // Node's client refuses raw spaces and non-ASCII in a path: escape just those.
      const path = `/?${query.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c))}`;
      const status = r.next(2) ? await call(path, 'GET') : await call('/', 'POST', query);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      assert.ok(status === 200 || (status >= 400 && status < 500), `${status} for ${query.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  report('web-fuzz', { requests: 10_000, statuses: Object.fromEntries(statuses) });
  assert.equal(d.alive(), true);
  const kid = await d.add(['-time=1', '-command=true']);
  await d.waitForFires(1, 10_000, (e) => e.kid === kid);
});

/** One request to the dashboard, raw headers as given: its status (a stream is closed once its head came). */
function uiRequest(
  path: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      resolve(res.statusCode ?? 0);
      res.destroy();
    });
    req.on('error', () => resolve(-1));
    req.end(body);
  });
}

test('3,000 generated requests to the dashboard: 4xx or 200, never a 5xx; sessions still work after', async () => {
  const r = rng(13);
  const good = await uiLogin(port, PASSWD);
  const paths = [
    '/ui',
    '/ui/',
    '/ui/app.js',
    '/ui/app.css',
    '/ui/session',
    '/ui/live',
    '/ui/login',
    '/ui/logout',
    '/ui/api',
    '/ui/nope',
    '/ui/../',
    '/ui//api',
    '/ui/api/',
    '/UI/api',
    '/ui/%2e%2e/',
    '/ui/api?action=count',
    '/ui/session?x=%FF',
    `/ui/api?${'a'.repeat(3000)}`,
  ];
  const tokens = [
    '',
    good.token,
    good.token.slice(1),
    'x'.repeat(43),
    'x'.repeat(5000),
    '%00',
    good.token + ' ',
  ];
  const cookies = [
    '',
    good.cookie,
    `${good.cookie}; ${good.cookie}`,
    'ktimer_browser=',
    'ktimer_browser=%FF;;=',
    `ktimer_browser=${'y'.repeat(43)}`,
    'a=b; ktimer_browser',
    '=;=',
  ];
  const origins = ['', `http://127.0.0.1:${port}`, 'http://evil.example', 'null', '://', 'http://[::1'];
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`, 'evil.example', '', '[::1]', '127.0.0.1:99999'];
  const types = [
    'application/x-www-form-urlencoded',
    'application/json',
    'text/plain',
    'multipart/form-data; boundary=x',
    '',
  ];
  const actions = ['count', 'get', 'del', 'add', 'list', 'preview', 'output', 'info', 'nope', ''];
  const statuses = new Map<number, number>();
  let i = 0;
  const worker = async () => {
    while (i < 3000) {
      i++;
      const headers: Record<string, string> = { host: r.next(5) > 0 ? `127.0.0.1:${port}` : r.pick(hosts) };
      for (const [name, value] of [
        ['x-ktimer-session', r.next(2) > 0 ? good.token : r.pick(tokens)],
        ['cookie', r.next(2) > 0 ? good.cookie : r.pick(cookies)],
        ['origin', r.pick(origins)],
        ['content-type', r.pick(types)],
      ] as const)
        if (value !== '' && r.next(3) > 0) headers[name] = value;
      const parts = [`action=${r.pick(actions)}`];
      for (let k = r.next(4); k > 0; k--)
        parts.push(`${r.pick(OPTIONS)}=${encodeURIComponent(r.pick(VALUES))}`);
      if (r.next(10) === 0) parts.push(`passwd=${r.next(2) ? PASSWD : 'x'}`);
      const method = r.pick(['GET', 'POST', 'POST', 'PUT', 'DELETE']);
      const body = method === 'POST' ? parts.join('&') : undefined;
      const path = r.pick(paths).replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
      const status = await uiRequest(path, method, headers, body);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      assert.ok(
        status === 200 || status === 304 || (status >= 400 && status < 500),
        `${status} for ${method} ${path} ${JSON.stringify(headers)}`,
      );
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  report('dashboard-fuzz', { requests: 3000, statuses: Object.fromEntries(statuses) });
  assert.equal(d.alive(), true);
  const session = await uiLogin(port, PASSWD);
  assert.equal(
    await uiRequest('/ui/session', 'GET', { 'x-ktimer-session': session.token, cookie: session.cookie }),
    200,
  );
});
