// When a failed run is retried (-retries, -retry_delay): what counts as a failure worth a retry
// (the wait is runs/retry.ts's, which the claim uses too for a run lost with its daemon).
// docs/steering.md "Retries".
import type { RunnerResult } from './runner-result.js';

/**
 * A run worth retrying: a non-zero exit, a signal, a timeout, a connection error, or an HTTP
 * status of 500 or more. An HTTP 4xx is not: the same request would be refused again.
 */
export const isRetryable = (r: RunnerResult): boolean =>
  !r.ok && (r.httpStatus === null || r.httpStatus >= 500);
