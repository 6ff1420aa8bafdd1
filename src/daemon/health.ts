// Is the daemon healthy? One rule for /healthz (web API) and `ktimer check` (command line): its
// loop claimed within the last 2 s (it claims at least once a second while Redis answers) and
// Redis answers. The reason, when not, is one line an operator can act on.

/** Past this since its last claim, the loop is late: stuck, or Redis away. */
export const CLAIM_MAX_AGE_MS = 2000;

/** What the daemon's main thread tells about its loop (also kept in its state file). */
export interface LoopHealth {
  /** Since the loop's last successful claim, ms; null before its first. */
  claim_age_ms: number | null;
  /** Why the loop cannot reach Redis, while it cannot. */
  redis_error: string | null;
  /** Stopping: it claims no more. */
  stopping: boolean;
}

/** Why the loop is not healthy, or null when it is. */
export function loopProblem(h: LoopHealth): string | null {
  const redis = h.redis_error ? `; Redis: ${h.redis_error}` : '';
  if (h.stopping) return 'the daemon is stopping';
  if (h.claim_age_ms === null) return `the loop has not claimed yet (starting)${redis}`;
  if (h.claim_age_ms > CLAIM_MAX_AGE_MS)
    return `the loop last claimed ${(h.claim_age_ms / 1000).toFixed(1)} s ago (over ${CLAIM_MAX_AGE_MS / 1000} s)${redis}`;
  return null;
}

/** The value of `promise`, or a rejection saying what did not answer within `ms`. */
export function answerWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
