// What the daemon asks a runner to do, and what the runner reports back (its RunnerResult; the run
// recorded in the history has an outcome, RunOutcome, decided from it). Runners report durations;
// the daemon puts them on its own (Redis) clock.

export interface FireRequest {
  kid: string;
  /** Shell command, or http(s) URL. */
  command: string;
  /** Unix ms the fire was due (run_nexttime). */
  dueMs: number;
  /** How long it may run (fireTimeoutMs); 0 = no limit for a shell command, URL_TIMEOUT_MS for a URL. */
  timeoutMs: number;
  /**
   * Date.now() when the runner layer took it (set by the shell pool, so that a spawner process
   * on this machine can tell how long the request waited for it).
   */
  handedMs?: number;
}

/** A URL call's limit when none is set, and task_timeout's ceiling for URL calls. */
export const URL_TIMEOUT_MS = 30_000;

/**
 * How long a fire may run, ms (0 = no limit): the task's own -timeout (whole seconds), for a
 * shell command or a URL call alike (a URL task may be given more than 30 s); else task_timeout
 * (`taskTimeoutMs`), which a URL call never exceeds URL_TIMEOUT_MS.
 */
export function fireTimeoutMs(
  kind: 'shell' | 'url',
  ownSec: number | undefined,
  taskTimeoutMs: number,
): number {
  if (ownSec !== undefined) return ownSec * 1000;
  if (kind === 'url') return Math.min(taskTimeoutMs || URL_TIMEOUT_MS, URL_TIMEOUT_MS);
  return taskTimeoutMs;
}

export interface RunnerResult {
  kind: 'shell' | 'url';
  /** From the hand-over until the process was spawned / the request sent, ms. */
  startDelayMs: number;
  /** From that start until the end, ms. */
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
  readonly result: Promise<RunnerResult>;
  kill(signal?: NodeJS.Signals): void;
  /** A shell command's pid (= its process group), once started. */
  readonly pid?: number | null;
}

export const emptyResult = (kind: RunnerResult['kind']): RunnerResult => ({
  kind,
  startDelayMs: 0,
  durationMs: 0,
  ok: false,
  exitCode: null,
  signal: null,
  timedOut: false,
  httpStatus: null,
  output: '',
  error: null,
});

/** A shell command that could not be started. */
export const shellNotStarted = (why: string): RunnerResult => ({
  ...emptyResult('shell'),
  error: `cannot start /bin/bash: ${why}`,
});

/** How a shell command ended, as either spawner saw it (exit code or signal, the timeout). */
export function shellEnded(e: {
  /** Date.now() of the hand-over, of the spawn, of the end. */
  handedMs: number;
  startedMs: number;
  endedMs: number;
  exitCode: number | null;
  signal: string | null;
  /** The timeout that killed it, ms; 0 when none did. */
  timedOutAfterMs: number;
  output: string;
}): RunnerResult {
  const timedOut = e.timedOutAfterMs > 0;
  return {
    ...emptyResult('shell'),
    startDelayMs: Math.max(0, e.startedMs - e.handedMs),
    durationMs: e.endedMs - e.startedMs,
    ok: e.exitCode === 0 && !timedOut,
    exitCode: e.exitCode,
    signal: e.signal,
    timedOut,
    output: e.output,
    error: timedOut ? `timed out after ${e.timedOutAfterMs} ms: process group killed` : null,
  };
}
