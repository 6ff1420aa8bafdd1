// The API password, compared in constant time; the slow-down of repeated 401s from one address
// (bounded memory: the oldest addresses are forgotten first); the bound on one address's
// requests whose password is not checked yet, so that guesses cannot be run in parallel.
import { createHash, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PerAddressCount } from './per-address-count.js';

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

/** Requests of one address whose password is not checked yet (its body being read, or a failure held in the slow-down). */
export const MAX_UNCHECKED_PER_ADDRESS = 16;

export type LoginVerdict = 'ok' | 'wrong' | 'busy';

export class LoginGuard {
  private readonly throttle: FailureThrottle;
  private readonly unchecked = new PerAddressCount(MAX_UNCHECKED_PER_ADDRESS);

  constructor(
    private readonly passwd: string,
    now: () => number = Date.now,
  ) {
    this.throttle = new FailureThrottle(now);
  }

  /**
   * 'busy' at once, before `password` is read, when `address` already has its share of
   * unchecked requests. A right password answers at once; a wrong one after the slow-down,
   * which keeps its place in that share: guessing in parallel gains nothing.
   */
  async check(address: string, password: () => Promise<string | undefined>): Promise<LoginVerdict> {
    if (!this.unchecked.take(address)) return 'busy';
    try {
      if (passwordMatches(this.passwd, await password())) {
        this.throttle.succeed(address);
        return 'ok';
      }
      const delayMs = this.throttle.delayMs(address);
      this.throttle.fail(address);
      if (delayMs > 0) await sleep(delayMs);
      return 'wrong';
    } finally {
      this.unchecked.release(address);
    }
  }
}
