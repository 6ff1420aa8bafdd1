// Every conf.ini key, once: its default, what it means, its unit and range, and how its value is
// read. load-config.ts reads conf.ini through this object, `ktimer init` writes a new conf.ini
// from it (config-template.ts), and docs/configuration.md is generated from it
// (config-reference.ts; a test fails when the committed page differs).
import { KtimerError } from '../errors.js';
import { NAME_RULE } from '../labels.js';
import {
  type HostPort,
  readAllowList,
  readBool,
  readDuration,
  readFileMode,
  readHostNames,
  readHostPorts,
  readHttpUrl,
  readInt,
  readIp,
  readBytes,
  readLabels,
  readName,
  readNonEmpty,
  readSize,
  readTimeZone,
  readToken,
  type ValueSite,
} from './values.js';

export interface KeySpec<T> {
  /** The value when the key is absent, as conf.ini spells it ('' = empty). */
  readonly default: string;
  /** What the key does; the reference and conf.ini's comments say it. */
  readonly meaning: string;
  /** The unit and the values accepted, in words ("seconds, 0 to 3600"). */
  readonly unit: string;
  /** Other names the key is accepted by. */
  readonly aliases?: readonly string[];
  /**
   * A default that depends on where conf.ini is (config/places.ts): what it is, in words. Such a
   * key is left commented out in a new conf.ini, so that the rule applies.
   */
  readonly placed?: string;
  readonly read: (site: ValueSite, value: string) => T;
}

type Meaning = Pick<KeySpec<unknown>, 'meaning'> & Partial<Pick<KeySpec<unknown>, 'aliases' | 'placed'>>;

const spec = <T>(
  dflt: string,
  unit: string,
  read: KeySpec<T>['read'],
  about: string | Meaning,
): KeySpec<T> => ({
  default: dflt,
  unit,
  read,
  ...(typeof about === 'string' ? { meaning: about } : about),
});

const int = (dflt: number, min: number, max: number, unit: string, about: string | Meaning) =>
  spec(String(dflt), `${unit}, ${min} to ${max}`, (site, v) => readInt(site, v, min, max), about);

const bool = (dflt: boolean, about: string) => spec(dflt ? '1' : '0', '1 or 0', readBool, about);

const text = (dflt: string, about: string | Meaning) =>
  spec(dflt, 'text', (_site: ValueSite, v: string) => v, about);

const nonEmpty = (dflt: string, unit: string, about: string | Meaning) =>
  spec(dflt, unit, readNonEmpty, about);

const hostPorts = (about: string) =>
  spec<readonly HostPort[]>('', 'comma-separated host:port list', readHostPorts, about);

/** A Redis key name: no spaces, 200 characters at most. */
function readKeyName(site: ValueSite, value: string): string {
  if (!/^[^\s]{1,200}$/.test(value)) {
    throw new KtimerError(
      'config',
      `${site.file}: [${site.section}] ${site.key} = "${value}" is invalid; expected a Redis key name without spaces`,
    );
  }
  return value;
}

const keyName = (dflt: string, about: string | Meaning) => spec(dflt, 'Redis key name', readKeyName, about);

/** `log.NAME_open`: whether the daemon writes that log. */
const logOpen = (name: string, what: string) => bool(true, `Write ${name}.log: ${what}.`);

/** `log.NAME_file`: that log's file. */
const logFile = (name: string) =>
  nonEmpty(`${name}.log`, 'file name or path (relative: under log.dir)', `File of the ${name} log.`);

const DEFAULT_SECTION = {
  pidfile: nonEmpty('runtime/ktimer.pid', 'path (relative: to the directory of conf.ini)', {
    meaning:
      'Pidfile of the daemon: one daemon per pidfile. Its state file (for `ktimer info`) sits beside it.',
    placed:
      'runtime/ktimer.pid beside conf.ini; /run/ktimer/ktimer.pid (/var/lib/ktimer/ktimer.pid without /run) for /etc/ktimer/conf.ini; $XDG_STATE_HOME/ktimer/run/ktimer.pid for $XDG_CONFIG_HOME/ktimer/conf.ini',
  }),
  task_max_num: int(500_000, 1, 100_000_000, 'tasks', '`add` refuses a task beyond this many.'),
  task_max_day: int(
    100,
    1,
    3650,
    'days',
    'A -time above this many days (x 86400 s) is read as a unix timestamp, not a delay.',
  ),
  task_pool_key: keyName(
    'ktimer:tasks:all',
    'Redis key of the task hash. For Redis Cluster the three keys must share a hash tag, such as {ktimer}:tasks:all, {ktimer}:tasks:second and {ktimer}:tasks:lock.',
  ),
  task_trun_key: keyName('ktimer:tasks:second', 'Redis key of the schedule (a sorted set of next runs).'),
  task_lcok_key: keyName('ktimer:tasks:lock', {
    meaning: 'Prefix of the Redis keys of fires, leases and marks (sic: the historical name is kept).',
    aliases: ['task_lock_key'],
  }),
  task_expire_limit: int(
    60,
    0,
    315_360_000,
    'seconds',
    'A timer overdue by more than this (after downtime) is dropped, not run; 0 = never drop.',
  ),
  task_timeout: int(
    0,
    0,
    604_800,
    'seconds',
    "How long a run may take before its process group is killed (URL calls: 30 s at most); 0 = no limit. A task's -timeout overrides it.",
  ),
  task_concurrency: int(
    64,
    1,
    10_000,
    'shell commands',
    'Shell commands running at once per daemon; further due runs wait in Redis, none is dropped.',
  ),
  task_url_concurrency: int(1000, 1, 100_000, 'URL calls', 'URL calls in flight at once per daemon.'),
  shutdown_grace: int(
    30,
    0,
    3600,
    'seconds',
    "On stop, how long running tasks may go on before they are killed; when the daemon dies, how long its spawners wait from SIGTERM to SIGKILL. At most half of task_lost_after (unless task_keep_orphans = 1), so that a dead daemon's commands are stopped before their runs are retried.",
  ),
  task_keep_orphans: bool(
    false,
    "When the daemon dies (kill -9, a crash) while commands run, its spawners stop them: SIGTERM to each command's process group, SIGKILL after shutdown_grace. 1 = leave them running alone (the old behaviour): nothing records their output or end, no timeout applies, and a retry or the next run of an -overlap=skip task may start beside them (docs/running-tasks.md).",
  ),
  task_lost_after: int(
    60,
    4,
    3600,
    'seconds',
    "A running task's daemon renews its lease; when a daemon stops (killed, its machine gone), the runs it had begun are recorded lost this long after, by whichever daemon claims next, and retried if their tasks retry. A daemon that cannot reach Redis stops its own runs before then. At least twice shutdown_grace.",
  ),
  history_per_task: int(
    100,
    0,
    10_000,
    'records',
    'Run records kept in Redis per task, newest first (`ktimer history`, `output`); 0 = none.',
  ),
  history_max_age: spec(
    '7d',
    'duration: seconds, or with s, m, h, d (3600, 12h, 7d); 60 s to 3650 days',
    (site, v) => readDuration(site, v, 60, 3650 * 86_400),
    "How long a run record is kept. A deleted task's history goes by the same rules.",
  ),
  history_max_runs: int(
    100_000,
    0,
    100_000_000,
    'runs',
    "Runs kept across all tasks and daemons: `ktimer runs`, the dashboard, and the bound of the whole history: past it the oldest runs leave their tasks' history first. 0 = none: no runs stream, no fleet-wide bound, no output kept.",
  ),
  history_max_output: spec(
    '256M',
    'size: bytes, or with K, M, G; 0 to 64G',
    (site, v) => readBytes(site, v, 0, 64 * 1024 ** 3),
    'Bytes of run output (stdout and stderr) kept in Redis across all tasks and daemons. Past it the oldest outputs are dropped first; their records stay, marked. 0 = keep no output.',
  ),
};

const WEB_SECTION = {
  web_enable: bool(true, 'Run the HTTP API (and the dashboard) inside the daemon.'),
  web_port: int(9558, 1, 65535, 'TCP port', 'Port of the HTTP API.'),
  web_bind_ip: spec(
    '127.0.0.1',
    'IPv4 or IPv6 address',
    readIp,
    'Address the API listens on: 127.0.0.1 = this machine only; 0.0.0.0 or :: = every interface.',
  ),
  web_allow_ip: spec(
    '127.,::1',
    'comma-separated address prefixes ("127.", "10.0.0.") or CIDR ranges ("10.0.0.0/8", "::1/128")',
    readAllowList,
    'Client addresses allowed to call the API, /metrics and /healthz.',
  ),
  web_passwd: text(
    '',
    'Password of the API and the dashboard; `ktimer init` generates one. Empty stops the API from starting, unless web_allow_empty_passwd = 1.',
  ),
  web_allow_empty_passwd: bool(false, 'Let the API run without a password (web_passwd empty).'),
  web_viewer_passwd: text(
    '',
    'A second password that only looks: the dashboard and the API show everything to whoever gives it, and refuse every change (403). Empty = no viewer login. Must differ from web_passwd.',
  ),
  metrics_token: spec(
    '',
    '16 to 512 printable characters without spaces (`openssl rand -hex 24` makes one)',
    readToken,
    {
      meaning:
        'A token for Prometheus: GET /metrics with `Authorization: Bearer <token>` needs no web_passwd. Empty = /metrics takes the passwd parameter only.',
      aliases: ['web.metrics_token', 'web_metrics_token'],
    },
  ),
  web_hosts: spec(
    '',
    'comma-separated host names (ktimer.example.com,ktimer)',
    readHostNames,
    "Names a request's Host header may give besides web_bind_ip and localhost: the name a TLS proxy passes on. Any other is refused (421), against DNS rebinding.",
  ),
  web_wrong_passwd_per_minute: int(
    100,
    1,
    1_000_000,
    'wrong passwords a minute',
    'Wrong passwords (API, dashboard, /metrics) a minute across the fleet, whatever their addresses; past them no password is checked (429) until the minute ends. Open dashboard sessions go on.',
  ),
  web_session_lifetime: spec(
    '7d',
    'duration: seconds, or with s, m, h, d (3600, 12h, 7d); 60 s to 365 days',
    (site, v) => readDuration(site, v, 60, 365 * 86_400),
    'A dashboard session ends this long after its login however much it is used; 8 hours unused end it sooner, and so do a change of web_passwd and `ktimer logout --all`.',
  ),
};

/** The most schedule shards a fleet may have ([redis] shards; store/shards.ts). */
export const MAX_SHARDS = 256;

const REDIS_SECTION = {
  'redis.host': nonEmpty(
    '127.0.0.1',
    'host name or address',
    'Redis server (unused with Sentinel or Cluster).',
  ),
  'redis.port': int(6379, 1, 65535, 'TCP port', 'Port of the Redis server.'),
  'redis.db': int(0, 0, 100_000, 'database number', 'Redis database (Cluster has only 0).'),
  'redis.user': text('', 'ACL user name (Redis 6+); empty = the default user.'),
  'redis.passwd': text('', 'Redis password; empty = none.'),
  'redis.connect_timeout': int(
    3,
    1,
    120,
    'seconds',
    'How long to wait for a connection before a command fails.',
  ),
  'redis.sentinels': hostPorts(
    'Redis Sentinel: the sentinels to ask for the master (redis.host and redis.port are then unused).',
  ),
  'redis.sentinel_name': text('mymaster', "Redis Sentinel: the master's name."),
  'redis.wait_replicas': int(
    0,
    0,
    16,
    'replicas',
    "With replicas (Sentinel, or Cluster: each master's own): how many must have confirmed a fire's claim (WAIT) before it runs. A fire that a failover may have undone is then left to the new master instead of run twice. 0 = do not wait (a single server).",
  ),
  'redis.cluster': hostPorts(
    'Redis Cluster: seed nodes (the three task keys then need a shared hash tag). Not with redis.sentinels.',
  ),
  'redis.shards': int(1, 1, MAX_SHARDS, 'shards', {
    meaning:
      "Schedule shards: the fleet's tasks split over this many, each under a hash tag of its own, so Redis Cluster spreads them over its masters and daemons share them by leases. Fixed when the fleet is created and recorded beside its name: a daemon or command whose count differs refuses (exit 1); `ktimer reshard` changes it (docs/shards.md). 1 = one set of keys, the layout of before.",
    aliases: ['shards'],
  }),
  'redis.fleet': spec('default', NAME_RULE, (site, v) => readName(site, v, false), {
    meaning:
      "The fleet's name. The first daemon or command on a Redis records it there; a daemon or command whose fleet differs refuses to start (exit 1) and reads no task, so one pointed at another fleet's Redis never runs its tasks (docs/fleet.md).",
    aliases: ['fleet'],
  }),
};

const DAEMON_SECTION = {
  name: spec('', `${NAME_RULE}; empty = the host name`, (site, v) => readName(site, v, true), {
    meaning:
      "This daemon's name: in `ktimer daemons`, in the HOST of the runs it records, and in its own label host:<name>. Two daemons of a fleet should not share one.",
  }),
  labels: spec(
    '',
    'comma-separated labels (db,eu): each a letter or digit, then letters, digits, . _ : or -',
    readLabels,
    'What this daemon offers: a task added with -on=LABELS runs only on a daemon holding all of them. Every daemon also holds host:<name> (docs/fleet.md).',
  ),
};

const LOG_SECTION = {
  'log.dir': nonEmpty('log', 'directory (relative: to the directory of conf.ini), or -', {
    meaning:
      "Directory of the log files (JSON lines). `-` sends every line to the daemon's stdout instead, with a `log` field naming its file (for journald; the daemon must then run in the foreground).",
    placed:
      'log beside conf.ini; /var/log/ktimer for /etc/ktimer/conf.ini; $XDG_STATE_HOME/ktimer/log for $XDG_CONFIG_HOME/ktimer/conf.ini',
  }),
  'log.serve_open': logOpen('serve', 'start, stop, and what the daemon does'),
  'log.serve_file': logFile('serve'),
  'log.error_open': logOpen('error', 'failed runs, Redis and requests'),
  'log.error_file': logFile('error'),
  'log.runed_open': logOpen('runed', 'every fire and every change of a task'),
  'log.runed_file': logFile('runed'),
  'log.webac_open': logOpen('webac', 'every request to the HTTP API'),
  'log.webac_file': logFile('webac'),
  'log.maxsize': spec(
    '50M',
    'size in bytes, or with K, M, G; 1K at least',
    readSize,
    'A live log file past this size is rotated to NAME.1 .. NAME.<maxbackup>, the oldest dropped.',
  ),
  'log.maxbackup': int(5, 1, 1000, 'files', 'Rotated files kept per log.'),
  'log.file_mode': spec(
    '0640',
    'octal mode with owner read and write, no execute bit (0640, 0600)',
    readFileMode,
    "Mode (less the umask) of new log files and of the daemon's state file: they hold whole commands.",
  ),
};

/** The most output_max may be, per stream (tasks/run-fields.ts MAX_OUTPUT_BYTES, checked by a test). */
export const OUTPUT_MAX_CEILING = 16 * 1024 ** 2;

const TASK_SECTION = {
  default_timer: text('echo -e Hello Ktimer', 'Command of a timer added without -command (`add` says so).'),
  default_ticker: text(
    'date --rfc-3339=ns',
    'Command of a ticker or cron task added without -command (`add` says so).',
  ),
  timezone: spec(
    '',
    'IANA time zone (Europe/Berlin, America/New_York, UTC); empty = UTC',
    readTimeZone,
    "Zone of cron tasks added without -tz, and of -time dates written without an offset (-time=2026-12-24T18:00). `ktimer init` writes this machine's zone. A task keeps the zone it was added with.",
  ),
  output_max: spec(
    '64K',
    // tasks/run-fields.ts MAX_OUTPUT_BYTES: a task's own -output_max has the same ceiling.
    'size: bytes, or with K, M; 0 to 16M',
    (site, v) => readBytes(site, v, 0, OUTPUT_MAX_CEILING),
    'Bytes of stdout, and of stderr, kept of each run of a task without its own -output_max: the first half and the last half, with a line saying how many bytes were cut between them. Read by the daemon that runs it.',
  ),
  env_file: text('', {
    meaning:
      "A file of NAME=VALUE lines (as systemd's EnvironmentFile= reads them) whose variables every shell command gets, under its task's -env; a path relative to conf.ini's directory. Read when the daemon starts: a file it cannot read or parse stops the start. Empty = none.",
  }),
};

const NOTIFY_SECTION = {
  on_failure: spec(
    '',
    'http(s) URL; empty = no alert',
    readHttpUrl,
    "A daemon POSTs a run's record as JSON here when a task's run fails for good (after its retries) failure_threshold times in a row, and each time after that. user:password@ in the URL is sent as Basic authentication (and masked in the logs).",
  ),
  on_recovery: spec(
    '',
    'http(s) URL; empty = no alert',
    readHttpUrl,
    'A daemon POSTs the run record here when a task that was alerted on succeeds again.',
  ),
  on_failure_command: text(
    '',
    'A local command (bash -c, in the directory of conf.ini) run when on_failure would be called: the alert as JSON on its stdin, and as KTIMER_* variables (KTIMER_SUBJECT, KTIMER_NAME, KTIMER_RESULT ...), so `mail -s "$KTIMER_SUBJECT" ops@example.com` mails it. Quote it when it holds `;` or `#`. Run once; a failure is logged in error.log. Empty = none.',
  ),
  on_recovery_command: text('', 'The same, run when on_recovery would be called. Empty = none.'),
  failure_threshold: int(
    1,
    1,
    10_000,
    'failures in a row',
    'Failures in a row before on_failure (and on_failure_command) is called.',
  ),
  timeout: int(
    10,
    1,
    300,
    'seconds',
    'How long one POST, or one notify command, may take. A POST that fails is tried 3 times in all, a command once, then logged in error.log; alerts never delay firing.',
  ),
};

/** The sections of conf.ini, in the order a new conf.ini lists them, each with its keys. */
export const CONFIG_KEYS = {
  default: { about: 'The store, the daemon and the run history.', keys: DEFAULT_SECTION },
  web: { about: 'The HTTP API inside the daemon (and the dashboard at /ui).', keys: WEB_SECTION },
  redis: { about: 'Where the tasks are: one Redis, a Sentinel set or a Cluster.', keys: REDIS_SECTION },
  daemon: { about: 'This daemon in its fleet: its name and its labels.', keys: DAEMON_SECTION },
  log: { about: "The daemon's log files.", keys: LOG_SECTION },
  task: { about: 'Defaults of new tasks, and how every task runs.', keys: TASK_SECTION },
  notify: {
    about:
      'Alerts when a task fails, and when it recovers: POSTed to a URL, or given to a local command (mail). A task with -notify=off sends none.',
    keys: NOTIFY_SECTION,
  },
} as const;

export type SectionName = keyof typeof CONFIG_KEYS;

/**
 * Keys of [web], [redis] and [log] are accepted with `.` or `_` after the section's name
 * (web.enable or web_enable).
 */
export const SPELT_BOTH_WAYS: readonly SectionName[] = ['web', 'redis', 'log'];

/** A section's values as read: each key's type is its reader's. */
export type SectionValues<S extends Record<string, KeySpec<unknown>>> = {
  [K in keyof S]: S[K] extends KeySpec<infer T> ? T : never;
};
