// The API password, compared in constant time; the slow-down of wrong ones from one address
// (bounded memory: the oldest addresses are forgotten first); and the fleet's limit on wrong
// passwords (counted in Redis), past which no password is checked until its minute ends.
// Nothing is held while a password waits to be read or a wrong one waits out its slow-down, so
// the right password is never kept waiting by wrong ones in flight (docs/security.md).
import { createHash, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

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

  /** How long to hold the reply to a wrong password from `address` (0 = at once). */
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

/** What the store offers (store/ui-session-store.ts): the fleet's count of wrong passwords. */
export interface WrongPasswordCount {
  /** Counts one in the fleet's current window of `windowMs`: the count so far, this one included, and the ms left in the window. */
  countWrong(windowMs: number): Promise<{ count: number; leftMs: number }>;
}

/**
 * The fleet's limit. Each daemon counts its own wrong passwords at once (so a burst of guesses
 * released together stops at the limit) and the fleet's in Redis (so guesses spread over the
 * daemons, or over source addresses, stop there too). Past the limit, no password is checked
 * until the window ends: the right one is refused too, or the limit would tell it apart.
 */
export class FleetLimit {
  private count = 0;
  private windowEndMs = 0;
  private lockedUntilMs = 0;

  constructor(
    private readonly counter: WrongPasswordCount | null,
    /** Wrong passwords (and metrics tokens) a minute across the fleet, whatever their addresses (web_wrong_passwd_per_minute). */
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** How long password checks stay refused (0: they are not). */
  lockedForMs(): number {
    return Math.max(0, this.lockedUntilMs - this.now());
  }

  /** Counts a wrong password: false when the fleet's count could not be asked (Redis away). */
  async wrong(): Promise<boolean> {
    const now = this.now();
    if (now >= this.windowEndMs) {
      this.count = 0;
      this.windowEndMs = now + WINDOW_MS;
    }
    if (++this.count >= this.perMinute) this.lockedUntilMs = this.windowEndMs;
    if (!this.counter) return true;
    try {
      const fleet = await this.counter.countWrong(WINDOW_MS);
      if (fleet.count >= this.perMinute)
        this.lockedUntilMs = Math.max(this.lockedUntilMs, this.now() + fleet.leftMs);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Who a right password lets in: `admin` (web_passwd) may change tasks; `viewer`
 * (web_viewer_passwd) sees everything and changes nothing (docs/security.md).
 */
export type Role = 'admin' | 'viewer';
export type LoginVerdict = Role | 'wrong' | 'locked';

/** The passwords a guard knows: the admin's, and the viewer's ('' or absent: none). */
export interface Passwords {
  admin: string;
  viewer?: string;
}

/** The role `given` proves, if any: both compared in constant time, whichever matches. */
export function roleOf(passwords: Passwords, given: string | undefined): Role | null {
  const admin = passwordMatches(passwords.admin, given);
  const viewerPasswd = passwords.viewer ?? '';
  // Compared whether or not there is one, so the time taken says nothing of it.
  const viewer = passwordMatches(viewerPasswd, given) && viewerPasswd !== '';
  return admin ? 'admin' : viewer ? 'viewer' : null;
}

/** The one line of a 429 while the fleet's limit holds. */
export function lockedMessage(limit: FleetLimit): string {
  return (
    `too many wrong passwords across the fleet this minute (${limit.perMinute} at most); ` +
    `none is checked for ${Math.ceil(limit.lockedForMs() / 1000)} s; open dashboard sessions go on working`
  );
}

export class LoginGuard {
  private readonly throttle: FailureThrottle;
  private readonly passwords: Passwords;

  constructor(
    passwords: string | Passwords,
    readonly limit: FleetLimit,
    now: () => number = Date.now,
  ) {
    this.throttle = new FailureThrottle(now);
    this.passwords = typeof passwords === 'string' ? { admin: passwords } : passwords;
  }

  /**
   * 'locked' while the fleet's limit holds (the password not compared). A right password answers
   * at once with its role, whatever is in flight; a wrong one after its address's slow-down, or after the
   * longest one when the fleet's count cannot be kept (Redis away).
   */
  async check(address: string, password: () => Promise<string | undefined>): Promise<LoginVerdict> {
    if (this.limit.lockedForMs() > 0) return 'locked';
    const given = await password();
    // Asked again once it is read: guesses whose bodies were held back and sent together meet
    // the limit here, one by one, not before their bodies came.
    if (this.limit.lockedForMs() > 0) return 'locked';
    const role = roleOf(this.passwords, given);
    if (role !== null) {
      this.throttle.succeed(address);
      return role;
    }
    const delayMs = this.throttle.delayMs(address);
    this.throttle.fail(address);
    const waitMs = (await this.limit.wrong()) ? delayMs : MAX_DELAY_MS;
    if (waitMs > 0) await sleep(waitMs);
    return 'wrong';
  }
}
