// The typed, frozen configuration every part of ktimer reads; built by load-config.ts.
import type { HostPort } from './values.js';

/** The daemon's log files, by the name `log.dir = -` gives their lines (`"log":"runed"`). */
export type LogName = 'serve' | 'error' | 'runed' | 'webac';

export interface LogFileConfig {
  readonly name: LogName;
  readonly open: boolean;
  /** Absolute path of the live file. */
  readonly path: string;
  /** Mode a new file gets (log.file_mode, less the umask). */
  readonly mode: number;
}

export interface Config {
  /** Absolute path of the conf.ini in use. */
  readonly file: string;
  readonly pidfile: string;
  readonly task: {
    readonly maxNum: number;
    readonly maxDay: number;
    /** A timer overdue by more than this is dropped; 0 = never drop. */
    readonly expireLimitSec: number;
    /** Kill a running task after this long; 0 = no limit. */
    readonly timeoutSec: number;
    /** Shell commands running at once; more wait their turn. */
    readonly shellConcurrency: number;
    /** URL calls in flight at once. */
    readonly urlConcurrency: number;
    /** On stop, how long running tasks may go on before they are killed. */
    readonly shutdownGraceSec: number;
    /**
     * When the daemon dies (killed, crashed), its commands go on alone (true) instead of being
     * stopped by its spawners: SIGTERM, SIGKILL after shutdown_grace (docs/running-tasks.md).
     */
    readonly keepOrphans: boolean;
    /** A begun fire whose daemon stopped renewing its lease this long is recorded lost. */
    readonly lostAfterSec: number;
    readonly defaultTimer: string;
    readonly defaultTicker: string;
    /** A cron task's time zone (and a -time date's) when the task gives none; IANA name. */
    readonly timezone: string;
    /** Bytes of stdout, and of stderr, kept of a run whose task sets no output_max. */
    readonly outputMax: number;
    /** [task] env_file: absolute path, or '' for none (read by the daemon: config/env-file.ts). */
    readonly envFile: string;
  };
  /** The run history kept in Redis (docs/logs-and-history.md). */
  readonly history: {
    /** Records kept per task, newest first; 0 = none. */
    readonly perTask: number;
    /** Records older than this go, seconds. */
    readonly maxAgeSec: number;
    /**
     * Runs kept across all tasks: the runs stream (`ktimer runs`), and the fleet-wide bound of
     * the history (the oldest runs leave first); 0 = none.
     */
    readonly maxRuns: number;
    /** Bytes of output kept across all tasks (the oldest dropped first); 0 = none. */
    readonly maxOutputBytes: number;
  };
  readonly keys: {
    readonly pool: string;
    readonly trun: string;
    readonly lock: string;
  };
  readonly web: {
    readonly enable: boolean;
    readonly port: number;
    readonly bindIp: string;
    readonly allowIp: readonly string[];
    readonly passwd: string;
    readonly allowEmptyPasswd: boolean;
    /** The viewer's password: sees everything, changes nothing; '' = none. */
    readonly viewerPasswd: string;
    /** A Bearer token that lets a scraper read /metrics without web_passwd; empty = none. */
    readonly metricsToken: string;
    /** Names a request's Host may give besides web_bind_ip and localhost (DNS rebinding). */
    readonly hosts: readonly string[];
    /** Wrong passwords a minute across the fleet; past them none is checked until the minute ends. */
    readonly wrongPasswdPerMinute: number;
    /** A dashboard session ends this long after its login, however much it is used. */
    readonly sessionLifetimeSec: number;
  };
  readonly redis: {
    readonly host: string;
    readonly port: number;
    readonly db: number;
    readonly user: string;
    readonly passwd: string;
    readonly sentinels: readonly HostPort[];
    readonly sentinelName: string;
    readonly cluster: readonly HostPort[];
    readonly connectTimeoutMs: number;
    /** Replicas that must have a fire's claim before it runs (WAIT); 0 = do not wait. */
    readonly waitReplicas: number;
    /** The fleet's name: a daemon or command whose fleet differs from the one Redis holds refuses. */
    readonly fleet: string;
    /** Schedule shards (docs/shards.md): fixed for the fleet, recorded beside its name. */
    readonly shards: number;
  };
  /** This daemon in its fleet ([daemon]). */
  readonly daemon: {
    /** Its name: [daemon] name, or the host name. */
    readonly name: string;
    /** What it offers: [daemon] labels and its own host:<name>, sorted. */
    readonly labels: readonly string[];
    /**
     * Digests of its [task] and [notify] settings as read (`ktimer daemons` says which daemons'
     * differ from the others').
     */
    readonly settings: { readonly task: string; readonly notify: string };
  };
  /** Alerts (docs/steering.md): run records POSTed to a URL when a task fails, and recovers. */
  readonly notify: {
    /** http(s) URL, or '' for none. */
    readonly onFailure: string;
    readonly onRecovery: string;
    /** A local command given the alert (stdin, KTIMER_*), or '' for none. */
    readonly onFailureCommand: string;
    readonly onRecoveryCommand: string;
    /** Failures in a row before on_failure is called (each one from then on is). */
    readonly failureThreshold: number;
    /** How long one POST may take before it counts as failed, ms. */
    readonly timeoutMs: number;
  };
  readonly log: {
    /** Absolute path, or `-` (stdout). */
    readonly dir: string;
    /** log.dir = -: every line to stdout, with a `log` field naming its file (journald). */
    readonly stdout: boolean;
    readonly serve: LogFileConfig;
    readonly error: LogFileConfig;
    readonly runed: LogFileConfig;
    readonly webac: LogFileConfig;
    readonly maxSizeBytes: number;
    readonly maxBackup: number;
    /** Mode of new log files and of the daemon's state file: they hold whole commands. */
    readonly fileMode: number;
  };
}
