// The API's actions: each maps request parameters onto the same TaskService the command line
// uses, so validation and messages are the same.
import { KtimerError, usageError } from '../errors.js';
import type { HistoryService } from '../service/history-service.js';
import type { TaskService } from '../service/task-service.js';
import { TASK_FIELDS } from '../tasks/task-rules.js';
import type { Params } from './request.js';

export interface ActionResult {
  data: unknown;
  msg: string;
  /** Extra top-level fields of the reply (list: total, offset, next; next: schedule, tz, more). */
  extra?: Record<string, unknown>;
}

export interface ActionDeps {
  service: TaskService;
  history: HistoryService;
  info: () => Promise<Record<string, unknown>>;
}

function taskInput(params: Params) {
  return Object.fromEntries(TASK_FIELDS.map((f) => [f, params.get(f)]));
}

function kidParam(params: Params): string {
  const kid = params.get('kid');
  if (kid === undefined || kid.trim() === '')
    throw usageError('kid is missing; give the kid returned by add');
  return kid;
}

type Action = (params: Params, deps: ActionDeps) => Promise<ActionResult>;

/** del, pause, resume: `kid` may be a comma-separated list. */
const kidList = (params: Params): string[] =>
  kidParam(params)
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');

/** pause and resume: `all=1` for every task, else the kids given (not both). */
function everyTask(params: Params): boolean {
  const all = params.get('all');
  if (all !== undefined && all !== '0' && all !== '1') throw usageError('all must be 0 or 1');
  if (all === '1' && params.get('kid') !== undefined) throw usageError('give kid or all=1, not both');
  return all === '1';
}

const noneFound = (kids: readonly string[]): KtimerError =>
  new KtimerError('not_found', `no task with kid ${kids.length === 1 ? kids[0] : 'among those given'}`);

export const ACTIONS: Record<string, Action> = {
  count: async (_p, { service }) => ({ data: await service.count(), msg: 'ok' }),
  get: async (p, { service }) => ({ data: await service.get(kidParam(p)), msg: 'ok' }),
  add: async (p, { service }) => {
    const task = await service.add(taskInput(p));
    return { data: task.kid, msg: 'ok' };
  },
  update: async (p, { service }) => {
    const task = await service.update(kidParam(p), taskInput(p));
    return { data: task.kid, msg: 'ok' };
  },
  del: async (p, { service }) => {
    const kids = kidList(p);
    const removed = await service.del(kids);
    if (removed === 0) throw noneFound(kids);
    return { data: removed, msg: 'ok' };
  },
  // data: how many this request paused (resumed); msg adds those that already were (were not).
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
      return {
        data: resumed,
        msg: corrupt.length === 0 ? 'ok' : `ok; ${corrupt.length} with corrupt data left paused`,
      };
    }
    const kids = kidList(p);
    const outcomes = await service.pauses.resume(kids);
    if (outcomes.every((o) => o.state === 'missing')) throw noneFound(kids);
    const resumed = outcomes.filter((o) => o.state === 'resumed').length;
    const running = outcomes.filter((o) => o.state === 'not_paused').length;
    return { data: resumed, msg: running === 0 ? 'ok' : `ok; ${running} not paused` };
  },
  list: async (p, { service }) => {
    const page = await service.list({
      starttime: p.get('starttime'),
      endtime: p.get('endtime'),
      offset: p.get('offset'),
      count: p.get('count'),
      cursor: p.get('cursor'),
    });
    return {
      data: page.tasks,
      msg: `tasks ${page.tasks.length === 0 ? 0 : page.offset + 1}-${page.offset + page.tasks.length} of ${page.total}`,
      extra: { total: page.total, offset: page.offset, next: page.next },
    };
  },
  next: async (p, { service }) => {
    const next = await service.next(kidParam(p), p.get('n'));
    const { schedule, tz, more, paused } = next;
    return { data: next.runs, msg: 'ok', extra: { schedule, tz, more, paused } };
  },
  history: async (p, { history }) => {
    const runs = await history.ofTask(kidParam(p), p.get('n'));
    return { data: runs, msg: `${runs.length} runs` };
  },
  runs: async (p, { history }) => {
    const failed = p.get('failed');
    if (failed !== undefined && failed !== '0' && failed !== '1') throw usageError('failed must be 0 or 1');
    const runs = await history.runs({ failed: failed === '1', since: p.get('since'), count: p.get('n') });
    return { data: runs, msg: `${runs.length} runs` };
  },
  info: async (_p, { info }) => ({ data: await info(), msg: 'ok' }),
};

/** `name` when it names an action, else undefined (what webac.log shows as the action). */
export function knownActionName(name: string | undefined): string | undefined {
  return name !== undefined && Object.hasOwn(ACTIONS, name) ? name : undefined;
}

export function actionOf(params: Params): Action {
  const name = params.get('action');
  if (name === undefined || name === '')
    throw usageError(`action is missing; expected one of ${Object.keys(ACTIONS).join(', ')}`);
  const known = knownActionName(name);
  const action = known === undefined ? undefined : ACTIONS[known];
  if (!action)
    throw usageError(
      `action "${name.slice(0, 40)}" is unknown; expected one of ${Object.keys(ACTIONS).join(', ')}`,
    );
  return action;
}
