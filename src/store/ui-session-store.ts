// The dashboard's login sessions and the web API's count of wrong passwords, kept in Redis so
// that every daemon on it shares them and a restart ends none (docs/internals.md,
// docs/security.md): one string per session, `<lock>:ui:session:<id>` -> its record (JSON, made
// and read by web/dashboard/sessions.ts), expiring after the idle time and given it again at each
// use. The id is what the web thread makes of the session's token (its digest): the token itself
// never reaches Redis. Beside them: the fleet's session epoch, a random id each session records
// at its login and must find again (`ktimer logout --all` draws a new one, and so does the next
// login once the key is deleted: either ends every session), the logins and the wrong passwords
// counted this minute.
// Plain commands, a round trip each.
import { randomBytes } from 'node:crypto';
import { KtimerError } from '../errors.js';
import { type Multi, type RedisAccess, transaction } from './redis-access.js';

/** A count in a window of the fleet: how many so far, this one included, and the ms left. */
export interface WindowCount {
  count: number;
  leftMs: number;
}

export class UiSessionStore {
  constructor(private readonly redis: RedisAccess) {}

  private key(id: string): string {
    return `${this.redis.keys.uiSession}${id}`;
  }

  /** Opens session `id` holding `record`, for `idleMs`. */
  async put(id: string, record: string, idleMs: number): Promise<void> {
    await this.redis.call((c) => c.set(this.key(id), record, 'PX', idleMs));
  }

  /**
   * The record of session `id` (null when it has ended) and the fleet's epoch, in one round trip;
   * with `touchIdleMs`, the session's expiry is pushed to that much from now.
   */
  async read(
    id: string,
    touchIdleMs: number | null,
  ): Promise<{ record: string | null; epoch: string | null }> {
    const key = this.key(id);
    const epochKey = this.redis.keys.uiEpoch;
    const replies = await this.redis.call((c) =>
      transaction(c, (m) =>
        (touchIdleMs === null ? m.get(key) : m.get(key).pexpire(key, touchIdleMs)).get(epochKey),
      ),
    );
    const record = replies[0];
    const epoch = replies[replies.length - 1];
    return {
      record: typeof record === 'string' ? record : null,
      epoch: typeof epoch === 'string' ? epoch : null,
    };
  }

  /** Ends session `id`, for every daemon. */
  async drop(id: string): Promise<void> {
    await this.redis.call((c) => c.del(this.key(id)));
  }

  /** Ends every session of the fleet (`ktimer logout --all`): a new epoch. */
  async endAll(): Promise<void> {
    await this.redis.call((c) => c.set(this.redis.keys.uiEpoch, newEpoch()));
  }

  /** Counts one login in the fleet's current window of `windowMs`, and reads the epoch a session opened now belongs to. */
  async countLogin(windowMs: number): Promise<WindowCount & { epoch: string }> {
    const epochKey = this.redis.keys.uiEpoch;
    const { count, leftMs, rest } = await this.countInWindow(this.redis.keys.uiLogins, windowMs, (m) =>
      m.set(epochKey, newEpoch(), 'NX').get(epochKey),
    );
    const epoch = rest[1];
    if (typeof epoch !== 'string')
      throw new KtimerError('corrupt', `Redis key ${epochKey} is not a string; delete it`);
    return { count, leftMs, epoch };
  }

  /** Counts one wrong password (the API's, the dashboard's, a metrics token) in the fleet's current window. */
  async countWrong(windowMs: number): Promise<WindowCount> {
    const { count, leftMs } = await this.countInWindow(this.redis.keys.webWrongPasswd, windowMs);
    return { count, leftMs };
  }

  /**
   * INCR and PTTL of a count whose window starts with its first count; a count found without an
   * expiry (its PEXPIRE lost) is given one, so no count outlives its window for long.
   */
  private async countInWindow(
    key: string,
    windowMs: number,
    more: (multi: Multi) => Multi = (m) => m,
  ): Promise<WindowCount & { rest: unknown[] }> {
    const [count, ttl, ...rest] = await this.redis.call((c) =>
      transaction(c, (m) => more(m.incr(key).pttl(key))),
    );
    if (typeof count !== 'number' || typeof ttl !== 'number')
      throw new KtimerError('corrupt', `Redis key ${key} is not a count; delete it`);
    if (ttl >= 0) return { count, leftMs: ttl, rest };
    await this.redis.call((c) => c.pexpire(key, windowMs));
    return { count, leftMs: windowMs, rest };
  }
}

const newEpoch = (): string => randomBytes(12).toString('base64url');
