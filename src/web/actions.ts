// The API's actions: each maps request parameters onto the same TaskService the command line
// uses, so validation and messages are the same.
import { KtimerError, usageError } from '../errors.js';
import { type ChangeActor, type ChangeLog, parseReason } from '../service/change-log.js';
import type { FleetService } from '../service/fleet-service.js';
import type { HistoryService } from '../service/history-service.js';
import type { TaskBoard } from '../service/task-board.js';
import { type TaskService, withSchedule } from '../service/task-service.js';
import { INPUT_FIELDS, type TaskInput } from '../tasks/task-rules.js';
import { JOB_ACTIONS } from './job-actions.js';
import { PAUSE_ACTIONS } from './pause-actions.js';
import type { Role } from './auth.js';
import { flagParam, type Params } from './request.js';
import { asActor } from './request-actor.js';
import { targetsParam, targetsReply } from './target-actions.js';

export interface ActionResult {
  data: unknown;
  msg: string;
  /** Extra top-level fields of the reply (list: total, offset, next; next: schedule, tz, more). */
  extra?: Record<string, unknown>;
}

export interface ActionDeps {
  service: TaskService;
  history: HistoryService;
  /** The fleet's daemons (daemons action), and whether a task stored may be run by one. */
  fleet: FleetService;
  /** Who changed what: recorded by the service as changes are made; the changes action reads it. */
  changes: ChangeLog;
  /** The dashboard's tasks at a glance (board, names). */
  board: TaskBoard;
  info: () => Promise<Record<string, unknown>>;
}

/** The task fields of a request; `env` holds one NAME=VALUE assignment a line. */
function taskInput(params: Params): TaskInput {
  const input: Record<string, string | string[] | undefined> = Object.fromEntries(
    INPUT_FIELDS.map((f) => [f, params.get(f)]),
  );
  const env = params.get('env');
  input.env = env === undefined ? undefined : env.split(/\r?\n/);
  return input;
}

/** The task of `kid`: its kid, or its name (every action taking a kid takes a name). */
function kidParam(params: Params): string {
  const kid = params.get('kid');
  if (kid === undefined || kid.trim() === '')
    throw usageError("kid is missing; give the kid returned by add, or the task's name");
  return kid;
}

/** The run of `fire_id`: as history and runs show it (KID:RUN), or NAME:RUN. */
function fireIdParam(params: Params): string {
  const fireId = params.get('fire_id');
  if (fireId === undefined || fireId.trim() === '')
    throw usageError('fire_id is missing; give a fire id as history and runs show it (KID:RUN)');
  return fireId;
}

export type Action = (params: Params, deps: ActionDeps) => Promise<ActionResult>;

export const ACTIONS: Record<string, Action> = {
  count: async (_p, { service }) => ({ data: await service.count(), msg: 'ok' }),
  get: async (p, { service }) => ({ data: withSchedule(await service.get(kidParam(p))), msg: 'ok' }),
  add: async (p, { service, fleet }) => {
    const { task, replaced } = await service.add(taskInput(p), { replace: flagParam(p, 'replace') });
    return { data: task.kid, msg: 'ok', extra: { replaced, ...(await placementWarning(fleet, task.on)) } };
  },
  update: async (p, { service, fleet }) => {
    const task = await service.update(kidParam(p), taskInput(p));
    return { data: task.kid, msg: 'ok', extra: await placementWarning(fleet, task.on) };
  },
  del: async (p, { service }) => {
    const results = await service.each.del(targetsParam(p));
    const dropped = results.reduce((n, r) => n + (r.result?.dropped ?? 0), 0);
    // data stays the number of tasks deleted; runs dropped that waited (a fired timer's retry) are said in msg.
    return targetsReply(
      results,
      (r) => r.removed > 0,
      dropped > 0 ? `${dropped} waiting run(s) dropped` : '',
    );
  },
  ...PAUSE_ACTIONS,
  run: async (p, { service }) => {
    const input = targetsParam(p);
    const queue = flagParam(p, 'queue');
    if (input.refs.length === 1 && input.group === undefined) {
      const outcome = await service.runNow(kidParam(p), { queue });
      return { data: { fire_id: outcome.fire_id, state: outcome.state }, msg: 'ok' };
    }
    const reply = targetsReply(await service.each.run(input, { queue }), () => true);
    return { ...reply, msg: reply.msg.replace(/^ok/, `ok; ${String(reply.data)} handed out or queued`) };
  },
  ...JOB_ACTIONS,
  list: async (p, { service }) => {
    const page = await service.list({
      starttime: p.get('starttime'),
      endtime: p.get('endtime'),
      offset: p.get('offset'),
      count: p.get('count'),
      cursor: p.get('cursor'),
      search: p.get('search'),
      group: p.get('group'),
    });
    return {
      data: page.tasks.map(withSchedule),
      msg: `tasks ${page.tasks.length === 0 ? 0 : page.offset + 1}-${page.offset + page.tasks.length} of ${page.total}`,
      extra: { total: page.total, offset: page.offset, next: page.next },
    };
  },
  next: async (p, { service }) => {
    const next = await service.next(kidParam(p), {
      n: p.get('n'),
      from: p.get('from'),
      until: p.get('until'),
    });
    const { schedule, tz, more, paused } = next;
    return { data: next.runs, msg: 'ok', extra: { schedule, tz, more, paused } };
  },
  preview: async (p, { service }) => {
    const { runs, schedule, tz, more } = await service.preview(taskInput(p), p.get('n'));
    return { data: runs, msg: 'ok', extra: { schedule, tz, more } };
  },
  history: async (p, { history }) => {
    const { runs } = await history.ofTask(kidParam(p), p.get('n'));
    return { data: runs, msg: `${runs.length} runs` };
  },
  runs: async (p, { history }) => {
    const runs = await history.runs({
      failed: flagParam(p, 'failed'),
      since: p.get('since'),
      count: p.get('n'),
    });
    return { data: runs, msg: `${runs.length} runs` };
  },
  output: async (p, { history }) => ({ data: await history.byFireId(fireIdParam(p)), msg: 'ok' }),
  // The live tail: poll with after = the `next` of the page before (docs/web-api.md).
  output_live: async (p, { history }) => {
    const page = await history.liveOutput(fireIdParam(p), p.get('after') ?? '');
    return { data: page, msg: page.state };
  },
  info: async (_p, { info }) => ({ data: await info(), msg: 'ok' }),
  daemons: async (_p, { fleet }) => {
    const { fleet: name, daemons } = await fleet.daemons();
    const live = daemons.filter((d) => d.state === 'live').length;
    return { data: daemons, msg: `${live} live daemon(s) in fleet ${name}`, extra: { fleet: name } };
  },
  running: async (p, { history }) => {
    const kid = p.get('kid');
    const fires = await history.running(kid === undefined || kid.trim() === '' ? undefined : kid);
    return { data: fires, msg: `${fires.length} runs under way or about to start` };
  },
  board: async (p, { board }) => {
    const { tasks, ...rest } = await board.page({
      state: p.get('state'),
      type: p.get('type'),
      group: p.get('group'),
      search: p.get('search'),
      sort: p.get('sort'),
      order: p.get('order'),
      page: p.get('page'),
      size: p.get('size'),
    });
    return { data: tasks, msg: `page ${rest.page} of ${rest.pages}, ${rest.total} tasks`, extra: rest };
  },
  names: async (p, { board }) => {
    const kids = (p.get('kids') ?? '').split(',').filter((k) => k !== '');
    return { data: await board.names(kids), msg: 'ok' };
  },
  changes: async (p, { changes }) => {
    const rows = await changes.latest({ count: p.get('n'), since: p.get('since') });
    return { data: rows, msg: `${rows.length} changes` };
  },
};

/** A task stored that no live daemon may run (its labels): `warning` says so (docs/fleet.md). */
async function placementWarning(fleet: FleetService, on: readonly string[] | undefined) {
  const why = await fleet.noDaemonFor(on ?? []);
  return why === null ? {} : { warning: `${why}: the task waits until one comes` };
}

/**
 * What a viewer (web_viewer_passwd) may ask: the actions that only read. An allow list, so an
 * action added later is refused to viewers until it is put here.
 */
export const READ_ACTIONS: ReadonlySet<string> = new Set([
  'count',
  'get',
  'list',
  'next',
  'preview',
  'history',
  'runs',
  'output',
  'info',
  'running',
  'board',
  'names',
  'changes',
  'daemons',
  // A running run's live output (issue 24): it asks the daemon to publish it, and changes no task.
  'output_live',
  // A group's jobs file: the tasks as `get` shows them to the viewer already, written as a file.
  'export',
]);

/**
 * Runs the action the parameters name, as `who` (the change log records it): a viewer is refused
 * any action that changes something (403), before anything is read. Changes made are recorded
 * before the reply goes.
 */
export async function runAction(
  params: Params,
  deps: ActionDeps,
  who: Omit<ChangeActor, 'reason'> & { role: Role },
): Promise<ActionResult> {
  const action = actionOf(params);
  const name = params.get('action') ?? '';
  if (who.role === 'viewer' && !READ_ACTIONS.has(name))
    throw new KtimerError(
      'forbidden',
      `action ${name} changes tasks, and the viewer password only looks; log in with web_passwd to change them`,
    );
  const reason = parseReason(params.get('reason'));
  const result = await asActor({ ...who, reason }, () => action(params, deps));
  await deps.changes.flush();
  return result;
}

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
