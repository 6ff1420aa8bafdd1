// What the daemon asks a runner to do, and what the runner reports back (its RunnerResult; the run
// recorded in the history has an outcome, RunOutcome, decided from it). Runners report durations;
// the daemon puts them on its own (Redis) clock. docs/running-tasks.md tells how a task runs.

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
  /** The fire's id (kid:run_num), for $KTIMER_FIRE_ID. */
  fireId?: string;
  /** The task's name, for $KTIMER_NAME. */
  name?: string;
  /** Shell: the working directory (absolute); a missing one fails the run. Default: see docs. */
  cwd?: string;
  /** Shell: variables set over the default environment. */
  env?: Readonly<Record<string, string>>;
  /** Shell: the user to run as (with their groups); needs a daemon running as root. */
  user?: string;
  /** Bytes kept of stdout, and of stderr: the first half and the last half (OUTPUT_MAX_DEFAULT). */
  outputMax?: number;
}

/** A URL call's limit when none is set, and task_timeout's ceiling for URL calls. */
export const URL_TIMEOUT_MS = 30_000;

/** Bytes of stdout, and of stderr, a runner keeps when the request sets no outputMax. */
export const OUTPUT_MAX_DEFAULT = 65_536;

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
  /**
   * shell: the last 4 KiB of stdout then stderr (runed.log's tail); url: the first 1 KiB of the
   * body.
   */
  output: string;
  /** All of stdout (a URL's body), or its first and last halves of outputMax around a cut marker. */
  stdout: string;
  /** All of stderr, or its first and last halves around a cut marker (a URL call has none). */
  stderr: string;
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
  stdout: '',
  stderr: '',
  error: null,
});

/** A shell command that did not run, and why (the whole reason, as the run's error). */
export const shellNotRun = (reason: string): RunnerResult => ({ ...emptyResult('shell'), error: reason });

/** A shell command that could not be started. */
export const shellNotStarted = (why: string): RunnerResult => shellNotRun(`cannot start /bin/bash: ${why}`);

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
  stdout: string;
  stderr: string;
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
    output: mergedTail(e.stdout, e.stderr),
    stdout: e.stdout,
    stderr: e.stderr,
    error: timedOut ? `timed out after ${e.timedOutAfterMs} ms: process group killed` : null,
  };
}

/** The bytes of `output` (runed.log's line, the record's tail until it keeps both streams). */
const MERGED_TAIL_BYTES = 4096;

/** The last 4 KiB of stdout then stderr; a character cut at the start shows as U+FFFD. */
export function mergedTail(stdout: string, stderr: string): string {
  const both = stdout + stderr;
  if (both.length * 3 <= MERGED_TAIL_BYTES) return both; // surely short enough, whatever it holds
  const bytes = Buffer.from(both);
  return bytes.length <= MERGED_TAIL_BYTES
    ? both
    : bytes.subarray(bytes.length - MERGED_TAIL_BYTES).toString();
}

/** Output as it is printed (the live tail), in batches: see live-output.ts. */
export interface OutputChunk {
  stream: 'stdout' | 'stderr';
  text: string;
  /** Bytes of this stream left out of the live feed just before `text` (it printed too fast). */
  droppedBytes: number;
}

export type OutputListener = (chunk: OutputChunk) => void;
