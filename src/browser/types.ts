// What the API's actions answer (README "Web API"), as the page reads it. A run's outcome, summary
// and record are the daemon's own types (src/runs/record.ts), so the page knows every outcome.
import type { TaskType } from '../runs/kinds.js';
import type { RunOutcome } from '../runs/record.js';

export type { RunOutcome, RunRecord, RunSummary } from '../runs/record.js';

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
  last_fire_id?: string;
}

export interface UpcomingRun {
  unix_ms: number;
  utc: string;
  local: string;
}
