// conf.ini → Config: every key typed and range-checked, relative paths resolved against the
// directory of the file, defaults as in the shipped conf.ini.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { KtimerError } from '../errors.js';
import type { Config, LogFileConfig, LogName } from './config.js';
import { parseIni } from './parse-ini.js';
import { SectionReader } from './section-reader.js';
import {
  readAllowList,
  readBool,
  readFileMode,
  readHostNames,
  readHostPorts,
  readHttpUrl,
  readInt,
  readIp,
  readNonEmpty,
  readDuration,
  readSize,
  readTimeZone,
  readToken,
  type ValueSite,
} from './values.js';

const SECTIONS = ['default', 'web', 'redis', 'log', 'task', 'notify'] as const;

export function loadConfig(file: string): Config {
  return buildConfig(readConfigText(file), file);
}

/** The text of a conf.ini, or an error saying why it cannot be read and what to do. */
export function readConfigText(file: string): string {
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
    throw new KtimerError('config', `cannot read config file ${file} (${code ?? 'error'}); ${hint}`, {
      cause: err,
    });
  }
}

// eslint-disable-next-line max-lines-per-function -- to split (issue 22)
export function buildConfig(text: string, file: string): Config {
  const sections = parseIni(text, file);
  for (const name of Object.keys(sections)) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      throw new KtimerError(
        'config',
        `${file}: unknown section [${name}]; expected one of [${SECTIONS.join('] [')}]`,
      );
    }
  }
  const dir = dirname(file);
  const reader = (section: string, prefix?: string) =>
    new SectionReader(file, section, sections[section] ?? {}, prefix);

  const d = reader('default');
  const str = (r: SectionReader, key: string, fallback: string) => {
    const { value, site } = r.get(key, fallback);
    return readNonEmpty(site, value);
  };
  const int = (r: SectionReader, key: string, fallback: number, min: number, max: number) => {
    const { value, site } = r.get(key, String(fallback));
    return readInt(site, value, min, max);
  };
  const bool = (r: SectionReader, key: string, fallback: boolean) => {
    const { value, site } = r.get(key, fallback ? '1' : '0');
    return readBool(site, value);
  };
  const raw = (r: SectionReader, key: string, fallback: string) => r.get(key, fallback).value;

  const pidfile = resolve(dir, str(d, 'pidfile', 'runtime/ktimer.pid'));
  // task_lcok_key is the historical (misspelt) name; task_lock_key is accepted as well.
  const lockFallback = d.get('task_lock_key', '').value || 'ktimer:tasks:lock';
  const taskDefaults = {
    maxNum: int(d, 'task_max_num', 500000, 1, 100_000_000),
    maxDay: int(d, 'task_max_day', 100, 1, 3650),
    expireLimitSec: int(d, 'task_expire_limit', 60, 0, 315_360_000),
    timeoutSec: int(d, 'task_timeout', 0, 0, 604_800),
    shellConcurrency: int(d, 'task_concurrency', 64, 1, 10_000),
    urlConcurrency: int(d, 'task_url_concurrency', 1000, 1, 100_000),
    shutdownGraceSec: int(d, 'shutdown_grace', 30, 0, 3600),
    keepOrphans: bool(d, 'task_keep_orphans', false),
    lostAfterSec: int(d, 'task_lost_after', 60, 4, 3600),
  };
  const history = {
    perTask: int(d, 'history_per_task', 100, 0, 10_000),
    maxAgeSec: typed(d, 'history_max_age', '7d', (site, v) => readDuration(site, v, 60, 3650 * 86_400)),
    maxRuns: int(d, 'history_max_runs', 100_000, 0, 100_000_000),
  };
  const keys = {
    pool: readKeyName(d, 'task_pool_key', 'ktimer:tasks:all'),
    trun: readKeyName(d, 'task_trun_key', 'ktimer:tasks:second'),
    lock: readKeyName(d, 'task_lcok_key', lockFallback),
  };
  d.checkUnknown();

  const w = reader('web', 'web');
  const web = {
    enable: bool(w, 'web.enable', true),
    port: int(w, 'web.port', 9558, 1, 65535),
    bindIp: typed(w, 'web.bind_ip', '127.0.0.1', readIp),
    allowIp: typed(w, 'web.allow_ip', '127.,::1', readAllowList),
    passwd: raw(w, 'web.passwd', ''),
    allowEmptyPasswd: bool(w, 'web.allow_empty_passwd', false),
    // `metrics_token`, as the issue asking for it named it; web_metrics_token as the section's others.
    metricsToken: readToken(...siteOf(w.get('web.metrics_token', '', ['metrics_token']))),
    hosts: typed(w, 'web.hosts', '', readHostNames),
    wrongPasswdPerMinute: int(w, 'web.wrong_passwd_per_minute', 100, 1, 1_000_000),
    sessionLifetimeSec: typed(w, 'web.session_lifetime', '7d', (site, v) =>
      readDuration(site, v, 60, 365 * 86_400),
    ),
  };
  w.checkUnknown();

  const r = reader('redis', 'redis');
  const redis = {
    host: str(r, 'redis.host', '127.0.0.1'),
    port: int(r, 'redis.port', 6379, 1, 65535),
    db: int(r, 'redis.db', 0, 0, 100_000),
    user: raw(r, 'redis.user', ''),
    passwd: raw(r, 'redis.passwd', ''),
    sentinels: typed(r, 'redis.sentinels', '', readHostPorts),
    sentinelName: raw(r, 'redis.sentinel_name', 'mymaster'),
    cluster: typed(r, 'redis.cluster', '', readHostPorts),
    connectTimeoutMs: int(r, 'redis.connect_timeout', 3, 1, 120) * 1000,
    waitReplicas: int(r, 'redis.wait_replicas', 0, 0, 16),
  };
  r.checkUnknown();
  if (redis.sentinels.length > 0 && redis.cluster.length > 0) {
    throw new KtimerError('config', `${file}: [redis] sets both redis.sentinels and redis.cluster; use one`);
  }
  if (redis.cluster.length > 0 && redis.db !== 0) {
    throw new KtimerError(
      'config',
      `${file}: [redis] redis.db = ${redis.db} with redis.cluster; Redis Cluster has only db 0`,
    );
  }

  const l = reader('log', 'log');
  const dirValue = str(l, 'log.dir', 'log');
  // `-`: every line to stdout (journald keeps it), its `log` field naming the file.
  const stdout = dirValue === '-';
  const logDir = stdout ? '-' : resolve(dir, dirValue);
  const fileMode = typed(l, 'log.file_mode', '0640', readFileMode);
  const logPath = (file: string) => (stdout ? '-' : resolve(logDir, file));
  const logFile = (name: LogName): LogFileConfig => ({
    name,
    open: bool(l, `log.${name}_open`, true),
    path: logPath(str(l, `log.${name}_file`, `${name}.log`)),
    mode: fileMode,
  });
  const log = {
    dir: logDir,
    stdout,
    serve: logFile('serve'),
    error: logFile('error'),
    runed: logFile('runed'),
    webac: logFile('webac'),
    maxSizeBytes: typed(l, 'log.maxsize', '50M', readSize),
    maxBackup: int(l, 'log.maxbackup', 5, 1, 1000),
    fileMode,
  };
  l.checkUnknown();

  const n = reader('notify');
  const notify = {
    onFailure: typed(n, 'on_failure', '', readHttpUrl),
    onRecovery: typed(n, 'on_recovery', '', readHttpUrl),
    failureThreshold: int(n, 'failure_threshold', 1, 1, 10_000),
    timeoutMs: int(n, 'timeout', 10, 1, 300) * 1000,
  };
  n.checkUnknown();

  const t = reader('task');
  const task = {
    ...taskDefaults,
    defaultTimer: raw(t, 'default_timer', ''),
    defaultTicker: raw(t, 'default_ticker', ''),
    timezone: typed(t, 'timezone', '', readTimeZone),
  };
  t.checkUnknown();

  return deepFreeze({ file, pidfile, task, keys, history, web, redis, log, notify });
}

const siteOf = ({ site, value }: { site: ValueSite; value: string }): [ValueSite, string] => [site, value];

function typed<T>(
  r: SectionReader,
  key: string,
  fallback: string,
  read: (site: ValueSite, value: string) => T,
): T {
  const { value, site } = r.get(key, fallback);
  return read(site, value);
}

function readKeyName(r: SectionReader, key: string, fallback: string): string {
  const { value, site } = r.get(key, fallback);
  if (!/^[^\s]{1,200}$/.test(value)) {
    throw new KtimerError(
      'config',
      `${site.file}: [${site.section}] ${site.key} = "${value}" is invalid; expected a Redis key name without spaces`,
    );
  }
  return value;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
