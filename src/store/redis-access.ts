// What the task and fire stores share: one client, the key names, and one way to turn any Redis
// failure into the error a user sees (KtimerError('redis') naming the server and what to check).
import type { KtimerError } from '../errors.js';
import type { StoreKeys } from './keys.js';
import { type RedisClient, runScript, type Script } from './script.js';

export type Multi = ReturnType<RedisClient['multi']>;

/** Turns a failure of a Redis call into the error a user sees (it may wait to learn why). */
export type RedisFailure = (err: unknown) => KtimerError | Promise<KtimerError>;

export class RedisAccess {
  constructor(
    readonly client: RedisClient,
    readonly keys: StoreKeys,
    private readonly failure: RedisFailure,
  ) {}

  script<A, R>(script: Script<A, R>, args: A): Promise<R> {
    return this.call(() => runScript(this.client, this.keys, script, args));
  }

  async call<T>(fn: (client: RedisClient) => Promise<T>): Promise<T> {
    try {
      return await fn(this.client);
    } catch (err) {
      throw await this.failure(err);
    }
  }
}

/**
 * MULTI ... EXEC of commands on keys under the lock key's name (one slot, also in a Cluster,
 * whose keys must share a hash tag): their replies, or the first error.
 */
export async function transaction(client: RedisClient, build: (multi: Multi) => Multi): Promise<unknown[]> {
  const replies = await build(client.multi()).exec();
  if (!replies) throw new Error('the transaction was aborted');
  return replies.map(([err, reply]) => {
    if (err) throw err;
    return reply;
  });
}
