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

/** A shell command that could not be started. */
export const shellNotStarted = (startedMs: number, why: string): RunResult => ({
  ...emptyResult('shell', startedMs),
  error: `cannot start /bin/bash: ${why}`,
});

/** How a shell command ended, as either spawner saw it (exit code or signal, the timeout). */
export function shellEnded(e: {
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
    ...emptyResult('shell', e.startedMs),
    durationMs: e.endedMs - e.startedMs,
    ok: e.exitCode === 0 && !timedOut,
    exitCode: e.exitCode,
    signal: e.signal,
    timedOut,
    output: e.output,
    error: timedOut ? `timed out after ${e.timedOutAfterMs} ms: process group killed` : null,
  };
}
