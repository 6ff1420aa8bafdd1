// When a failed run is retried (-retries, -retry_delay): what counts as a failure worth a retry,
// and how long the retry waits. README "Retries".
import { MAX_RETRY_WAIT_SEC } from '../tasks/task.js';
import type { RunnerResult } from './runner-result.js';

/**
 * A run worth retrying: a non-zero exit, a signal, a timeout, a connection error, or an HTTP
 * status of 500 or more. An HTTP 4xx is not: the same request would be refused again.
 */
export const isRetryable = (r: RunnerResult): boolean =>
  !r.ok && (r.httpStatus === null || r.httpStatus >= 500);

/** The jitter: each wait is its doubled delay times a factor from 0.8 to 1.2. */
const JITTER = 0.2;

/**
 * The wait before retry number `retry` (1 = the first): `delaySec` doubling each time, with
 * jitter (so that tasks failing together do not retry together), at most MAX_RETRY_WAIT_SEC.
 */
export function retryWaitMs(delaySec: number, retry: number, random: () => number = Math.random): number {
  const doubled = delaySec * 1000 * 2 ** Math.min(Math.max(0, retry - 1), 30);
  const jittered = doubled * (1 - JITTER + 2 * JITTER * random());
  return Math.round(Math.min(jittered, MAX_RETRY_WAIT_SEC * 1000));
}
