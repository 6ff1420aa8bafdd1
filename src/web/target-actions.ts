// The API's actions on many tasks (issue 25 item 4): `kid` a comma-separated list of kids or
// names, or `group` for a group's tasks. data: how many were done (del: removed, as it always
// was); `targets`: each target's result. None done, and one not found: 404, as for one kid.
import { KtimerError } from '../errors.js';
import type { TargetInput, TargetResult } from '../service/targets.js';
import type { ActionResult } from './actions.js';
import type { Params } from './request.js';

/** The targets of a request: `kid` (a comma-separated list) or `group`. */
export function targetsParam(params: Params): TargetInput {
  const refs = (params.get('kid') ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  return { refs, group: params.get('group') };
}

/**
 * The reply of an action on many targets: `counts` says which results count in data; `more`
 * is said in msg after ok. All failed, one of them not found: that error (404), as for one kid.
 */
export function targetsReply<T>(
  results: readonly TargetResult<T>[],
  counts: (result: T) => boolean,
  more = '',
): ActionResult {
  const failed = results.filter((r) => !r.ok);
  const first = failed[0]?.error;
  if (failed.length === results.length && first)
    throw new KtimerError(
      first.code,
      results.length === 1 ? first.message : `none of the ${results.length} tasks given: ${first.message}`,
    );
  const done = results.filter((r) => r.ok && r.result !== undefined && counts(r.result)).length;
  const notes = [more, failed.length > 0 ? `${failed.length} failed` : ''].filter((n) => n !== '');
  return {
    data: done,
    msg: notes.length === 0 ? 'ok' : `ok; ${notes.join('; ')}`,
    extra: { targets: results },
  };
}
