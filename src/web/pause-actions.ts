// The API's pause and resume actions (README "Pause and resume"): `kid`, a comma-separated list
// as for del, or `all=1` for every task. data: how many this request paused (resumed); msg adds
// how many were paused already (were not paused).
import { KtimerError, usageError } from '../errors.js';
import type { Action } from './actions.js';
import type { Params } from './request.js';

function kidList(params: Params): string[] {
  const kids = (params.get('kid') ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  if (kids.length === 0) throw usageError('kid is missing; give the kid returned by add, or all=1');
  return kids;
}

/** `all=1` for every task, else the kids given (not both). */
function everyTask(params: Params): boolean {
  const all = params.get('all');
  if (all !== undefined && all !== '0' && all !== '1') throw usageError('all must be 0 or 1');
  if (all === '1' && params.get('kid') !== undefined) throw usageError('give kid or all=1, not both');
  return all === '1';
}

const noneFound = (kids: readonly string[]): KtimerError =>
  new KtimerError('not_found', `no task with kid ${kids.length === 1 ? kids[0] : 'among those given'}`);

export const PAUSE_ACTIONS: Record<'pause' | 'resume', Action> = {
  pause: async (p, { service }) => {
    if (everyTask(p)) return { data: await service.pauses.pauseAll(), msg: 'ok' };
    const kids = kidList(p);
    const outcomes = await service.pauses.pause(kids);
    if (outcomes.every((o) => o.state === 'missing')) throw noneFound(kids);
    const paused = outcomes.filter((o) => o.state === 'paused').length;
    const already = outcomes.filter((o) => o.state === 'was_paused').length;
    return { data: paused, msg: already === 0 ? 'ok' : `ok; ${already} paused already` };
  },
  resume: async (p, { service }) => {
    if (everyTask(p)) {
      const { resumed, corrupt } = await service.pauses.resumeAll();
      const msg = corrupt.length === 0 ? 'ok' : `ok; ${corrupt.length} with corrupt data left paused`;
      return { data: resumed, msg };
    }
    const kids = kidList(p);
    const outcomes = await service.pauses.resume(kids);
    if (outcomes.every((o) => o.state === 'missing')) throw noneFound(kids);
    const resumed = outcomes.filter((o) => o.state === 'resumed').length;
    const running = outcomes.filter((o) => o.state === 'not_paused').length;
    return { data: resumed, msg: running === 0 ? 'ok' : `ok; ${running} not paused` };
  },
};
