// Which conf.ini is used, and `ktimer init`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readLogLines, ROOT, runCli, writeTestConfig } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';
import { freePort, usePrivateRedis } from '../helpers/redis-server.js';

const redis = usePrivateRedis();

test("lookup order: --config, then $KTIMER_CONFIG, then the checkout's conf.ini; info says which and why", async () => {
  const a = writeTestConfig({ redisPort: redis.server.port, extra: { default: ['task_max_num = 11'] } });
  const b = writeTestConfig({ redisPort: redis.server.port, extra: { default: ['task_max_num = 22'] } });
  const info = async (args: string[], env: Record<string, string | undefined> = {}) =>
    JSON.parse((await runCli(['info', '--json', ...args], { env })).stdout).config as {
      path: string;
      source: string;
      why: string;
    };
  assert.deepEqual(await info(['--config', a], { KTIMER_CONFIG: b }), {
    path: a,
    source: 'option',
    why: 'given with --config',
  });
  assert.equal((await info(['-config=' + a])).path, a);
  assert.deepEqual(await info([], { KTIMER_CONFIG: b }), {
    path: b,
    source: 'env',
    why: 'given by $KTIMER_CONFIG',
  });
  const human = await runCli(['info', '--config', a]);
  assert.match(human.stdout, new RegExp(`^config: +${a} \\(given with --config\\)$`, 'm'));
  // The checkout's own conf.ini may exist (init was run here) or not: either way it is the one.
  const own = JSON.parse((await runCli(['info', '--json'], { timeoutMs: 10_000 })).stdout);
  if (own.ok === false)
    assert.match(own.error, /^cannot read config file \S+\/conf\.ini \(ENOENT, the checkout's own: /);
  else assert.equal(own.config.path, join(ROOT, 'conf.ini'));
  const missing = await runCli(['count', '--config', '/nonexistent/k.ini']);
  assert.equal(missing.code, 1);
  assert.match(
    missing.stderr,
    /cannot read config file \/nonexistent\/k\.ini \(ENOENT, given with --config\); run `ktimer init` to create it/,
  );
});

test('KTIMER_CONFIG (or --config) naming a directory says so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ktimer-dir-'));
  for (const res of [
    await runCli(['count'], { env: { KTIMER_CONFIG: dir } }),
    await runCli(['init', '--config', dir]),
  ]) {
    assert.equal(res.code, 1);
    assert.match(
      res.stderr + res.stdout,
      new RegExp(
        `config file ${dir} is a directory; point --config or \\$KTIMER_CONFIG at the conf\\.ini file itself`,
      ),
    );
  }
});

test('relative paths in conf.ini resolve against its directory, wherever ktimer runs from', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ktimer-rel-'));
  const config = writeTestConfig({ redisPort: redis.server.port, dir, extra: { default: [] } });
  const res = await runCli(['info', '--json', '--config', config], { cwd: '/' });
  assert.equal(JSON.parse(res.stdout).pidfile, join(dir, 'runtime', 'ktimer.pid'));
});

test('init creates a missing conf.ini: random web_passwd, mode 0600, one line per check', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ktimer-init-'));
  const path = join(dir, 'conf.ini');
  const res = await runCli(['init', '--config', path]);
  // The shipped config points at 127.0.0.1:6379, which may or may not run here.
  assert.ok(res.code === 0 || res.code === 1, res.stderr);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const text = readFileSync(path, 'utf8');
  const passwd = /^web_passwd = (\S+)$/m.exec(text)?.[1];
  assert.ok(passwd && passwd.length >= 20, 'a generated password');
  const lines = res.stdout.trim().split('\n');
  // Redis's memory, disk and fleet lines come only when that Redis answers (as after the
  // README's run command).
  const redisUp = /^redis: +ok/m.test(res.stdout);
  assert.deepEqual(
    lines.map((l) => l.split(':')[0]),
    [
      'config file',
      'config values',
      'redis',
      ...(redisUp ? ['redis memory', 'redis disk', 'fleet'] : []),
      'log dir',
      'runtime dir',
      'pidfile',
      'web port',
    ],
  );
  assert.match(lines[0] ?? '', /ok .*created, mode 0600, web_passwd generated/);
  const other = join(dir, 'other.ini');
  await runCli(['init', '--config', other]);
  assert.notEqual(
    /^web_passwd = (\S+)$/m.exec(readFileSync(other, 'utf8'))?.[1],
    passwd,
    'a fresh password each time',
  );
  const again = await runCli(['init', '--config', path]);
  assert.equal(readFileSync(path, 'utf8'), text, 'an existing config is left alone');
  assert.match(again.stdout, /^config file: +ok +\//);
});

test('init says which directories it creates, and refuses a conf.ini whose directory is missing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ktimer-init-'));
  const res = await runCli(['init', '--config', join(dir, 'conf.ini')]);
  assert.match(res.stdout, new RegExp(`log dir: +ok +${dir}/log created, writable\n`));
  assert.match(res.stdout, new RegExp(`runtime dir: +ok +${dir}/runtime created, writable\n`));
  const again = await runCli(['init', '--config', join(dir, 'conf.ini')]);
  assert.match(again.stdout, new RegExp(`log dir: +ok +${dir}/log is writable\n`));
  // A mistyped path: nothing is made.
  const typo = join(dir, 'ktimr', 'conf.ini');
  const refused = await runCli(['init', '--config', typo, '--json']);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stdout,
    new RegExp(
      `"check":"config file","ok":false,"detail":"cannot create ${typo}: directory ${dir}/ktimr does not exist`,
    ),
  );
  assert.equal(JSON.parse(refused.stdout).code, 'config');
  assert.equal(existsSync(join(dir, 'ktimr')), false);
});

test('init fills in an empty web_passwd of an existing file, and checks everything', async () => {
  const config = writeTestConfig({ redisPort: redis.server.port, extra: { web: ['web_passwd ='] } });
  const res = await runCli(['init', '--config', config]);
  assert.equal(res.code, 0, res.stdout + res.stderr);
  assert.match(res.stdout, /config file: +ok .*web_passwd was empty: generated/);
  assert.match(res.stdout, /redis: +ok .*answers \(Redis \d/);
  assert.match(res.stdout, /log dir: +ok/);
  assert.match(res.stdout, /pidfile: +ok .*no daemon running/);
  assert.match(readFileSync(config, 'utf8'), /^web_passwd = \S{20,}$/m);
  assert.equal(statSync(config).mode & 0o777, 0o600);
  assert.equal(JSON.parse((await runCli(['init', '--json', '--config', config])).stdout).ok, true);
});

test('a Redis that may evict keys, or keeps no AOF: init warns (exit 0), serve.log too, start -d of eviction; noeviction and AOF: silent', async () => {
  const config = writeTestConfig({ redisPort: redis.server.port, extra: { web: ['web_enable = 0'] } });
  await redis.client.config('SET', 'maxmemory', '1gb');
  await redis.client.config('SET', 'maxmemory-policy', 'allkeys-lru');
  const warning = `Redis at 127.0.0.1:${redis.server.port} (maxmemory 1.00G, maxmemory-policy allkeys-lru) may evict keys when full`;
  try {
    const init = await runCli(['init', '--config', config]);
    assert.equal(init.code, 0, init.stdout + init.stderr);
    assert.match(
      init.stdout,
      new RegExp(`^redis memory: +WARNING +${warning.replace(/[().]/g, '\\$&')}`, 'm'),
    );
    const doc = JSON.parse((await runCli(['init', '--json', '--config', config])).stdout);
    assert.equal(doc.ok, true);
    const check = doc.checks.find((c: { check: string }) => c.check === 'redis memory');
    assert.equal(check.warning, true);
    assert.match(check.detail, /set maxmemory-policy noeviction/);
    const start = await runCli(['start', '-d', '--config', config]);
    try {
      assert.equal(start.code, 0, start.stderr);
      assert.ok(start.stderr.includes(`ktimer: warning: ${warning}`), start.stderr);
      const serveLog = join(config, '..', 'log', 'serve.log');
      // The test's Redis keeps no AOF: said too, in serve.log only.
      assert.match(
        init.stdout,
        /^redis disk: +WARNING +Redis at 127\.0\.0\.1:\d+ keeps no AOF \(appendonly no\)/m,
      );
      await waitFor(
        () => {
          const events = readLogLines(serveLog).map((e) => e.event);
          return events.includes('redis_may_evict') && events.includes('redis_without_aof');
        },
        { what: 'redis_may_evict and redis_without_aof in serve.log' },
      );
      assert.ok(!start.stderr.includes('AOF'), 'start -d does not say the AOF');
    } finally {
      await runCli(['stop', '--config', config]);
    }
    // No eviction, AOF on: no word of either.
    await redis.client.config('SET', 'maxmemory-policy', 'noeviction');
    await redis.client.config('SET', 'appendonly', 'yes');
    const quiet = await runCli(['init', '--config', config]);
    assert.match(quiet.stdout, /^redis memory: +ok +keys are never evicted/m);
    assert.match(quiet.stdout, /^redis disk: +ok +AOF on/m);
    const again = await runCli(['start', '-d', '--config', config]);
    await runCli(['stop', '--config', config]);
    assert.equal(again.stderr, '');
  } finally {
    await redis.client.config('SET', 'maxmemory', '0');
    await redis.client.config('SET', 'maxmemory-policy', 'noeviction');
    await redis.client.config('SET', 'appendonly', 'no');
  }
});

test('a full Redis (noeviction): add says Redis is full and what to do, exit 1, nothing stored', async () => {
  const config = writeTestConfig({ redisPort: redis.server.port });
  await redis.client.config('SET', 'maxmemory', '1');
  try {
    const res = await runCli(['add', '--config', config, '-time=60', '-command=true']);
    assert.equal(res.code, 1);
    assert.equal(res.stdout, '');
    assert.match(
      res.stderr,
      /^ktimer: error: Redis 127\.0\.0\.1:\d+ db 0 failed: OOM command not allowed when used memory > 'maxmemory'\.; Redis is full \(maxmemory\) and refuses writes until memory is freed: raise maxmemory.*\n$/,
    );
  } finally {
    await redis.client.config('SET', 'maxmemory', '0');
  }
  assert.equal(
    (await runCli(['count', '--config', config])).stdout,
    'there are [0] tasks.\n',
    'nothing stored',
  );
});

test('init with Redis unreachable: the file is still made, the redis check fails, exit 1', async () => {
  const config = writeTestConfig({ redisPort: await freePort() });
  writeFileSync(config, readFileSync(config, 'utf8').replace(/^web_passwd = .*$/m, 'web_passwd ='));
  const res = await runCli(['init', '--config', config]);
  assert.equal(res.code, 1);
  assert.match(res.stdout, /redis: +FAILED +cannot reach Redis at 127\.0\.0\.1:\d+: ECONNREFUSED/);
  assert.match(res.stderr, /init found 1 problem\(s\)/);
  assert.match(readFileSync(config, 'utf8'), /^web_passwd = \S{20,}$/m);
});

test("init writes this machine's zone as [task] timezone, and fills an empty timezone line", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ktimer-init-'));
  const path = join(dir, 'conf.ini');
  const res = await runCli(['init', '--config', path], { env: { TZ: 'America/New_York' } });
  assert.match(
    res.stdout,
    /config file: +ok .*created, mode 0600, web_passwd generated; timezone = America\/New_York/,
  );
  const text = readFileSync(path, 'utf8');
  assert.match(text, /\[task\][^[]*\ntimezone = America\/New_York\n/);
  assert.match(
    text,
    /\[task\][^[]*; [^\n]*IANA time zone[^[]*; empty = UTC\.\ntimezone = America\/New_York\n/,
  );

  // An existing file: an empty line is filled (its mode kept: no password was written), a set one kept.
  const config = writeTestConfig({ redisPort: redis.server.port, extra: { task: ['timezone ='] } });
  chmodSync(config, 0o640);
  const fill = await runCli(['init', '--config', config], { env: { TZ: 'Asia/Tokyo' } });
  assert.equal(fill.code, 0, fill.stdout + fill.stderr);
  assert.match(
    fill.stdout,
    /config file: +ok .*\(timezone was empty: set to Asia\/Tokyo \(this machine's zone\)\); given with --config\n/,
  );
  assert.match(readFileSync(config, 'utf8'), /^timezone = Asia\/Tokyo$/m);
  assert.equal(statSync(config).mode & 0o777, 0o640);
  const kept = await runCli(['init', '--config', config], { env: { TZ: 'Europe/Berlin' } });
  assert.match(kept.stdout, /^config file: +ok +\/\S+; given with --config\n/);
  assert.match(readFileSync(config, 'utf8'), /^timezone = Asia\/Tokyo$/m);
});

test('the checkout tracks no conf.ini and git ignores it: init changes no tracked file', async (t) => {
  if (!existsSync(join(ROOT, '.git'))) return t.skip('not a git checkout');
  const git = (...args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  assert.equal(git('ls-files', 'conf.ini', 'dist').stdout, '', 'no config and no build output is tracked');
  assert.equal(git('check-ignore', '-q', 'conf.ini').status, 0, "git ignores the checkout's conf.ini");
  // The template is code (src/config/config-keys.ts): the build copies no conf.ini anywhere.
  assert.equal(existsSync(join(ROOT, 'dist', 'conf.ini.default')), false);
});

test('init says how many tasks the Redis it found holds, and refuses a web port taken', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as AddressInfo).port;
  try {
    const config = writeTestConfig({
      redisPort: redis.server.port,
      extra: { web: ['web_enable = 1', `web_port = ${port}`] },
    });
    const res = await runCli(['init', '--config', config]);
    assert.equal(res.code, 1);
    assert.match(
      res.stdout,
      /redis: +ok +127\.0\.0\.1:\d+ db 0 answers \(Redis [\d.]+\)\nredis memory: +ok +keys are never evicted .*\nredis disk: +WARNING +.* keeps no AOF .*\nfleet: +ok +default \(recorded in Redis now\); 0 tasks under kt\w+:tasks:all\n/,
    );
    assert.match(
      res.stdout,
      new RegExp(
        `web port: +FAILED +127\\.0\\.0\\.1:${port} is taken by another program; set web_port in ${config}`,
      ),
    );
    assert.match(res.stderr, /init found 1 problem\(s\)/);
  } finally {
    taken.close();
  }
  const free = writeTestConfig({
    redisPort: redis.server.port,
    extra: { web: ['web_enable = 1', `web_port = ${port}`] },
  });
  assert.match(
    (await runCli(['init', '--config', free])).stdout,
    new RegExp(`web port: +ok +127\\.0\\.0\\.1:${port} is free`),
  );
});
