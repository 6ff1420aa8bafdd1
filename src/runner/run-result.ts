// What the daemon asks a runner to do, and what it reports back.

export interface FireRequest {
  kid: string;
  /** Shell command, or http(s) URL. */
  command: string;
  /** Unix ms the fire was due (run_nexttime). */
  dueMs: number;
  /** 0 = no limit (shell); URL calls are always capped at 30 s. */
  timeoutMs: number;
}

export interface RunResult {
  kind: 'shell' | 'url';
  /** Date.now() when the process was spawned / the request sent. */
  startedMs: number;
  durationMs: number;
  /** shell: exit code 0; url: HTTP status 200-399. */
  ok: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  httpStatus: number | null;
  /** shell: the last 4 KiB of stdout+stderr; url: the first 1 KiB of the body. */
  output: string;
  error: string | null;
}

export interface RunningTask {
  /** Never rejects. */
  readonly result: Promise<RunResult>;
  kill(signal?: NodeJS.Signals): void;
  /** A shell command's pid (= its process group), once started. */
  readonly pid?: number | null;
}

export const emptyResult = (kind: RunResult['kind'], startedMs: number): RunResult => ({
  kind,
  startedMs,
  durationMs: 0,
  ok: false,
  exitCode: null,
  signal: null,
  timedOut: false,
  httpStatus: null,
  output: '',
  error: null,
});
