// The daemon's lifecycle as users drive it: start -d, status, stop, restart, double start,
// stale and forged pidfiles, foreground start under a supervisor, SIGHUP, install, the
// environment tasks get.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { isAlive } from '../../src/daemon/pidfile.js';
import { BIN, runCli, writeTestConfig } from '../helpers/cli.js';
import { TestDaemon } from '../helpers/daemon.js';
import { nativeSkip } from '../helpers/native-spawner.js';
import { freePort, usePrivateRedis } from '../helpers/redis-server.js';
import { useDaemons } from '../helpers/test-daemons.js';
import { waitFor } from '../helpers/wait.js';

const redis = usePrivateRedis();
const newDaemon = useDaemons(redis);

test('start -d returns once the daemon is up; status, stop', async () => {
  const d = newDaemon();
  const stopped = await d.cli(['status']);
  assert.equal(stopped.code, 3);
  assert.equal(stopped.stdout, 'ktimer is stopped\n');
  const start = await d.start();
  assert.match(start.stdout, /^ktimer started \[\d+\]\n$/);
  // No race: the pidfile and the process exist the moment start -d returns.
  assert.equal(d.pidfileText()?.trim(), String(d.pid));
  const status = await d.cli(['status']);
  assert.equal(status.code, 0);
  assert.equal(status.stdout, `ktimer is running [${d.pid}]\n`);
  const json = await d.cli(['status', '--json']);
  assert.deepEqual(JSON.parse(json.stdout), {
    running: true,
    pid: d.pid,
    redis_healthy: true,
    redis_error: null,
  });
  const stop = await d.cli(['stop']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(stop.stdout, 'ktimer stopped\n');
  assert.equal(d.alive(), false);
  assert.equal(existsSync(d.pidfile), false);
  const serve = d.log('serve').map((e) => e.event);
  assert.ok(serve.includes('start') && serve.includes('stop'), `serve.log: ${serve}`);
  assert.equal((await d.cli(['stop'])).stdout, 'ktimer is not running\n');
});

test('a second start fails (exit 1) naming the running pid, and starts nothing', async () => {
  const d = newDaemon();
  await d.start();
  for (const args of [['start', '-d'], ['start']]) {
    const again = await d.cli(args);
    assert.equal(again.code, 1, args.join(' '));
    assert.equal(again.stdout, '');
    assert.match(again.stderr, new RegExp(`^ktimer: error: ktimer is already running \\[${d.pid}\\]; `));
  }
  assert.equal(d.pidfileText()?.trim(), String(d.pid));
  // Two starts racing: exactly one daemon.
  const e = newDaemon();
  const [a, b] = await Promise.all([e.cli(['start', '-d']), e.cli(['start', '-d'])]);
  const started = [a, b].filter((r) => /ktimer started/.test(r.stdout));
  assert.equal(started.length, 1, `${a.stdout}${a.stderr} | ${b.stdout}${b.stderr}`);
  e.pid = Number(/\[(\d+)\]/.exec(started[0]?.stdout ?? '')?.[1]);
});

test('a stale pidfile (dead pid, or garbage) is replaced', async () => {
  const d = newDaemon();
  await d.start();
  const old = d.pid;
  d.kill('SIGKILL');
  await d.waitExit();
  assert.equal(d.pidfileText()?.trim(), String(old), 'SIGKILL leaves the pidfile behind');
  assert.equal((await d.cli(['status'])).code, 3);
  await d.start();
  assert.notEqual(d.pid, old);
  await d.cli(['stop']);
  writeFileSync(d.pidfile, 'garbage\n');
  assert.equal((await d.cli(['status'])).code, 3);
  await d.start();
  assert.equal(d.pidfileText()?.trim(), String(d.pid));
});

test('a pidfile naming another process is not trusted: status, start -d, stop and info see no daemon, and never signal it', async () => {
  const d = newDaemon();
  // The review's impostor: "ktimer" in its command line, its pid written into the pidfile.
  const impostor = spawn('bash', ['-c', 'sleep 300; : tail ktimer'], { stdio: 'ignore' });
  // A real ktimer daemon too, of another pidfile.
  const other = newDaemon();
  await other.start();
  try {
    for (const pid of [impostor.pid, other.pid]) {
      mkdirSync(dirname(d.pidfile), { recursive: true });
      writeFileSync(d.pidfile, `${pid}\n`);
      const status = await d.cli(['status']);
      assert.equal(status.code, 3, `status with pid ${pid}: ${status.stdout}`);
      assert.equal(status.stdout, 'ktimer is stopped\n');
      assert.equal(JSON.parse((await d.cli(['info', '--json'])).stdout).running, false);
      const stop = await d.cli(['stop']);
      assert.equal(stop.stdout, 'ktimer is not running\n');
      assert.equal(existsSync(d.pidfile), false, 'stop removed the stale pidfile');
      writeFileSync(d.pidfile, `${pid}\n`);
      await d.start();
      assert.notEqual(d.pid, pid);
      assert.equal((await d.cli(['status'])).stdout, `ktimer is running [${d.pid}]\n`);
      const stopped = await d.cli(['stop']);
      assert.equal(stopped.stdout, 'ktimer stopped\n');
    }
    assert.equal(isAlive(impostor.pid ?? 0), true, 'the impostor was never signalled');
    assert.equal(other.alive(), true, 'the other daemon was never signalled');
  } finally {
    impostor.kill('SIGKILL');
  }
});

test('restart -d gives a new daemon', async () => {
  const d = newDaemon();
  await d.start();
  const old = d.pid;
  const res = await d.cli(['restart', '-d']);
  assert.equal(res.code, 0, res.stderr);
  const m = /ktimer stopped\nktimer started \[(\d+)\]\n$/.exec(res.stdout);
  assert.ok(m, res.stdout);
  d.pid = Number(m[1]);
  assert.notEqual(d.pid, old);
  assert.equal(d.alive(), true);
});

test('restart keeps the mode the daemon had: detached stays detached, foreground runs here', async () => {
  const d = newDaemon();
  await d.start();
  // No -d: the command returns, leaving a new detached daemon (it used to take over the terminal).
  const res = await d.cli(['restart']);
  assert.equal(res.code, 0, res.stderr);
  const m = /^ktimer stopped\nktimer started \[(\d+)\]\n$/.exec(res.stdout);
  assert.ok(m, res.stdout);
  d.pid = Number(m[1]);
  assert.equal(d.alive(), true);
  assert.equal(JSON.parse(readFileSync(d.pidfile.replace(/\.pid$/, '.state.json'), 'utf8')).mode, 'detached');
  assert.equal((await d.cli(['restart', '-d', '--foreground'])).code, 2);

  // In the foreground: restart runs the new one in its own foreground, as `start` would.
  await d.cli(['stop']);
  const first = spawn(process.execPath, [BIN, 'start', '--config', d.config], { stdio: 'ignore' });
  await waitFor(async () => (await d.cli(['status'])).code === 0, { what: 'foreground daemon' });
  const firstExit = new Promise<number | null>((r) => first.on('exit', (code) => r(code)));
  const again = spawn(process.execPath, [BIN, 'restart', '--config', d.config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  again.stdout.on('data', (b: Buffer) => {
    out += b.toString();
  });
  try {
    await waitFor(() => /ktimer started \[\d+\]/.test(out), { what: 'restarted in the foreground' });
    assert.equal(await firstExit, 0);
    assert.equal(
      /ktimer started \[(\d+)\]/.exec(out)?.[1],
      String(again.pid),
      'the daemon is the restart process',
    );
  } finally {
    const exited = new Promise((r) => again.on('exit', r));
    again.kill('SIGTERM');
    await exited;
  }
});

test('start in the foreground (systemd): runs until SIGTERM, exits 0, removes the pidfile', async () => {
  const d = newDaemon();
  const child = spawn(process.execPath, [BIN, 'start', '--config', d.config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
  });
  await waitFor(() => /ktimer started \[\d+\]/.test(out), { what: 'foreground start' });
  d.pid = child.pid ?? 0;
  assert.equal((await d.cli(['status'])).code, 0);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.equal(existsSync(d.pidfile), false);
});

test('SIGHUP reopens the log files (logrotate moved them)', async () => {
  const d = newDaemon();
  await d.start();
  const serve = join(d.dir, 'log', 'serve.log');
  await waitFor(() => existsSync(serve), { what: 'serve.log' });
  renameSync(serve, `${serve}.old`);
  process.kill(d.pid, 'SIGHUP');
  await waitFor(() => existsSync(serve) && readFileSync(serve, 'utf8').includes('"event":"reopen"'), {
    what: 'reopened serve.log',
  });
  assert.equal(d.alive(), true);
});

test('start -d reports a web port in use as a clear error and leaves nothing running', async () => {
  const port = await freePort();
  const blocker = (await import('node:net')).createServer().listen(port, '127.0.0.1');
  try {
    const d = newDaemon({ web: ['web_enable = 1', `web_port = ${port}`] });
    const res = await d.cli(['start', '-d']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /web API cannot listen on 127\.0\.0\.1:\d+: address already in use/);
    assert.equal((await d.cli(['status'])).code, 3);
  } finally {
    blocker.close();
  }
});

test('start -d with Redis unreachable starts anyway, warns, and keeps retrying; status and info say Redis is down', async () => {
  const port = await freePort();
  const d = newDaemon(undefined, { redisPort: port });
  const res = await d.start();
  assert.match(res.stderr, /Redis is not reachable yet/);
  assert.equal(d.alive(), true);
  const unreachable = `cannot reach Redis at 127.0.0.1:${port}: ECONNREFUSED; check [redis] in ${d.config} and that redis-server is running`;
  // status: still "running" (exit 0), plus one line from the daemon's own view.
  const status = await waitFor(
    async () => {
      const r = await d.cli(['status']);
      return r.stdout.includes('Redis is unavailable') ? r : null;
    },
    { what: 'status to say Redis is down', timeoutMs: 10_000 },
  );
  assert.equal(status.code, 0);
  assert.equal(
    status.stdout,
    `ktimer is running [${d.pid}]\nRedis is unavailable to the daemon, which keeps retrying: ${unreachable}\n`,
  );
  const statusJson = JSON.parse((await d.cli(['status', '--json'])).stdout);
  assert.deepEqual(statusJson, { running: true, pid: d.pid, redis_healthy: false, redis_error: unreachable });
  // info: prints what it knows, exit 1, one error line.
  const info = await d.cli(['info']);
  assert.equal(info.code, 1);
  assert.match(info.stdout, new RegExp(`^ktimer is running \\[${d.pid}\\]\n`));
  assert.match(info.stdout, /UNAVAILABLE: cannot reach Redis/);
  assert.equal(info.stderr, `ktimer: error: ${unreachable}\n`);
  const json = await d.cli(['info', '--json']);
  assert.equal(json.code, 1);
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.running, true);
  assert.equal(doc.redis.healthy, false);
  assert.equal(doc.daemon_redis_error, unreachable);
});

test('info with the daemon stopped: says so, the web API not running, exit 1 (--json too)', async () => {
  const port = await freePort();
  const d = newDaemon({ web: ['web_enable = 1', `web_port = ${port}`] });
  const res = await d.cli(['info']);
  assert.equal(res.code, 1);
  assert.match(res.stdout, /^ktimer is stopped\n/);
  assert.match(
    res.stdout,
    new RegExp(
      `\\nweb api: +not running \\(the daemon is stopped; it would listen on 127\\.0\\.0\\.1:${port}\\)\\n`,
    ),
  );
  assert.match(res.stdout, /\nredis: .*healthy/, 'Redis itself answers');
  assert.equal(res.stderr, 'ktimer: error: the daemon is not running; start it with `ktimer start -d`\n');
  const json = await d.cli(['info', '--json']);
  assert.equal(json.code, 1);
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.running, false);
  assert.equal(doc.web, null, 'not listening');
  assert.equal(doc.web_configured, `127.0.0.1:${port}`);
  await d.start();
  const up = await d.cli(['info']);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stdout, new RegExp(`\\nweb api: +127\\.0\\.0\\.1:${port}\\n`));
});

test('info shows pid, uptime, version, config, tasks, Redis health, and running commands as the logs do', async () => {
  const d = newDaemon();
  await d.start();
  // Running now: a command with a URL's credentials and an escape sequence in it.
  const kid = await d.add(['-time=1', '-command=sleep 15 # https://alice:s3cret@example.com/\u001b[2J']);
  await d.waitForRunning(1);
  const res = await d.cli(['info']);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, new RegExp(`ktimer is running \\[${d.pid}\\]`));
  assert.match(res.stdout, /uptime: +\d/);
  assert.match(res.stdout, /config: +\/.*conf\.ini/);
  assert.match(res.stdout, /tasks: +0\n/);
  assert.match(res.stdout, /redis: .*healthy \(Redis \d/);
  assert.ok(
    res.stdout.includes(`  ${kid} shell since `) &&
      res.stdout.includes(': sleep 15 # https://***@example.com/?[2J\n'),
    res.stdout,
  );
  assert.doesNotMatch(res.stdout, /s3cret|\u001b/);
  const json = JSON.parse((await d.cli(['info', '--json'])).stdout);
  assert.equal(json.pid, d.pid);
  assert.equal(json.tasks, 0);
  assert.equal(json.redis.healthy, true);
});

test('install --print shows a unit that runs `ktimer start` in the foreground with this config', async () => {
  const d = newDaemon();
  const res = await d.cli(['install', '--print']);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /ExecStart=.*bin\/ktimer start --config .*conf\.ini/);
  assert.match(res.stdout, /Restart=on-failure/);
  const dir = d.dir;
  const written = await d.cli(['install', '--unit-dir', dir]);
  assert.equal(written.code, 0, written.stderr);
  assert.ok(existsSync(join(dir, 'ktimer.service')));
  // Only written: it says what it did not do.
  assert.equal(
    written.stdout,
    `installed ${join(dir, 'ktimer.service')}; not enabled: run \`systemctl daemon-reload && systemctl enable --now ktimer.service\`\n`,
  );
  const missing = await d.cli(['install', '--unit-dir', join(dir, 'nope')]);
  assert.equal(missing.code, 1);
  assert.equal(
    missing.stderr,
    `ktimer: error: cannot write ${join(dir, 'nope', 'ktimer.service')}: directory ${join(dir, 'nope')} does not exist; create it or pass another --unit-dir\n`,
  );
  assert.match((await d.cli(['remove', '--print', '--unit-dir', dir])).stderr, /unknown option '--print'/);
  const removed = await d.cli(['remove', '--unit-dir', dir]);
  assert.equal(removed.code, 0);
  assert.equal(existsSync(join(dir, 'ktimer.service')), false);
  // A config path with a newline would write a line of its own into the unit: refused, nothing written.
  const forged = join(dir, 'x\nExecStartPre=/bin/sh -c id\n');
  mkdirSync(forged, { recursive: true });
  writeFileSync(join(forged, 'conf.ini'), readFileSync(d.config));
  for (const args of [['--print'], ['--unit-dir', dir]]) {
    const newline = await runCli(['install', ...args, '--config', join(forged, 'conf.ini')]);
    assert.equal(newline.code, 2, newline.stderr);
    assert.match(
      newline.stderr,
      /^ktimer: error: the config path ".*\?ExecStartPre=\/bin\/sh -c id\?\/conf\.ini" holds a newline/,
    );
    assert.equal(newline.stderr.split('\n').length, 2, 'one line');
    assert.equal(newline.stdout, '');
  }
  assert.equal(existsSync(join(dir, 'ktimer.service')), false);
  if (!existsSync('/run/systemd/system')) {
    const refused = await runCli(['install', '--config', d.config]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /systemd is not running on this machine/);
  }
});

test('logs rotate by size: NAME.1 .. NAME.<maxbackup>, the live file keeps its name', async () => {
  const d = newDaemon({ log: ['log.maxsize = 2K', 'log.maxbackup = 2'] });
  await d.start();
  for (let i = 0; i < 12; i++) await d.add(['-time=1', "-command=head -c 300 /dev/zero | tr '\\0' x"]);
  const dir = join(d.dir, 'log');
  await waitFor(() => existsSync(join(dir, 'runed.log.2')), { what: 'runed.log.2', timeoutMs: 15_000 });
  // The live file is renamed away at a rotation and made again by the next line: after one more
  // fire it is there, under its plain name, holding that line.
  const kid = await d.add(['-time=1', '-command=echo last']);
  await waitFor(() => readFileSync(join(dir, 'runed.log'), 'utf8').includes(`"fire","kid":"${kid}"`), {
    what: 'the last fire in runed.log',
    timeoutMs: 15_000,
  });
  assert.equal(existsSync(join(dir, 'runed.log.3')), false, 'no more than log.maxbackup rotated files');
  // A file is rotated at the daemon's first write past the size; the command line's own lines
  // (short here: the output is long, the command is not) land between: about 2K, never far beyond.
  for (const name of ['runed.log.1', 'runed.log.2']) {
    assert.ok(statSync(join(dir, name)).size <= 8192, `${name} is ${statSync(join(dir, name)).size} bytes`);
  }
});

test('the detached daemon keeps the environment it was started with (PATH, HOME, ...)', async () => {
  const d = newDaemon(undefined, { env: { KT_CANARY: 'tweet' } });
  await d.start();
  const kid = await d.add(['-time=1', '-command=echo "$KT_CANARY|$HOME|$PATH"']);
  const [fire] = await d.waitForFires(1, 10_000, (e) => e.kid === kid);
  assert.equal(fire?.output, `tweet|${process.env.HOME}|${process.env.PATH}\n`);
});

test("tasks do not inherit ktimer's internal variables: a task's own `start -d` detaches its daemon", async () => {
  const d = newDaemon();
  await d.start();
  const env = await d.add([
    '-time=1',
    '-command=env | grep -c -e KTIMER_DETACH_STAGE -e _DAEMONIZE_PROCESS; true',
  ]);
  const [envFire] = await d.waitForFires(1, 10_000, (e) => e.kid === env);
  assert.equal(envFire?.output, '0\n');
  const inner = newDaemon();
  const kid = await d.add([
    '-time=1',
    `-command=${process.execPath} ${BIN} start -d --config ${inner.config}`,
  ]);
  // Before, the inner daemon ran in the foreground of the task, which never ended.
  const [fire] = await d.waitForFires(1, 20_000, (e) => e.kid === kid);
  assert.equal(fire?.exit_code, 0, String(fire?.output));
  inner.pid = Number(/ktimer started \[(\d+)\]/.exec(String(fire?.output))?.[1]);
  assert.equal(inner.alive(), true);
  assert.equal((await inner.cli(['status'])).code, 0);
});

test('descriptors left open by whoever runs `start -d` reach neither the daemon nor any task', async () => {
  for (const kind of nativeSkip ? ['node'] : ['node', 'native']) {
    const d = newDaemon(undefined, { env: { KTIMER_SPAWNER: kind } });
    const marker = join(d.dir, `left-open-${kind}`);
    writeFileSync(marker, '');
    // A shell (or a service manager) with descriptors open runs `ktimer start -d`.
    const started = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        'bash',
        [
          '-c',
          'exec 5<"$0" 200<"$0"; exec "$1" "$2" start -d --config "$3"',
          marker,
          process.execPath,
          BIN,
          d.config,
        ],
        { env: { ...process.env, KTIMER_SPAWNER: kind }, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        out += c;
      });
      child.on('error', reject);
      child.on('close', () => resolve(out));
    });
    d.pid = Number(/ktimer started \[(\d+)\]/.exec(started)?.[1]);
    assert.ok(d.alive(), started);
    const held = (pid: number) =>
      readdirSync(`/proc/${pid}/fd`).filter((n) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${n}`) === marker;
        } catch {
          return false;
        }
      });
    assert.deepEqual(held(d.pid), [], `${kind}: the daemon holds it`);
    const kid = await d.add(['-time=1', '-command=ls -l /proc/$$/fd; echo done']);
    const [fire] = await d.waitForFires(1, 10_000, (e) => e.kid === kid);
    assert.match(String(fire?.output), /done\n$/);
    assert.ok(!String(fire?.output).includes(marker), `${kind}: a task holds it: ${String(fire?.output)}`);
    assert.equal((await d.cli(['stop'])).code, 0);
  }
});

test('KTIMER_SPAWNER picks the shell spawner (serve.log names it); an unknown one is refused and nothing starts', async () => {
  for (const kind of nativeSkip ? ['node'] : ['node', 'native']) {
    const d = newDaemon(undefined, { env: { KTIMER_SPAWNER: kind } });
    await d.start();
    const kid = await d.add(['-time=1', '-command=echo "ran by $KTIMER_KID"; exit 3']);
    const [fire] = await d.waitForFires(1, 10_000, (e) => e.kid === kid);
    assert.equal(fire?.output, `ran by ${kid}\n`);
    assert.equal(fire?.exit_code, 3);
    assert.equal(d.log('serve').find((e) => e.event === 'start')?.shell_spawner, kind);
  }
  const d = new TestDaemon(writeTestConfig({ redisPort: redis.server.port }), { KTIMER_SPAWNER: 'fast' });
  const res = await runCli(['start', '-d', '--config', d.config], { env: { KTIMER_SPAWNER: 'fast' } });
  assert.equal(res.code, 2);
  assert.equal(
    res.stderr,
    'ktimer: error: KTIMER_SPAWNER is "fast"; expected native, node, or nothing (native where built)\n',
  );
  assert.equal(existsSync(d.pidfile), false);
});
