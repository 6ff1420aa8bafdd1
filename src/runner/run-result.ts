// What the daemon asks a runner to do, and what it reports back. Runners report durations; the
// daemon puts them on its own (Redis) clock.

export interface FireRequest {
  kid: string;
  /** Shell command, or http(s) URL. */
  command: string;
  /** Unix ms the fire was due (run_nexttime). */
  dueMs: number;
  /** 0 = no limit (shell); URL calls are always capped at 30 s. */
  timeoutMs: number;
  /**
   * Date.now() when the runner layer took it (set by the shell pool, so that a spawner process
   * on this machine can tell how long the request waited for it).
   */
  handedMs?: number;
}

export interface RunResult {
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
  readonly result: Promise<RunResult>;
  kill(signal?: NodeJS.Signals): void;
  /** A shell command's pid (= its process group), once started. */
  readonly pid?: number | null;
}

export const emptyResult = (kind: RunResult['kind']): RunResult => ({
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
export const shellNotStarted = (why: string): RunResult => ({
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
}): RunResult {
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
