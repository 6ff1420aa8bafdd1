// What the API's actions answer (docs/web-api.md), as the page reads it. A run's outcome, summary
// and record are the daemon's own types (src/runs/record.ts), so the page knows every outcome; the
// others are the page's view of the service's types, which it may not import (ARCHITECTURE.md):
// test/unit/wire-types.test.ts has the compiler check that the daemon sends what they read.
import type { TaskType } from '../runs/kinds.js';
import type { RunOutcome, RunRecord } from '../runs/record.js';

export type { RunOutcome, RunRecord, RunSummary } from '../runs/record.js';
import type { RunningFire } from '../runs/fire.js';

export type { RunningFire };

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
  // Issue 24's and 25's fields, where the daemon has them (all optional; get gives a task
  // without a group null, and without labels []).
  group?: string | null;
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
 * A daemon of the fleet, one object of the web API's `daemons` action (issue 24; `ktimer daemons
 * --json` gives the same): src/service/fleet-service.ts's DaemonView, field for field.
 */
export interface DaemonRow {
  name: string;
  host: string;
  pid: number;
  labels: string[];
  version: string;
  /** When it started, unix seconds. */
  started: number;
  /** live: heard of lately; gone: silent since (it died), listed until forgotten. */
  state: 'live' | 'gone';
  /** Since it was last heard of, ms. */
  seen_age_ms: number;
  /** Since its loop last claimed, ms; null before its first claim. */
  last_claim_age_ms: number | null;
  /** Runs it has under way. */
  running: number;
  /** Digests of its [task] and [notify] settings. */
  settings: { task: string; notify: string };
  /** Whether those differ from the fleet's usual ones. */
  settings_differ: boolean;
  /** Which sections differ: task, notify. */
  settings_differ_in: ('task' | 'notify')[];
  /** Its id in leases and run records: name:pid:tag. */
  owner: string;
}

/** One page of `output_live` (service/live-output.ts's LiveOutputPage). */
export interface LiveOutputPage {
  fire_id: string;
  state: 'waiting' | 'running' | 'ended';
  chunks: { stream: 'stdout' | 'stderr'; text: string; dropped_bytes: number }[];
  live_ended: boolean;
  next: string;
  record: RunRecord | null;
}
