// The dashboard's login sessions: a random token in an HttpOnly, SameSite=Strict cookie, and
// with each its CSRF token, which every POST must carry in a header. Kept in the memory of the
// web API's thread: no key in Redis and no round trip per request; each daemon has its own, and a
// restart logs everyone out (README "Dashboard").
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A session unused this long ends. */
export const SESSION_IDLE_MS = 8 * 3_600_000;
/** Sessions held at most; the least recently opened goes first. */
const MAX_SESSIONS = 1000;

export interface Session {
  readonly csrf: string;
  lastSeenMs: number;
}

// Sessions are found by the digest of their token, so how long a lookup takes says nothing of
// the tokens held (a Map compares keys as it finds them).
const digest = (token: string): string => createHash('sha256').update(token, 'utf8').digest('base64url');
const newToken = (): string => randomBytes(32).toString('base64url');

export class Sessions {
  private readonly byDigest = new Map<string, Session>();

  constructor(private readonly nowMs: () => number = Date.now) {}

  open(): { token: string; session: Session } {
    if (this.byDigest.size >= MAX_SESSIONS) {
      const oldest = this.byDigest.keys().next().value;
      if (oldest !== undefined) this.byDigest.delete(oldest);
    }
    const token = newToken();
    const session = { csrf: newToken(), lastSeenMs: this.nowMs() };
    this.byDigest.set(digest(token), session);
    return { token, session };
  }

  /** The live session of `token`, its idle time reset; null when there is none. */
  find(token: string | undefined): Session | null {
    if (token === undefined || token === '') return null;
    const key = digest(token);
    const session = this.byDigest.get(key);
    if (!session) return null;
    const now = this.nowMs();
    if (now - session.lastSeenMs > SESSION_IDLE_MS) {
      this.byDigest.delete(key);
      return null;
    }
    session.lastSeenMs = now;
    return session;
  }

  /** Whether `token` still names a session, without counting as a use of it (the live feed). */
  holds(token: string): boolean {
    const session = this.byDigest.get(digest(token));
    return session !== undefined && this.nowMs() - session.lastSeenMs <= SESSION_IDLE_MS;
  }

  end(token: string): void {
    this.byDigest.delete(digest(token));
  }
}

/** Whether a request's CSRF header is the session's token (constant time). */
export function csrfMatches(session: Session, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A cookie's value from a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
