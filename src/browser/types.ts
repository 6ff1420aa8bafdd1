// What the API's actions answer (README "Web API"), as the page reads it. A run's outcome, summary
// and record are the daemon's own types (src/runs/record.ts), so the page knows every outcome.
import type { TaskType } from '../runs/kinds.js';
import type { RunOutcome } from '../runs/record.js';

export type { RunOutcome, RunRecord, RunSummary } from '../runs/record.js';

/** A run under way (or about to start), as the running action gives it. */
export interface RunningFire {
  fire_id: string;
  kid: string;
  state: 'started' | 'leased' | 'pending';
  host?: string;
  pid?: number;
  due_ms: number;
  started_ms?: number;
  trigger: 'schedule' | 'manual' | 'retry';
  attempt: number;
}

export interface TaskRow {
  kid: string;
  type: TaskType;
  time: number;
  limit: number;
  command: string;
  cron?: string;
  tz?: string;
  misfire?: string;
  name: string | null;
  timeout: number | null;
  overlap: 'allow' | 'skip' | 'queue';
  retries: number;
  retry_delay: number | null;
  run_num: number;
  run_nexttime: number;
  paused?: number;
  schedule: string;
  last_result?: RunOutcome;
  last_started?: number;
  last_exit?: number;
  last_http?: number;
  last_signal?: string;
  last_fire_id?: string;
  last_duration_ms?: number;
  last_host?: string;
  // Issue 24's and 25's fields, where the daemon has them (all optional).
  group?: string;
  on?: string[];
  cwd?: string;
  env?: Record<string, string>;
  user?: string;
  output_max?: number | string;
  notify?: string;
  // The board's (tasks view): its runs under way, and why its last run failed.
  running?: RunningFire[];
  last_error?: string;
  last_timed_out?: boolean;
}

/** The board action's reply beside its rows. */
export interface BoardExtra {
  counts: Record<'all' | 'failing' | 'running' | 'paused', number>;
  groups: string[];
  total: number;
  page: number;
  pages: number;
  size: number;
  complete: boolean;
  corrupt: number;
}

export interface UpcomingRun {
  unix_ms: number;
  utc: string;
  local: string;
}

/** A change on record (the changes action). */
export interface ChangeRow {
  id: string;
  at_ms: number;
  op: string;
  kids: string[] | 'all';
  more_kids?: number;
  name?: string;
  detail: string;
  who: string;
  via: 'cli' | 'dashboard' | 'api';
  reason?: string;
}

/**
 * A daemon of the fleet, as the fleet page needs it: what `ktimer daemons --json` and the web
 * API's `daemons` action (issue 24) are expected to give, one object per daemon. Times are unix
 * ms on the Redis clock; `now_ms` comes beside the list (the reply's extra) for ages.
 */
export interface DaemonRow {
  name: string;
  host: string;
  pid: number;
  labels: string[];
  version: string;
  /** When it started. */
  started_ms: number;
  /** When it last claimed (its loop's heartbeat); null before its first claim. */
  last_claim_ms: number | null;
  /** Its runs under way: fire ids. */
  running: string[];
  /** The [task] and [notify] settings whose values differ from the other daemons' (key names). */
  differs: string[];
  /** Gone: stopped or dead, still listed for a while. */
  gone?: boolean;
}
