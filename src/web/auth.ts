// The API password, compared in constant time, and the slow-down of repeated 401s from one
// address (bounded memory: the oldest addresses are forgotten first).
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function passwordMatches(expected: string, given: string | undefined): boolean {
  // Hashing first makes both sides 32 bytes, so the comparison time says nothing of the length.
  return given !== undefined && timingSafeEqual(digest(expected), digest(given));
}

const WINDOW_MS = 60_000;
const FREE_FAILURES = 5;
const MAX_DELAY_MS = 5_000;
const MAX_TRACKED = 10_000;

export class FailureThrottle {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** How long to hold the reply to a request from `address` (0 = at once). */
  delayMs(address: string): number {
    const f = this.failures.get(address);
    if (!f || this.now() - f.since > WINDOW_MS || f.count < FREE_FAILURES) return 0;
    return Math.min(MAX_DELAY_MS, 250 * 2 ** (f.count - FREE_FAILURES));
  }

  fail(address: string): void {
    const now = this.now();
    const f = this.failures.get(address);
    if (f && now - f.since <= WINDOW_MS) {
      f.count++;
      return;
    }
    this.failures.delete(address);
    if (this.failures.size >= MAX_TRACKED) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    this.failures.set(address, { count: 1, since: now });
  }

  succeed(address: string): void {
    this.failures.delete(address);
  }
}
