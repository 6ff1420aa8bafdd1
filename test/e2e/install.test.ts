// ktimer installed like real software: `npm pack`, then `npm install -g` into a private prefix
// (offline: the package has no runtime dependencies, its build bundles them), `ktimer` run by
// name from another directory with HOME and XDG pointed at temp dirs. Its config, logs and
// pidfile go to the XDG places, outside the package; a reinstall keeps them, the password, and
// the running daemon. Run as root, ktimer runs as nobody here: root's places are /etc/ktimer and
// /var/log/ktimer, which a test must not touch (test/unit/config-places.test.ts covers them).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { isAlive } from '../../src/daemon/pidfile.js';
import { type CliResult, readLogLines, ROOT } from '../helpers/cli.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const redis = usePrivateRedis();
const NOBODY = 65534;

/** npm, quietly and offline; fails the test with its output when it fails. */
function npm(args: string[], cwd: string): void {
  const res = spawnSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(res.status, 0, `npm ${args.join(' ')}: ${res.stdout}${res.stderr}`);
}

interface Installed {
  prefix: string;
  tarball: string;
  home: string;
  /** `ktimer ARGS` by name, as its user runs it, from a directory that is not the package's. */
  ktimer(args: string[]): Promise<CliResult>;
  env: Record<string, string>;
}

function install(): Installed {
  const base = mkdtempSync(join(tmpdir(), 'ktimer-install-'));
  chmodSync(base, 0o755);
  // The build `npm test` made: packed as is (no scripts: a rebuild would pull dist/ from under
  // the tests running beside this one).
  npm(['pack', '--ignore-scripts', '--pack-destination', base], ROOT);
  const [name] = readdirSync(base).filter((f) => f.endsWith('.tgz'));
  const tarball = join(base, name ?? 'missing.tgz');
  const prefix = join(base, 'prefix');
  npm(['install', '-g', '--offline', '--prefix', prefix, tarball], base);
  const home = join(base, 'home');
  const elsewhere = join(base, 'elsewhere');
  for (const dir of [home, elsewhere]) mkdirSync(dir);
  const root = process.getuid?.() === 0;
  if (root) for (const dir of [home, elsewhere]) chownSync(dir, NOBODY, NOBODY);
  const env = {
    PATH: `${join(prefix, 'bin')}:${dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_STATE_HOME: join(home, 'state'),
    TZ: 'Europe/Berlin',
  };
  const ktimer = (args: string[]) => run(args, env, elsewhere, root ? NOBODY : undefined);
  return { prefix, tarball, home, ktimer, env };
}

function run(args: string[], env: Record<string, string>, cwd: string, uid?: number): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('ktimer', args, {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(uid === undefined ? {} : { uid, gid: uid }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

test('npm pack + npm install -g: ktimer from anywhere, config and state in XDG places, kept across a reinstall with its daemon', async () => {
  const kt = install();
  const config = join(kt.home, 'config', 'ktimer', 'conf.ini');
  const state = join(kt.home, 'state', 'ktimer');

  const init = await kt.ktimer(['init']);
  // Redis on 6379 may or may not answer here: the config is made either way.
  assert.match(
    init.stdout,
    new RegExp(
      `^config file: +ok +${config} \\(created, mode 0600, web_passwd generated; timezone = Europe/Berlin`,
    ),
  );
  assert.match(init.stdout, /; the user config of an installed ktimer not run by root/);
  assert.match(init.stdout, new RegExp(`log dir: +ok +${state}/log created, writable`));
  assert.match(init.stdout, new RegExp(`runtime dir: +ok +${state}/run created, writable`));
  // This test's own Redis, and no web API (its port might be taken here).
  const text = readFileSync(config, 'utf8')
    .replace(/^redis\.port = 6379$/m, `redis.port = ${redis.server.port}`)
    .replace(/^web_enable = 1$/m, 'web_enable = 0');
  writeFileSync(config, text);
  const password = /^web_passwd = (\S+)$/m.exec(text)?.[1];
  assert.ok(password);

  const info = JSON.parse((await kt.ktimer(['info', '--json'])).stdout);
  assert.deepEqual([info.config.path, info.config.source], [config, 'user']);
  assert.equal(info.pidfile, join(state, 'run', 'ktimer.pid'));
  const unit = (await kt.ktimer(['install', '--print', '--user'])).stdout;
  assert.match(
    unit,
    new RegExp(
      `^ExecStart=\\S+ ${kt.prefix}/lib/node_modules/ktimer/bin/ktimer start --config ${config}$`,
      'm',
    ),
  );

  const started = await kt.ktimer(['start', '-d']);
  assert.equal(started.code, 0, started.stderr);
  const pid = Number(/ktimer started \[(\d+)\]/.exec(started.stdout)?.[1]);
  try {
    assert.equal((await kt.ktimer(['add', '-type=ticker', '-time=1', '-command=true'])).code, 0);
    const fires = () =>
      readLogLines(join(state, 'log', 'runed.log')).filter((l) => l.event === 'fire').length;
    await waitFor(() => fires() >= 1, { what: 'a fire before the reinstall' });

    npm(['install', '-g', '--offline', '--prefix', kt.prefix, kt.tarball], kt.home);

    assert.equal(readFileSync(config, 'utf8'), text, 'the config and its password are kept');
    assert.equal((await kt.ktimer(['status'])).stdout, `ktimer is running [${pid}]\n`, 'the daemon goes on');
    const before = fires();
    await waitFor(() => fires() > before, { what: 'fires after the reinstall' });
    assert.equal((await kt.ktimer(['count'])).stdout, 'there are [1] tasks.\n');
    assert.equal((await kt.ktimer(['stop'])).code, 0);
    assert.equal(isAlive(pid), false);
  } finally {
    if (pid > 0 && isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
});
