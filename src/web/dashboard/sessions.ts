// The dashboard's login sessions: a random token in an HttpOnly, SameSite=Strict cookie, and
// with each its CSRF token, which every POST must carry in a header. Kept in Redis, under the
// lock key's name (the store's UiSessionStore, given by daemon/web-worker.ts as SessionRecords):
// every daemon on that Redis shares them, a restart ends none, and a logout ends one everywhere
// (README "Dashboard"). Redis holds only the digest of a token, never the token.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A session unused this long ends (its key's expiry, pushed back at each use). */
export const SESSION_IDLE_MS = 8 * 3_600_000;
/**
 * Sessions opened a minute at most, across the fleet (counted in Redis). This is what bounds how
 * many exist, without a scan: at most 60 * 480 = 28,800 (some 5 MB) within an 8 h idle time.
 * The cap of 1,000 held in memory went: a count of the live sessions kept in Redis would need a
 * scan, or a set written at every request. The API's LoginGuard bounds nothing here: it slows
 * wrong passwords only, and a right one opens a session at once.
 */
export const LOGINS_PER_MINUTE = 60;
const MINUTE_MS = 60_000;

export interface Session {
  readonly csrf: string;
}

/** What the store offers (store/ui-session-store.ts): sessions by id, each with its CSRF token. */
export interface SessionRecords {
  put(id: string, csrf: string, idleMs: number): Promise<void>;
  /** The session's CSRF token, its idle time reset; null when it has ended. */
  use(id: string, idleMs: number): Promise<string | null>;
  has(id: string): Promise<boolean>;
  drop(id: string): Promise<void>;
  /** Counts a login in the fleet's current window: how many were counted in it, this one too. */
  countLogin(windowMs: number): Promise<number>;
  /** The fleet's cookie id (`candidate`, if it is the first). */
  cookieId(candidate: string): Promise<string>;
}

/** The sessions as the dashboard uses them. Each call may fail as Redis does (KtimerError 'redis'). */
export interface SessionStore {
  /** The session cookie's name: the same on every daemon sharing the sessions. */
  cookieName(): Promise<string>;
  /** A new session: its token (the cookie's value) and CSRF token; 'busy' past the logins of a minute. */
  open(): Promise<{ token: string; session: Session } | 'busy'>;
  /** The live session of `token`, its idle time reset; null when there is none. */
  find(token: string | undefined): Promise<Session | null>;
  /** Whether `token` still names a session, without counting as a use of it (the live feed). */
  holds(token: string): Promise<boolean>;
  /** Ends the session of `token`, on every daemon. */
  end(token: string): Promise<void>;
}

export interface SessionLimits {
  idleMs: number;
  loginsPerMinute: number;
}

/** What a token looks like (32 random bytes, base64url): anything else is refused unasked. */
const TOKEN = /^[\w-]{43}$/;

/**
 * The id a session is kept under: the digest of its token (so the token is never stored, and how
 * long a lookup takes says nothing of the tokens held).
 */
export const sessionId = (token: string): string =>
  createHash('sha256').update(token, 'utf8').digest('base64url');
export const newToken = (): string => randomBytes(32).toString('base64url');

export class Sessions implements SessionStore {
  private cookie: Promise<string> | null = null;

  constructor(
    private readonly records: SessionRecords,
    private readonly limits: SessionLimits = { idleMs: SESSION_IDLE_MS, loginsPerMinute: LOGINS_PER_MINUTE },
  ) {}

  /** Asked of Redis once per thread (the first asker of the fleet sets it), then kept. */
  cookieName(): Promise<string> {
    this.cookie ??= this.records.cookieId(randomBytes(9).toString('base64url')).then(
      (id) => `ktimer_session_${id}`,
      (err: unknown) => {
        this.cookie = null;
        throw err;
      },
    );
    return this.cookie;
  }

  async open(): Promise<{ token: string; session: Session } | 'busy'> {
    if ((await this.records.countLogin(MINUTE_MS)) > this.limits.loginsPerMinute) return 'busy';
    const token = newToken();
    const session = { csrf: newToken() };
    await this.records.put(sessionId(token), session.csrf, this.limits.idleMs);
    return { token, session };
  }

  async find(token: string | undefined): Promise<Session | null> {
    if (token === undefined || !TOKEN.test(token)) return null;
    const csrf = await this.records.use(sessionId(token), this.limits.idleMs);
    return csrf === null ? null : { csrf };
  }

  async holds(token: string): Promise<boolean> {
    return TOKEN.test(token) && (await this.records.has(sessionId(token)));
  }

  async end(token: string): Promise<void> {
    if (TOKEN.test(token)) await this.records.drop(sessionId(token));
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
