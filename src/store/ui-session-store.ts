// The dashboard's login sessions, kept in Redis so that every daemon on it shares them and a
// restart ends none (README "Dashboard", "Redis layout"): one string per session,
// `<lock>:ui:session:<id>` -> its CSRF token, expiring after the idle time and given it again at
// each use. The id is what the web thread makes of the session's token (its digest): the token
// itself never reaches Redis. Beside them, the fleet's count of logins this minute and the id
// its session cookie is named after. Plain commands, a round trip each.
import { KtimerError } from '../errors.js';
import type { RedisAccess } from './redis-access.js';
import type { RedisClient } from './script.js';

/** What a cookie id may be: a cookie name's characters, so the name is always valid. */
const COOKIE_ID = /^[\w-]{8,64}$/;

export class UiSessionStore {
  constructor(private readonly redis: RedisAccess) {}

  private key(id: string): string {
    return `${this.redis.keys.uiSession}${id}`;
  }

  /** Opens session `id` holding `csrf`, for `idleMs`. */
  async put(id: string, csrf: string, idleMs: number): Promise<void> {
    await this.redis.call((c) => c.set(this.key(id), csrf, 'PX', idleMs));
  }

  /** The CSRF token of session `id`, its expiry pushed to `idleMs` from now; null when it has ended. */
  async use(id: string, idleMs: number): Promise<string | null> {
    const key = this.key(id);
    const [csrf] = await this.redis.call((c) => transaction(c, (m) => m.get(key).pexpire(key, idleMs)));
    return typeof csrf === 'string' ? csrf : null;
  }

  /** Whether session `id` is still open; its expiry unchanged. */
  async has(id: string): Promise<boolean> {
    return (await this.redis.call((c) => c.exists(this.key(id)))) === 1;
  }

  /** Ends session `id`, for every daemon. */
  async drop(id: string): Promise<void> {
    await this.redis.call((c) => c.del(this.key(id)));
  }

  /**
   * Counts one login in the fleet's current window of `windowMs`: the logins counted in it so
   * far, this one included. The window starts with its first login; a count found without an
   * expiry (its PEXPIRE lost) is given one, so no count outlives its window for long.
   */
  async countLogin(windowMs: number): Promise<number> {
    const key = this.redis.keys.uiLogins;
    const [count, ttl] = await this.redis.call((c) => transaction(c, (m) => m.incr(key).pttl(key)));
    if (typeof count !== 'number' || typeof ttl !== 'number')
      throw new KtimerError('corrupt', `Redis key ${key} is not a count; delete it`);
    if (ttl < 0) await this.redis.call((c) => c.pexpire(key, windowMs));
    return count;
  }

  /** The fleet's cookie id: `candidate` if none was set before (the first asker sets it), else the one set. */
  async cookieId(candidate: string): Promise<string> {
    const key = this.redis.keys.uiCookie;
    const [, id] = await this.redis.call((c) => transaction(c, (m) => m.set(key, candidate, 'NX').get(key)));
    if (typeof id !== 'string' || !COOKIE_ID.test(id))
      throw new KtimerError('corrupt', `Redis key ${key} holds no cookie id; delete it (a new one is made)`);
    return id;
  }
}

type Multi = ReturnType<RedisClient['multi']>;

/** MULTI ... EXEC of commands on one key (one slot, also in a Cluster): their replies, or the first error. */
async function transaction(client: RedisClient, build: (multi: Multi) => Multi): Promise<unknown[]> {
  const replies = await build(client.multi()).exec();
  if (!replies) throw new Error('the transaction was aborted');
  return replies.map(([err, reply]) => {
    if (err) throw err;
    return reply;
  });
}
