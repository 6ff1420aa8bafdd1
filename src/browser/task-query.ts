// The tasks list's state as the address holds it (`#/tasks?state=failing&type=cron&page=2`), so a
// reload and Back keep the filter, search, sort and page. Defaults are left out of the address.
import { TASK_TYPES } from '../runs/kinds.js';

export const STATES = ['all', 'failing', 'running', 'paused'] as const;
export type TaskState = (typeof STATES)[number];
export const SORTS = ['next', 'name', 'last', 'type'] as const;
export type TaskSort = (typeof SORTS)[number];

export interface TaskQuery {
  state: TaskState;
  type: string;
  group: string;
  search: string;
  sort: TaskSort;
  order: 'asc' | 'desc';
  page: number;
}

/** The list as it is when the address says nothing: what parseQuery gives and queryHash leaves out. */
const DEFAULT_QUERY: TaskQuery = {
  state: 'all',
  type: '',
  group: '',
  search: '',
  sort: 'next',
  order: 'asc',
  page: 1,
};

const pick = <T extends string>(value: string | null, allowed: readonly T[], dflt: T): T =>
  allowed.find((a) => a === value) ?? dflt;

export function parseQuery(text: string): TaskQuery {
  const p = new URLSearchParams(text);
  const page = Number(p.get('page'));
  const d = DEFAULT_QUERY;
  return {
    state: pick(p.get('state'), STATES, d.state),
    type: pick(p.get('type'), ['', ...TASK_TYPES], d.type),
    group: p.get('group') ?? d.group,
    search: p.get('q') ?? d.search,
    sort: pick(p.get('sort'), SORTS, d.sort),
    order: p.get('order') === 'desc' ? 'desc' : d.order,
    page: Number.isSafeInteger(page) && page >= 1 ? page : d.page,
  };
}

/** The address of a query: `#/tasks`, then what differs from the defaults. */
export function queryHash(q: TaskQuery): string {
  const p = new URLSearchParams();
  const d = DEFAULT_QUERY;
  if (q.state !== d.state) p.set('state', q.state);
  if (q.type !== d.type) p.set('type', q.type);
  if (q.group !== d.group) p.set('group', q.group);
  if (q.search !== d.search) p.set('q', q.search);
  if (q.sort !== d.sort) p.set('sort', q.sort);
  if (q.order !== d.order) p.set('order', q.order);
  if (q.page !== d.page) p.set('page', String(q.page));
  const text = p.toString();
  return text === '' ? '#/tasks' : `#/tasks?${text}`;
}

export const sameQuery = (a: TaskQuery, b: TaskQuery): boolean => queryHash(a) === queryHash(b);
