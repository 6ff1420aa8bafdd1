// conf.ini → Config: defaults, spellings, paths, and a clear error for every bad value.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { configTemplate } from '../../src/config/config-template.js';
import { buildConfig, loadConfig } from '../../src/config/load-config.js';
import { KtimerError } from '../../src/errors.js';

const FILE = '/etc/kt/conf.ini';
const build = (text: string) => buildConfig(text, FILE);
const fails = (text: string, pattern: RegExp) =>
  assert.throws(
    () => build(text),
    (err: unknown) => err instanceof KtimerError && err.code === 'config' && pattern.test(err.message),
    `expected ${pattern}`,
  );

test('an empty file gives the documented defaults, paths resolved beside the file', () => {
  const c = build('');
  assert.equal(c.file, FILE);
  assert.equal(c.pidfile, '/etc/kt/runtime/ktimer.pid');
  assert.equal(c.log.dir, '/etc/kt/log');
  assert.equal(c.log.runed.path, '/etc/kt/log/runed.log');
  assert.equal(c.task.maxNum, 500000);
  assert.equal(c.task.maxDay, 100);
  assert.equal(c.task.expireLimitSec, 60);
  assert.deepEqual(c.keys, {
    pool: 'ktimer:tasks:all',
    trun: 'ktimer:tasks:second',
    lock: 'ktimer:tasks:lock',
  });
  assert.equal(c.web.port, 9558);
  assert.equal(c.web.bindIp, '127.0.0.1');
  assert.equal(c.redis.port, 6379);
  assert.equal(Object.isFrozen(c.web), true);
});

test('the conf.ini init writes loads, and holds the defaults an empty file gets', () => {
  const places = { pidfile: 'runtime/ktimer.pid', logDir: 'log' };
  const c = buildConfig(configTemplate(places), FILE, places);
  assert.equal(c.task.defaultTimer, 'echo -e Hello Ktimer');
  assert.equal(c.task.defaultTicker, 'date --rfc-3339=ns');
  assert.deepEqual(c.web.allowIp, ['127.', '::1']);
  assert.deepEqual(c, buildConfig('', FILE, places));
  const filled = buildConfig(configTemplate(places, { web_passwd: 'p4ss', timezone: 'Asia/Tokyo' }), FILE);
  assert.equal(filled.web.passwd, 'p4ss');
  assert.equal(filled.task.timezone, 'Asia/Tokyo');
});

test('a key set both by its name and an alias to different values is refused', () => {
  assert.equal(build('[web]\nmetrics_token = 0123456789abcdef').web.metricsToken, '0123456789abcdef');
  assert.equal(build('[web]\nweb_metrics_token = 0123456789abcdef').web.metricsToken, '0123456789abcdef');
  fails(
    '[default]\ntask_lcok_key = a:lock\ntask_lock_key = b:lock',
    /sets both task_lock_key and task_lcok_key to different values/,
  );
});

test('[web] keys in both spellings; both with different values is an error', () => {
  assert.equal(build('[web]\nweb_port = 1234').web.port, 1234);
  assert.equal(build('[web]\nweb.port = 1234').web.port, 1234);
  assert.equal(build('[web]\nweb.enable = 0').web.enable, false);
  assert.equal(build('[redis]\nredis_port = 7000').redis.port, 7000);
  assert.equal(build('[web]\nweb.port = 1234\nweb_port = 1234').web.port, 1234);
  fails('[web]\nweb.port = 1234\nweb_port = 4321', /sets both web\.port and web_port/);
});

test('relative paths resolve against the conf file directory; absolute stay', () => {
  const c = build('[default]\npidfile = run/k.pid\n[log]\nlog.dir = /var/log/kt\nlog.runed_file = fires.log');
  assert.equal(c.pidfile, '/etc/kt/run/k.pid');
  assert.equal(c.log.runed.path, '/var/log/kt/fires.log');
});

test('the historical task_lcok_key, and task_lock_key', () => {
  assert.equal(build('[default]\ntask_lcok_key = a:lock').keys.lock, 'a:lock');
  assert.equal(build('[default]\ntask_lock_key = b:lock').keys.lock, 'b:lock');
});

test('every bad value names the file, the key and the expected form', () => {
  fails(
    '[default]\ntask_max_num = lots',
    /\/etc\/kt\/conf\.ini: \[default\] task_max_num = "lots" is invalid; expected a whole number from 1 to/,
  );
  fails('[default]\ntask_max_num = 0', /task_max_num = "0" is invalid/);
  fails('[default]\ntask_max_day = 1.5', /task_max_day/);
  fails('[default]\ntask_expire_limit = -1', /task_expire_limit/);
  fails('[default]\ntask_concurrency = 0', /task_concurrency/);
  fails('[default]\npidfile =', /pidfile = "" is invalid; expected a non-empty value/);
  fails('[default]\ntask_pool_key = a b', /task_pool_key = "a b" is invalid; expected a Redis key name/);
  fails('[web]\nweb_enable = maybe', /web_enable = "maybe" is invalid; expected 1 or 0/);
  fails('[web]\nweb_port = 70000', /web_port = "70000" is invalid; expected a whole number from 1 to 65535/);
  fails(
    '[web]\nweb_bind_ip = localhost',
    /web_bind_ip = "localhost" is invalid; expected an IPv4 or IPv6 address/,
  );
  fails('[web]\nweb_allow_ip = 127.,evil.com', /web_allow_ip .* expected address prefixes or CIDR ranges/);
  fails('[web]\nweb_allow_ip = 10.0.0.0/33', /web_allow_ip/);
  fails('[redis]\nredis.port = abc', /\[redis\] redis\.port = "abc"/);
  fails(
    '[redis]\nredis.sentinels = host',
    /redis\.sentinels = "host" is invalid; expected a comma-separated list of host:port/,
  );
  fails('[redis]\nredis.cluster = a:1\nredis.sentinels = b:2', /both redis\.sentinels and redis\.cluster/);
  fails('[redis]\nredis.cluster = a:1\nredis.db = 2', /Redis Cluster has only db 0/);
  fails('[log]\nlog.maxsize = huge', /log\.maxsize = "huge" is invalid; expected a size/);
  fails('[log]\nlog.maxbackup = 0', /log\.maxbackup/);
  for (const mode of ['0755', '0400', '0648', 'rw-r-----', '0o640', '01640']) {
    fails(`[log]\nlog.file_mode = ${mode}`, /log\.file_mode = ".*" is invalid; expected an octal file mode/);
  }
});

test('log.file_mode: 0640 by default, any owner-writable mode in octal; every log file gets it', () => {
  assert.equal(build('').log.fileMode, 0o640);
  assert.equal(build('').log.runed.mode, 0o640);
  const c = build('[log]\nlog_file_mode = 0600');
  assert.equal(c.log.fileMode, 0o600);
  assert.deepEqual(
    [c.log.serve, c.log.error, c.log.runed, c.log.webac].map((f) => f.mode),
    [0o600, 0o600, 0o600, 0o600],
  );
  assert.equal(build('[log]\nlog.file_mode = 660').log.fileMode, 0o660);
});

test('malformed lines, keys outside sections, duplicates, unknown keys and sections', () => {
  fails(
    '[default]\njust words',
    /conf\.ini:2: cannot read "just words"; expected "key = value" or "\[section\]"/,
  );
  fails('pidfile = x', /conf\.ini:1: "pidfile" is outside any section/);
  fails(
    '[default]\ntask_max_num = 1\ntask_max_num = 2',
    /conf\.ini:3: key task_max_num appears twice in \[default\]/,
  );
  fails('[default]\ntask_max_nmu = 5', /unknown key task_max_nmu in \[default\]/);
  fails('[webb]\nx = 1', /unknown section \[webb\]/);
  fails('[]\n', /bad section name/);
});

test('values with ; or # must be quoted; inline comments are stripped', () => {
  assert.equal(build('[default]\ntask_max_num = 10   ; a comment').task.maxNum, 10);
  assert.equal(build('[task]\ndefault_timer = "echo a; echo b"').task.defaultTimer, 'echo a; echo b');
});

test('a missing or unreadable file says what to do', () => {
  assert.throws(
    () => loadConfig('/nonexistent/conf.ini'),
    (e: unknown) =>
      e instanceof KtimerError &&
      /cannot read config file \/nonexistent\/conf\.ini \(ENOENT\); run `ktimer init`/.test(e.message),
  );
  const dir = mkdtempSync(join(tmpdir(), 'ktimer-cfg-'));
  writeFileSync(join(dir, 'conf.ini'), '[web]\nweb_port = 1\n');
  assert.equal(loadConfig(join(dir, 'conf.ini')).web.port, 1);
  assert.throws(
    () => loadConfig(dir),
    (e: unknown) =>
      e instanceof KtimerError &&
      e.message ===
        `config file ${dir} is a directory; point --config or $KTIMER_CONFIG at the conf.ini file itself`,
  );
});

test('metrics_token: empty by default, in [web] as metrics_token or web_metrics_token, a short one refused without echoing it', () => {
  assert.equal(build('').web.metricsToken, '');
  const token = '0123456789abcdef0123';
  assert.equal(build(`[web]\nmetrics_token = ${token}`).web.metricsToken, token);
  assert.equal(build(`[web]\nweb_metrics_token = ${token}`).web.metricsToken, token);
  assert.equal(build(`[web]\nweb.metrics_token = ${token}`).web.metricsToken, token);
  fails(
    '[web]\nmetrics_token = short-secret',
    /\[web\] metrics_token = "\*\*\*" is invalid; expected empty, or 16 to 512/,
  );
  assert.throws(
    () => build('[web]\nmetrics_token = short-secret'),
    (err: Error) => !err.message.includes('short-secret'),
  );
  fails(`[web]\nmetrics_token = ${token}\nweb_metrics_token = ${token}x`, /sets both/);
});

test('log.dir = - sends the logs to stdout: no directory, each log keeps its name', () => {
  const c = build('[log]\nlog.dir = -');
  assert.equal(c.log.stdout, true);
  assert.equal(c.log.dir, '-');
  assert.equal(c.log.runed.path, '-');
  assert.deepEqual(
    [c.log.serve, c.log.error, c.log.runed, c.log.webac].map((f) => f.name),
    ['serve', 'error', 'runed', 'webac'],
  );
  assert.equal(build('').log.stdout, false);
});

test("task_keep_orphans: 0 by default (a dead daemon's commands are stopped), 1 keeps them", () => {
  assert.equal(build('').task.keepOrphans, false);
  assert.equal(build('[default]\ntask_keep_orphans = 1').task.keepOrphans, true);
  fails('[default]\ntask_keep_orphans = maybe', /task_keep_orphans = "maybe" is invalid; expected 1 or 0/);
});

test("shutdown_grace is at most half of task_lost_after: a dead daemon's commands are stopped before their retries", () => {
  const c = build('');
  assert.deepEqual([c.task.shutdownGraceSec, c.task.lostAfterSec], [30, 60], 'the defaults keep the rule');
  assert.equal(build('[default]\ntask_lost_after = 8\nshutdown_grace = 4').task.shutdownGraceSec, 4);
  fails(
    '[default]\ntask_lost_after = 20',
    /^\/etc\/kt\/conf\.ini: \[default\] shutdown_grace = 30 is more than half of task_lost_after = 20: .*; set shutdown_grace to at most 10, or task_lost_after to at least 60$/,
  );
  fails(
    '[default]\ntask_lost_after = 9\nshutdown_grace = 5',
    /set shutdown_grace to at most 4, or task_lost_after to at least 10/,
  );
  // Commands left running on purpose (task_keep_orphans): their risk is documented, not checked.
  assert.equal(build('[default]\ntask_lost_after = 20\ntask_keep_orphans = 1').task.lostAfterSec, 20);
});
