// A fire: one run of a task on its way to a daemon, as the fires hash (and the queued hash) keep
// it. Its states and the scripts that move it from one to the next are declared here; the Lua
// scripts write the states by these names (FIRE_STATE, generated), and a test checks that each
// script writes only the states of its own transitions (test/unit/lua-contracts.test.ts).
import type { CommandKind, TaskType } from './kinds.js';

/**
 * - queued: waits in the queued hash for its task's run under way (-overlap=queue), one at most;
 * - pending: in the fires hash with no owner, its lease deadline the time it may be taken (a run
 *   by hand, a retry, a queued run whose turn came);
 * - leased: claimed by a daemon (its owner and lease token), to be begun before the lease ends;
 * - started: begun (its command runs); its daemon renews the lease until the run is on record.
 */
export const FIRE_STATES = ['queued', 'pending', 'leased', 'started'] as const;
export type FireState = (typeof FIRE_STATES)[number];
export const isFireState = (value: unknown): value is FireState => FIRE_STATES.includes(value as FireState);

/** The scripts that move fires (lua/NAME.lua, with its includes). */
export type FireMover = 'claim' | 'run' | 'begin' | 'finish' | 'del' | 'pause' | 'clear';

/**
 * Every way a fire changes state: `from` null is a fire made, `to` null one that leaves (its run on
 * record, or dropped). A retry is a new fire (pending), made as its failed attempt leaves.
 */
export const FIRE_TRANSITIONS: readonly {
  from: FireState | null;
  to: FireState | null;
  by: readonly FireMover[];
  when: string;
}[] = [
  { from: null, to: 'leased', by: ['claim'], when: 'a task came due and there is room for it' },
  {
    from: null,
    to: 'started',
    by: ['claim'],
    when: 'a task came due and there is room for it, and its claim begins it (no redis.wait_replicas)',
  },
  { from: null, to: 'queued', by: ['claim', 'run'], when: "its task's run is under way (overlap=queue)" },
  { from: null, to: 'pending', by: ['run'], when: 'a run by hand (ktimer run)' },
  {
    from: null,
    to: 'pending',
    by: ['finish', 'claim'],
    when: 'a failed run (finish) or one lost with its daemon (claim) is retried: its next attempt',
  },
  { from: 'queued', to: 'pending', by: ['claim', 'finish', 'run'], when: 'the run it waited for ended' },
  { from: 'pending', to: 'leased', by: ['claim'], when: 'its time came: a claim takes it' },
  { from: 'pending', to: 'started', by: ['claim'], when: 'its time came: a claim takes it and begins it' },
  { from: 'leased', to: 'leased', by: ['claim'], when: 'its lease ran out before a begin: taken over' },
  {
    from: 'leased',
    to: 'started',
    by: ['claim'],
    when: 'its lease ran out before a begin: taken over and begun',
  },
  {
    from: 'leased',
    to: 'pending',
    by: ['claim'],
    when: 'its lease ran out before a begin, and the claiming daemon lacks its labels: handed back for one that holds them',
  },
  { from: 'leased', to: 'started', by: ['begin'], when: 'the holder of its newest lease begins it' },
  { from: 'started', to: null, by: ['finish'], when: 'its run ended: on record (ok or failed)' },
  {
    from: 'started',
    to: null,
    by: ['claim'],
    when: 'its lease ran out: its daemon is gone, on record lost (a failed attempt: maybe retried)',
  },
  {
    from: 'pending',
    to: null,
    by: ['del', 'pause', 'clear'],
    when: 'a retry waiting: its task was deleted or paused',
  },
  { from: 'queued', to: null, by: ['del', 'pause', 'clear'], when: 'its task was deleted or paused' },
];

/** What started a run: the schedule, a person (`ktimer run`), or the retry of a failed run. */
export const RUN_TRIGGERS = ['schedule', 'manual', 'retry'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

/**
 * A fire as a daemon holds it (decoded from the fires hash by store/fire-record.ts: the stored
 * `due`, unix seconds, is `dueMs` here).
 */
export interface Fire {
  /** fireIdOf(kid, run_num), or attemptIdOf(first, attempt) for a retry (ids.ts). */
  id: string;
  kid: string;
  type: TaskType;
  /** Shell command or URL call: decided once, by the claim. */
  kind: CommandKind;
  command: string;
  state: FireState;
  /** When it was due, unix ms. */
  dueMs: number;
  run_num: number;
  limit: number;
  /** When it was claimed, unix ms (Redis clock). */
  claimedMs: number;
  /** When its claim began it (state started), unix ms: its lease holds from then (claim.lua). */
  startedMs?: number;
  owner: string;
  /** Names this lease: only its holder may begin the fire. */
  token: string;
  /** Set when the fire was taken over from a daemon whose lease ran out. */
  retaken_from?: string;
  /** The task's own timeout, whole seconds (-timeout); absent: task_timeout applies. */
  timeout?: number;
  /** What started it; absent: the schedule. */
  trigger?: Exclude<RunTrigger, 'schedule'>;
  /** A retry: which attempt (2, 3 ...), and the first attempt's fire id. */
  attempt?: number;
  first?: string;
  /** Retries of a failed run (-retries) and the first one's delay, seconds; absent: none. */
  retries?: number;
  retry_delay?: number;
  /** Its task's name, when it has one ($KTIMER_NAME; alerts). */
  name?: string;
  /** How its task runs (tasks/run-fields.ts, docs/running-tasks.md): where, with what, as whom. */
  cwd?: string;
  env?: Readonly<Record<string, string>>;
  user?: string;
  /** Bytes of stdout, and of stderr, kept of the run; absent: [task] output_max. */
  output_max?: number;
  /** `off`: its failures and recoveries send no alert. */
  notify?: 'off';
}

/**
 * What a claim says is still due (its reply's third field, lua/claim.lua), by code, the index
 * here: none; room, what is due waits for a free slot; more, the claim stopped at its budget with
 * room left (claim again at once); fenced, refused: the caller does not hold the shard's lease.
 * The Lua writes them by name (DUE_LEFT, generated).
 */
export const DUE_LEFT = ['none', 'room', 'more', 'fenced'] as const;
export type DueLeft = (typeof DUE_LEFT)[number];

/** Most runs a late ticker or cron task fires to catch up (misfire all): the latest ones. */
export const MAX_CATCH_UP = 100;

/**
 * A claim also takes the fires due within this many ms after its now (issue 28): the dispatcher
 * holds each until its due time, so a steady rate costs fewer claims (a round trip and the
 * claim's fixed Lua each) per fire. It widens, by as much, the window in which a daemon killed
 * with SIGKILL leaves a begun fire not started (docs/guarantees.md).
 */
export const CLAIM_AHEAD_MS = 4;

/** A claimed fire not begun within this time is taken over by another daemon's claim. */
export const LEASE_MS = 5000;

/**
 * How long a daemon stays its label set's poller (lua/claim.lua) without claiming again: it claims
 * at least once a second, so this outlives a pass and a late one; a poller that died is replaced
 * within it.
 */
export const POLLER_MS = 2000;

/**
 * How often a daemon that is not its label set's poller claims (aligned to multiples of it): what
 * is due while the poller is dead, until its role runs out, is at most this late. Each such claim
 * is an empty one most of the time: 4 a second per daemon (issue 28, bench/RESULTS.md).
 */
export const NON_POLLER_CLAIM_MS = 250;

/**
 * A fire under way (begun) or about to be, as the web API's running action and the dashboard's
 * Running view give it: read from the fires hash (store/running-fires.ts).
 */
export interface RunningFire {
  fire_id: string;
  kid: string;
  /** started: its command runs; leased: claimed, about to begin; pending: a run by hand or retry waiting for its time. */
  state: Exclude<FireState, 'queued'>;
  /** The daemon holding it (its owner id's host and pid), when one does. */
  host?: string;
  pid?: number;
  /** When it was due and, once begun, when it started: unix ms. */
  due_ms: number;
  started_ms?: number;
  trigger: 'schedule' | 'manual' | 'retry';
  attempt: number;
}
