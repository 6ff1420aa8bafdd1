// The one backoff of ktimer: waits that double from 100 ms up to a cap, for every retry of a
// Redis round trip (the loop's claims, reconnects, beginning fires).

const BASE_MS = 100;

/** Wait before retry number `attempt` (0 = the first retry): 100 ms doubling, at most `maxMs`. */
export function backoffMs(attempt: number, maxMs: number): number {
  return Math.min(BASE_MS * 2 ** Math.min(Math.max(0, attempt), 20), maxMs);
}
