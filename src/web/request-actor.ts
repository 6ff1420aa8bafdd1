// Who makes the request being answered, for the change log (service/change-log.ts): the door
// (dashboard or API), the login's role, the remote address and the reason given. Kept for the
// request's own async calls (AsyncLocalStorage), so the services, built once per thread, record
// each change under the request that made it.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ChangeActor } from '../service/change-log.js';

const current = new AsyncLocalStorage<ChangeActor>();

/** Runs `fn` (a request's action) as `actor`. */
export function asActor<T>(actor: ChangeActor, fn: () => Promise<T>): Promise<T> {
  return current.run(actor, fn);
}

/** Who makes the change being recorded now (the API, unnamed, outside any request). */
export const requestActor = (): ChangeActor => current.getStore() ?? { via: 'api' };
