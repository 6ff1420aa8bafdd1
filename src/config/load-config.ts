// conf.ini → Config: every key read, typed and range-checked as config-keys.ts says (the one
// place of the defaults), relative paths resolved against the directory of the file; the
// defaults of the pidfile and log dir depend on where the file is (places.ts).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { KtimerError } from '../errors.js';
import { hostLabel, nameOfHost } from '../labels.js';
import type { Config, LogFileConfig, LogName } from './config.js';
import {
  CONFIG_KEYS,
  type KeySpec,
  type SectionName,
  type SectionValues,
  SPELT_BOTH_WAYS,
} from './config-keys.js';
import { parseIni, type IniSections } from './parse-ini.js';
import { statePlaces, type StatePlaces, thisHost } from './places.js';
import { SectionReader } from './section-reader.js';

const SECTIONS = Object.keys(CONFIG_KEYS) as SectionName[];

/** `why`: why this file (find-config.ts), said when it cannot be read. */
export function loadConfig(file: string, why?: string): Config {
  return buildConfig(readConfigText(file, why), file);
}

/** The text of a conf.ini, or an error saying why it cannot be read and what to do. */
export function readConfigText(file: string, why?: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') {
      throw new KtimerError(
        'config',
        `config file ${file} is a directory; point --config or $KTIMER_CONFIG at the conf.ini file itself`,
        { cause: err },
      );
    }
    const hint =
      code === 'ENOENT' ? 'run `ktimer init` to create it, or pass --config PATH' : 'check its permissions';
    const which = why === undefined ? '' : `, ${why}`;
    throw new KtimerError('config', `cannot read config file ${file} (${code ?? 'error'}${which}); ${hint}`, {
      cause: err,
    });
  }
}

/** The values of every section, each key read by its spec; unknown sections and keys refused. */
function readSections(text: string, file: string, places: StatePlaces) {
  const sections = parseIni(text, file);
  for (const name of Object.keys(sections)) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      throw new KtimerError(
        'config',
        `${file}: unknown section [${name}]; expected one of [${SECTIONS.join('] [')}]`,
      );
    }
  }
  // The defaults that depend on where conf.ini is.
  const placed = { pidfile: places.pidfile, 'log.dir': places.logDir };
  const read = <S extends Record<string, KeySpec<unknown>>>(name: SectionName, keys: S) =>
    readSection(sections, file, name, keys, placed);
  return {
    d: read('default', CONFIG_KEYS.default.keys),
    w: read('web', CONFIG_KEYS.web.keys),
    r: read('redis', CONFIG_KEYS.redis.keys),
    l: read('log', CONFIG_KEYS.log.keys),
    t: read('task', CONFIG_KEYS.task.keys),
    n: read('notify', CONFIG_KEYS.notify.keys),
    dm: read('daemon', CONFIG_KEYS.daemon.keys),
  };
}

function readSection<S extends Record<string, KeySpec<unknown>>>(
  sections: IniSections,
  file: string,
  name: SectionName,
  keys: S,
  placed: Readonly<Record<string, string>>,
): SectionValues<S> {
  const reader = new SectionReader(
    file,
    name,
    sections[name] ?? {},
    SPELT_BOTH_WAYS.includes(name) ? name : undefined,
  );
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(keys)) {
    const { value, site } = reader.get(key, placed[key] ?? spec.default, spec.aliases);
    values[key] = spec.read(site, value);
  }
  reader.checkUnknown();
  return values as SectionValues<S>;
}

export function buildConfig(
  text: string,
  file: string,
  places: StatePlaces = statePlaces(file, thisHost()),
): Config {
  const { d, w, r, l, t, n, dm } = readSections(text, file, places);
  const dir = dirname(file);
  const redis = redisConfig(r);
  checkRedis(redis, file);
  checkOrphanGrace(d, file);
  return deepFreeze({
    file,
    pidfile: resolve(dir, d.pidfile),
    task: {
      maxNum: d.task_max_num,
      maxDay: d.task_max_day,
      expireLimitSec: d.task_expire_limit,
      timeoutSec: d.task_timeout,
      shellConcurrency: d.task_concurrency,
      urlConcurrency: d.task_url_concurrency,
      shutdownGraceSec: d.shutdown_grace,
      keepOrphans: d.task_keep_orphans,
      lostAfterSec: d.task_lost_after,
      defaultTimer: t.default_timer,
      defaultTicker: t.default_ticker,
      timezone: t.timezone,
      outputMax: t.output_max,
      envFile: t.env_file === '' ? '' : resolve(dir, t.env_file),
    },
    keys: { pool: d.task_pool_key, trun: d.task_trun_key, lock: d.task_lcok_key },
    history: {
      perTask: d.history_per_task,
      maxAgeSec: d.history_max_age,
      maxRuns: d.history_max_runs,
      maxOutputBytes: d.history_max_output,
    },
    web: webConfig(w),
    redis,
    log: logConfig(l, dir),
    daemon: daemonConfig(dm, { task: settingsDigest(t), notify: settingsDigest(n) }),
    notify: {
      onFailure: n.on_failure,
      onRecovery: n.on_recovery,
      onFailureCommand: n.on_failure_command,
      onRecoveryCommand: n.on_recovery_command,
      failureThreshold: n.failure_threshold,
      timeoutMs: n.timeout * 1000,
    },
  });
}

function redisConfig(r: SectionValues<(typeof CONFIG_KEYS)['redis']['keys']>): Config['redis'] {
  return {
    host: r['redis.host'],
    port: r['redis.port'],
    db: r['redis.db'],
    user: r['redis.user'],
    passwd: r['redis.passwd'],
    sentinels: r['redis.sentinels'],
    sentinelName: r['redis.sentinel_name'],
    cluster: r['redis.cluster'],
    connectTimeoutMs: r['redis.connect_timeout'] * 1000,
    waitReplicas: r['redis.wait_replicas'],
    fleet: r['redis.fleet'],
    shards: r['redis.shards'],
  };
}

function daemonConfig(
  dm: SectionValues<(typeof CONFIG_KEYS)['daemon']['keys']>,
  settings: Config['daemon']['settings'],
): Config['daemon'] {
  const name = dm.name === '' ? nameOfHost(hostname()) : dm.name;
  return { name, labels: [...new Set([...dm.labels, hostLabel(name)])].sort(), settings };
}

/** A short digest of a section's values as read (not as written: `1` and `true` are one). */
function settingsDigest(values: Record<string, unknown>): string {
  const text = JSON.stringify(
    Object.keys(values)
      .sort()
      .map((k) => [k, values[k]]),
  );
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/**
 * A dead daemon's spawners stop its commands within shutdown_grace (SIGKILL then), and a claim
 * records their runs lost, and may retry them, no sooner than three quarters of task_lost_after
 * after its death (its leases are renewed every quarter): the grace must end well before, so that
 * a retry never starts beside the command it retries (docs/guarantees.md). Half leaves a quarter
 * of task_lost_after, 1 s at least, for the clocks and the spawner. With task_keep_orphans the
 * commands are not stopped at all, a documented risk: nothing to check.
 */
function checkOrphanGrace(
  d: { shutdown_grace: number; task_lost_after: number; task_keep_orphans: boolean },
  file: string,
): void {
  if (d.task_keep_orphans || d.shutdown_grace * 2 <= d.task_lost_after) return;
  throw new KtimerError(
    'config',
    `${file}: [default] shutdown_grace = ${d.shutdown_grace} is more than half of task_lost_after = ${d.task_lost_after}: the commands of a daemon that died would still run when their runs are taken for lost and retried; set shutdown_grace to at most ${Math.floor(d.task_lost_after / 2)}, or task_lost_after to at least ${d.shutdown_grace * 2}`,
  );
}

function checkRedis(redis: Pick<Config['redis'], 'sentinels' | 'cluster' | 'db'>, file: string): void {
  if (redis.sentinels.length > 0 && redis.cluster.length > 0) {
    throw new KtimerError('config', `${file}: [redis] sets both redis.sentinels and redis.cluster; use one`);
  }
  if (redis.cluster.length > 0 && redis.db !== 0) {
    throw new KtimerError(
      'config',
      `${file}: [redis] redis.db = ${redis.db} with redis.cluster; Redis Cluster has only db 0`,
    );
  }
}

function webConfig(w: SectionValues<(typeof CONFIG_KEYS)['web']['keys']>): Config['web'] {
  return {
    enable: w.web_enable,
    port: w.web_port,
    bindIp: w.web_bind_ip,
    allowIp: w.web_allow_ip,
    passwd: w.web_passwd,
    allowEmptyPasswd: w.web_allow_empty_passwd,
    viewerPasswd: w.web_viewer_passwd,
    metricsToken: w.metrics_token,
    hosts: w.web_hosts,
    wrongPasswdPerMinute: w.web_wrong_passwd_per_minute,
    sessionLifetimeSec: w.web_session_lifetime,
  };
}

type LogValues = SectionValues<(typeof CONFIG_KEYS)['log']['keys']>;

function logConfig(l: LogValues, dir: string): Config['log'] {
  // `-`: every line to stdout (journald keeps it), its `log` field naming the file.
  const stdout = l['log.dir'] === '-';
  const logDir = stdout ? '-' : resolve(dir, l['log.dir']);
  const fileMode = l['log.file_mode'];
  const logFile = (name: LogName, open: boolean, path: string): LogFileConfig => ({
    name,
    open,
    path: stdout ? '-' : resolve(logDir, path),
    mode: fileMode,
  });
  return {
    dir: logDir,
    stdout,
    serve: logFile('serve', l['log.serve_open'], l['log.serve_file']),
    error: logFile('error', l['log.error_open'], l['log.error_file']),
    runed: logFile('runed', l['log.runed_open'], l['log.runed_file']),
    webac: logFile('webac', l['log.webac_open'], l['log.webac_file']),
    maxSizeBytes: l['log.maxsize'],
    maxBackup: l['log.maxbackup'],
    fileMode,
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
