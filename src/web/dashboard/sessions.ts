// The dashboard's login sessions (docs/security.md). A session is a random token the page keeps in
// sessionStorage, bound to its origin (scheme, host and port), and sends in a header; a browser
// secret in an HttpOnly cookie is a second factor, and alone opens nothing (cookies are not kept
// apart by port: another site on this host may read it). Kept in Redis, under the digest of the
// token (the store's UiSessionStore, given by daemon/web-worker.ts as SessionRecords): every
// daemon on that Redis shares them, a restart ends none, and a logout ends one everywhere.
// A session ends after 8 hours unused, at the end of its lifetime (web_session_lifetime), when
// the password it logged in with is no longer web_passwd, or at `ktimer logout --all`.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from '../auth.js';

/** A session unused this long ends (its key's expiry, pushed back at each use). */
export const SESSION_IDLE_MS = 8 * 3_600_000;
/**
 * Sessions opened a minute at most, across the fleet (counted in Redis). This is what bounds how
 * many exist, without a scan: at most 60 * 480 = 28,800 (some 9 MB: 312 bytes each) within an 8 h idle time.
 */
export const LOGINS_PER_MINUTE = 60;
const MINUTE_MS = 60_000;

/** The request header that carries the session's token. */
export const SESSION_HEADER = 'x-ktimer-session';
/** The cookie that carries the browser's secret: one per browser, whatever the fleet. */
export const BROWSER_COOKIE = 'ktimer_browser';

/** What the store offers (store/ui-session-store.ts). Each call may fail as Redis does (KtimerError 'redis'). */
export interface SessionRecords {
  /** Counts a login in the fleet's current window, and gives the epoch a session opened now belongs to. */
  countLogin(windowMs: number): Promise<{ count: number; epoch: string }>;
  put(id: string, record: string, idleMs: number): Promise<void>;
  /** The session's record (null: ended) and the fleet's epoch; with `touchIdleMs`, its idle time starts again. */
  read(id: string, touchIdleMs: number | null): Promise<{ record: string | null; epoch: string | null }>;
  drop(id: string): Promise<void>;
}

/** What a request brings: the header's token and the cookie's browser secret. */
export interface Credentials {
  token: string | undefined;
  browser: string | undefined;
}

export interface Session {
  /** When its lifetime ends, unix ms. */
  readonly endsAtMs: number;
  /** Who logged in: admin (web_passwd) or viewer (web_viewer_passwd: looks, changes nothing). */
  readonly role: Role;
}

/** The sessions as the dashboard uses them. */
export interface SessionStore {
  /** A new session of `role`, bound to `browser` when it is a secret already (else to a new one); 'busy' past the logins of a minute. */
  open(
    browser: string | undefined,
    role: Role,
  ): Promise<{ token: string; browser: string; session: Session } | 'busy'>;
  /** The live session these credentials prove (`touch`: a use, its idle time starts again); null when none. */
  find(credentials: Credentials, touch: boolean): Promise<Session | null>;
  /** Ends the session of `token`, on every daemon. */
  end(token: string): Promise<void>;
}

export interface SessionRules {
  /** web_passwd: an admin session opened with another ends. */
  passwd: string;
  /** web_viewer_passwd: a viewer session opened with another ends ('' or absent: none opens). */
  viewerPasswd?: string;
  lifetimeMs: number;
  idleMs?: number;
  loginsPerMinute?: number;
}

/** What a token or a browser secret looks like (32 random bytes, base64url): anything else is refused unasked. */
const SECRET = /^[\w-]{43}$/;

const digest = (text: string): string => createHash('sha256').update(text, 'utf8').digest('base64url');

/**
 * The id a session is kept under: the digest of its token (so the token is never stored, and how
 * long a lookup takes says nothing of the tokens held).
 */
export const sessionId = (token: string): string => digest(token);
export const newToken = (): string => randomBytes(32).toString('base64url');

/**
 * What the session keeps of the password it logged in with: an HMAC keyed by its token, which
 * Redis never sees, so a reader of Redis cannot test guesses of the password against it.
 */
export const passwdMark = (token: string, passwd: string): string =>
  createHmac('sha256', token).update(passwd, 'utf8').digest('base64url');

/** A session as Redis keeps it (JSON). */
interface SessionRecord {
  /** The digest of the browser secret. */
  browser: string;
  passwd: string;
  /** When it was opened, unix ms. */
  born: number;
  epoch: string;
  /** Absent: admin (a session opened before viewers were). */
  role?: 'viewer';
}

export class Sessions implements SessionStore {
  private readonly idleMs: number;
  private readonly loginsPerMinute: number;

  constructor(
    private readonly records: SessionRecords,
    private readonly rules: SessionRules,
    private readonly now: () => number = Date.now,
  ) {
    this.idleMs = rules.idleMs ?? SESSION_IDLE_MS;
    this.loginsPerMinute = rules.loginsPerMinute ?? LOGINS_PER_MINUTE;
  }

  /** The password a session of `role` logged in with, and must still be. */
  private passwdOf(role: Role): string {
    return role === 'viewer' ? (this.rules.viewerPasswd ?? '') : this.rules.passwd;
  }

  async open(
    browser: string | undefined,
    role: Role,
  ): Promise<{ token: string; browser: string; session: Session } | 'busy'> {
    const { count, epoch } = await this.records.countLogin(MINUTE_MS);
    if (count > this.loginsPerMinute) return 'busy';
    const token = newToken();
    const secret = browser !== undefined && SECRET.test(browser) ? browser : newToken();
    const record: SessionRecord = {
      browser: digest(secret),
      passwd: passwdMark(token, this.passwdOf(role)),
      born: this.now(),
      epoch,
    };
    if (role === 'viewer') record.role = 'viewer';
    await this.records.put(sessionId(token), JSON.stringify(record), this.idleMs);
    return { token, browser: secret, session: { endsAtMs: record.born + this.rules.lifetimeMs, role } };
  }

  async find({ token, browser }: Credentials, touch: boolean): Promise<Session | null> {
    if (token === undefined || browser === undefined || !SECRET.test(token) || !SECRET.test(browser))
      return null;
    const { record, epoch } = await this.records.read(sessionId(token), touch ? this.idleMs : null);
    const stored = parseRecord(record);
    if (!stored || stored.epoch !== epoch) return null;
    const endsAtMs = stored.born + this.rules.lifetimeMs;
    const role: Role = stored.role === 'viewer' ? 'viewer' : 'admin';
    const passwd = this.passwdOf(role);
    // A viewer's session ends once web_viewer_passwd is emptied, as any once its password changes.
    const holds =
      this.now() < endsAtMs &&
      !(role === 'viewer' && passwd === '') &&
      sameText(stored.browser, digest(browser)) &&
      sameText(stored.passwd, passwdMark(token, passwd));
    return holds ? { endsAtMs, role } : null;
  }

  async end(token: string): Promise<void> {
    if (SECRET.test(token)) await this.records.drop(sessionId(token));
  }
}

function parseRecord(text: string | null): SessionRecord | null {
  if (text === null) return null;
  try {
    const r = JSON.parse(text) as Partial<SessionRecord>;
    const fields = [r.browser, r.passwd, r.epoch];
    const role: unknown = r.role;
    return fields.every((f) => typeof f === 'string') &&
      typeof r.born === 'number' &&
      (role === undefined || role === 'viewer')
      ? (r as SessionRecord)
      : null;
  } catch {
    // An older record (a CSRF token alone): that session has ended.
    return null;
  }
}

/** Equal strings, compared in constant time for strings of one length. */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A cookie's value from a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
