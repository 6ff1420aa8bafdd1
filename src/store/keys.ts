// Every Redis key name ktimer uses, built in one place from conf.ini (README "Redis layout").
import type { Config } from '../config/config.js';

export interface StoreKeys {
  /** Hash kid -> task JSON. */
  readonly pool: string;
  /** Sorted set kid -> run_nexttime (unix seconds). */
  readonly schedule: string;
  /** Sorted set fire id -> lease deadline (unix ms): fires claimed by a daemon, not yet finished starting. */
  readonly leases: string;
  /** Hash fire id -> fire JSON (what to run, who holds it). */
  readonly fires: string;
}

export function storeKeys(keys: Config['keys']): StoreKeys {
  return {
    pool: keys.pool,
    schedule: keys.trun,
    leases: `${keys.lock}:leases`,
    fires: `${keys.lock}:fires`,
  };
}
