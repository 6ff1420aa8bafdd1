// Who changed what (docs/logs-and-history.md "Who changed what", issue 26): every task change the services make
// (add, update, del, clear, pause, resume, run) is recorded fleet-wide in Redis with when, what,
// which task and who: the OS user and host for the command line, "dashboard" or "API" with the
// role and the remote address for the web, and an optional reason. The services tell the log
// of each change as they make it (services.ts); the log sends the changes of one turn of the
// event loop together, 100 a call, and a front end awaits `flush()` before it answers.
import { usageError } from '../errors.js';
import type { ChangeStore } from '../store/open-store.js';
import { oneLine } from '../text.js';
import { countParam } from './count-param.js';
import { sinceMs } from './history-service.js';
import type { TaskChange } from './task-service.js';

/** Who makes a change, as the front end that takes it knows. */
export interface ChangeActor {
  via: 'cli' | 'dashboard' | 'api';
  /** The command line's OS user and host. */
  user?: string;
  host?: string;
  /** The web's login (a viewer changes nothing, so this is admin) and remote address. */
  role?: 'admin' | 'viewer';
  address?: string;
  /** Why, as given (--reason, the reason parameter). */
  reason?: string;
}

/** A change on record, as `ktimer changes --json`, the changes action and the Changes page show it. */
export interface ChangeRow {
  /** The stream entry's id: unix ms-sequence. */
  id: string;
  /** When it was recorded, unix ms (Redis' clock). */
  at_ms: number;
  op: TaskChange['op'];
  /** The tasks changed ('all': pause --all, resume --all, clear), by kid; more_kids: those left out. */
  kids: string[] | 'all';
  more_kids?: number;
  /** The task's name, where the change knows it (add, update). */
  name?: string;
  /** What came of it: "3 paused", "fire KID:4 queued", "1 removed". */
  detail: string;
  /** One line: "alice@db1", "dashboard admin 10.0.0.5". */
  who: string;
  via: ChangeActor['via'];
  user?: string;
  host?: string;
  role?: ChangeActor['role'];
  address?: string;
  reason?: string;
}

export const REASON_MAX_CHARS = 200;
/** Kids one entry names at most (a pause of 1,000 tasks says how many more). */
const KIDS_KEPT = 50;
export const CHANGES_DEFAULT = 50;
export const CHANGES_MAX = 1000;
/**
 * Entries sent in one call at most: about a millisecond of Redis's time (an entry's fields are
 * bounded), so a daemon's claim queued behind one stays on time. An apply of 10,000 tasks sent
 * ~450 a call, 5-15 ms each (bench/RESULTS.md section 9).
 */
const CHANGES_PER_CALL = 100;

/** A reason as given: one line of REASON_MAX_CHARS at most, or a usage error (nothing is changed). */
export function parseReason(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (value.length > REASON_MAX_CHARS)
    throw usageError(`reason is ${value.length} characters long; at most ${REASON_MAX_CHARS}`);
  if (/[\u0000-\u001f\u007f]/.test(value)) throw usageError('reason must be one line of text');
  return value.trim();
}

export function whoOf(actor: ChangeActor): string {
  if (actor.via === 'cli') return `${actor.user ?? '?'}@${actor.host ?? '?'}`;
  const door = actor.via === 'dashboard' ? 'dashboard' : 'API';
  return [door, actor.role ?? 'admin', actor.address].filter((p) => p !== undefined && p !== '').join(' ');
}

function kidsOf(change: TaskChange): string[] | 'all' {
  switch (change.op) {
    case 'add':
    case 'update':
    case 'run':
      return [change.kid];
    case 'del':
      return change.kids;
    case 'clear':
      return 'all';
    case 'pause':
    case 'resume':
      return change.kids;
  }
}

function detailOf(change: TaskChange): string {
  switch (change.op) {
    case 'add':
      return `added (${change.task.type})`;
    case 'update':
      return 'updated';
    case 'del':
      return `${change.removed} removed${change.dropped > 0 ? `, ${change.dropped} waiting run(s) dropped` : ''}`;
    case 'clear':
      return `${change.removed} removed`;
    case 'run':
      return `run ${change.fire_id} ${change.state}`;
    case 'pause':
      return `${change.count} paused`;
    case 'resume':
      return `${change.count} resumed`;
  }
}

/** The stream entry's fields for a change by `actor`. */
export function changeFields(change: TaskChange, actor: ChangeActor): Record<string, string> {
  const kids = kidsOf(change);
  const fields: Record<string, string> = { op: change.op };
  if (kids === 'all') fields.kids = '*';
  else {
    fields.kids = kids.slice(0, KIDS_KEPT).join(',');
    if (kids.length > KIDS_KEPT) fields.more_kids = String(kids.length - KIDS_KEPT);
  }
  if ((change.op === 'add' || change.op === 'update') && change.task.name !== undefined)
    fields.name = change.task.name;
  fields.detail = detailOf(change);
  fields.via = actor.via;
  for (const key of ['user', 'host', 'role', 'address', 'reason'] as const) {
    const value = actor[key];
    if (value !== undefined && value !== '') fields[key] = oneLine(value, REASON_MAX_CHARS);
  }
  return fields;
}

const OPS: readonly TaskChange['op'][] = ['add', 'update', 'del', 'clear', 'pause', 'resume', 'run'];
const VIAS: readonly ChangeActor['via'][] = ['cli', 'dashboard', 'api'];

/** A stream entry as a row; null when it is not one (damaged: left out, hiding nothing else). */
export function changeRowOf(id: string, f: Record<string, string>): ChangeRow | null {
  const op = OPS.find((o) => o === f.op);
  const via = VIAS.find((v) => v === f.via);
  if (op === undefined || via === undefined || f.kids === undefined) return null;
  const row: ChangeRow = {
    id,
    at_ms: Number(id.split('-')[0]),
    op,
    kids: f.kids === '*' ? 'all' : f.kids.split(',').filter((k) => k !== ''),
    detail: f.detail ?? '',
    who: '',
    via,
  };
  if (f.more_kids !== undefined) row.more_kids = Number(f.more_kids);
  if (f.name !== undefined) row.name = f.name;
  if (f.user !== undefined) row.user = f.user;
  if (f.host !== undefined) row.host = f.host;
  if (f.role === 'admin' || f.role === 'viewer') row.role = f.role;
  if (f.address !== undefined) row.address = f.address;
  if (f.reason !== undefined) row.reason = f.reason;
  row.who = whoOf(row);
  return row;
}

export interface ChangeLogDeps {
  changes: () => Promise<ChangeStore>;
  /** Who is making the changes now (the command line's user, or the web request's login). */
  actor: () => ChangeActor;
  nowMs: () => Promise<number>;
  timezone: string;
  /** Told when changes made could not be recorded (Redis gone meanwhile): they stand, unrecorded. */
  warn: (message: string) => void;
}

export class ChangeLog {
  private pending: Record<string, string>[] = [];
  private sending: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ChangeLogDeps) {}

  /** Records a change just made, by whoever makes it now; sent with the others of this turn. */
  record(change: TaskChange): void {
    if (this.pending.push(changeFields(change, this.deps.actor())) === 1)
      this.sending = this.sending
        .then(() => new Promise((resolve) => setImmediate(resolve)))
        .then(() => this.send());
  }

  /** Resolves once every change recorded so far is in Redis (or could not be: warned). */
  flush(): Promise<void> {
    return this.sending;
  }

  /** The entries recorded so far, in order, CHANGES_PER_CALL a call. */
  private async send(): Promise<void> {
    while (this.pending.length > 0) {
      const entries = this.pending.splice(0, CHANGES_PER_CALL);
      try {
        await (await this.deps.changes()).append(entries, Date.now());
      } catch (err) {
        // Those still to send would fail alike: one warning for them all.
        const lost = entries.length + this.pending.splice(0).length;
        this.deps.warn(
          `${lost} change(s) made but not recorded in the change log: ${(err as Error).message}`,
        );
      }
    }
  }

  /** The latest changes, newest first: `count` of them (default 50), since a time. */
  async latest(q: { count?: string | undefined; since?: string | undefined }): Promise<ChangeRow[]> {
    const count = countParam('n', q.count, CHANGES_DEFAULT, CHANGES_MAX);
    const since = q.since === undefined ? null : await sinceMs('since', q.since, this.deps);
    const entries = await (await this.deps.changes()).latest(count, since);
    return entries.flatMap((e) => changeRowOf(e.id, e.fields) ?? []);
  }
}
