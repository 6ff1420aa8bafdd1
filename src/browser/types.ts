// What the API's actions answer (README "Web API"), as the page reads it.

export type RunOutcome = 'ok' | 'failed' | 'lost';

export interface TaskRow {
  kid: string;
  type: 'timer' | 'ticker' | 'cron';
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
  last_fire_id?: string;
}

/** A run as the runs stream keeps it (runs action, live feed). */
export interface RunSummary {
  fire_id: string;
  kid: string;
  result: RunOutcome;
  ok: boolean;
  started?: number;
  duration_ms?: number;
  lateness_ms?: number;
  exit_code?: number;
  signal?: string;
  http_status?: number;
  host: string;
  trigger?: string;
  attempt?: number;
}

/** A run's full record (history and output actions). */
export interface RunRecord extends RunSummary {
  due: number;
  finished: number;
  timed_out?: boolean;
  error?: string;
  output?: string;
}

export interface UpcomingRun {
  unix_ms: number;
  utc: string;
  local: string;
}
