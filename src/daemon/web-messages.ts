// What the daemon's main thread and its web API thread say to each other (web-thread.ts starts
// the thread, web-worker.ts runs in it). Structured-clonable data only.
import type { Config } from '../config/config.js';
import type { ErrorCode } from '../errors.js';
import type { LoopHealth } from './health.js';

/** What the web API thread is started with. */
export interface WebWorkerData {
  config: Config;
}

/** A line for error.log or runed.log: those files are written by the main thread only. */
export interface LogLine {
  file: 'error' | 'runed';
  level: 'info' | 'warn' | 'error';
  fields: object;
  msg: string;
}

/** Web API thread -> main thread. */
export type FromWebThread =
  /** It listens: start-up is done. */
  | { type: 'listening'; address: string }
  /** It cannot start (port in use, empty passwd, ...): the one line `start -d` prints. */
  | { type: 'failed'; code: ErrorCode; message: string }
  | { type: 'log'; line: LogLine }
  /** The info action needs the daemon's state. */
  | { type: 'info_request' }
  /** /metrics needs the Prometheus text; /healthz the loop's health. */
  | { type: 'metrics_request' }
  | { type: 'health_request' }
  /** log.dir = -: webac.log's lines, for the main thread's stdout (one writer). */
  | { type: 'stdout'; text: string };

/** Main thread -> web API thread. */
export type ToWebThread =
  | { type: 'info'; info: Record<string, unknown> }
  /** The Prometheus text; null and why when it could not be made. */
  | { type: 'metrics'; text: string | null; error?: string }
  | { type: 'health'; health: LoopHealth }
  /** SIGHUP: reopen webac.log. */
  | { type: 'reopen' }
  /** Stopping: close the server and the store, then end the thread. */
  | { type: 'close' };
