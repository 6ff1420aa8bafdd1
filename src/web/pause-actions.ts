// The API's pause and resume actions (docs/steering.md): `kid`, a comma-separated list
// as for del, `group` for a group's tasks, or `all=1` for every task. data: how many this request
// paused (resumed); msg adds how many were paused already (were not paused), and targets each
// target's result (issue 25).
import { usageError } from '../errors.js';
import type { Action } from './actions.js';
import type { Params } from './request.js';
import { targetsParam, targetsReply } from './target-actions.js';

/** `all=1` for every task, else the kids or group given (not both). */
function everyTask(params: Params): boolean {
  const all = params.get('all');
  if (all !== undefined && all !== '0' && all !== '1') throw usageError('all must be 0 or 1');
  if (all === '1' && (params.get('kid') !== undefined || params.get('group') !== undefined))
    throw usageError('give kid, group or all=1, one of them');
  return all === '1';
}

export const PAUSE_ACTIONS: Record<'pause' | 'resume', Action> = {
  pause: async (p, { service }) => {
    if (everyTask(p)) return { data: await service.pauses.pauseAll(), msg: 'ok' };
    const results = await service.each.pause(targetsParam(p));
    const already = results.filter((r) => r.result?.state === 'was_paused').length;
    return targetsReply(
      results,
      (r) => r.state === 'paused',
      already === 0 ? '' : `${already} paused already`,
    );
  },
  resume: async (p, { service }) => {
    if (everyTask(p)) {
      const { resumed, corrupt } = await service.pauses.resumeAll();
      const msg = corrupt.length === 0 ? 'ok' : `ok; ${corrupt.length} with corrupt data left paused`;
      return { data: resumed, msg };
    }
    const results = await service.each.resume(targetsParam(p));
    const running = results.filter((r) => r.result?.state === 'not_paused').length;
    return targetsReply(results, (r) => r.state === 'resumed', running === 0 ? '' : `${running} not paused`);
  },
};
