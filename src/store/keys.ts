// Every Redis key name ktimer uses, built in one place from conf.ini (docs/internals.md).
import type { Config } from '../config/config.js';

export interface StoreKeys {
  /** Hash kid -> task JSON. */
  readonly pool: string;
  /** Sorted set kid -> run_nexttime (unix seconds). */
  readonly schedule: string;
  /** Sorted set fire id -> lease deadline (unix ms): fires claimed, or begun and not finished. */
  readonly leases: string;
  /** Hash fire id -> fire JSON (what to run, who holds it). */
  readonly fires: string;
  /** Prefix of each task's history list (prefix + kid: run records, newest first). */
  readonly history: string;
  /** Stream of every run across tasks (its record's row each), for `ktimer runs`. */
  readonly runs: string;
  /** Hash kid -> the task's last run (its record's row). */
  readonly last: string;
  /** Prefix of each run's output (prefix + fire id: stdout then stderr), apart from its record. */
  readonly output: string;
  /** The bytes of every output kept, across the fleet (a counter against history_max_output). */
  readonly outputBytes: string;
  /** The runs stream's id up to which outputs were dropped for history_max_output. */
  readonly outputSwept: string;
  /** Prefix of a followed run's live output (prefix + fire id: a capped stream, expiring). */
  readonly liveOutput: string;
  /** Sorted set fire id -> until when (unix ms): the runs someone follows (`output --follow`). */
  readonly liveWatched: string;
  /** Sorted set kid -> 0 (ordered by kid): paused tasks, which are not in the schedule. */
  readonly paused: string;
  /** Hash task name -> kid: names are unique (docs/tasks.md); kept by the scripts that write tasks. */
  readonly names: string;
  /** Hash kid -> fire id: the fire running (or retried) now of a task with overlap skip or queue. */
  readonly running: string;
  /** Hash kid -> fire JSON: the one run of an overlap=queue task waiting for the running one. */
  readonly queued: string;
  /** Hash kid -> fire id: a task's retry waiting for its time (del and pause cancel it). */
  readonly retrying: string;
  /** Prefix of each task's count of failures in a row (prefix + kid), for alerts. */
  readonly streak: string;
  /**
   * Prefix of each ended task's name (prefix + name -> the kid that last held it): written when a
   * named task leaves (fired, at its limit, deleted, cleared), expiring with its history, so that
   * history and output by name go on working (docs/logs-and-history.md).
   */
  readonly endedName: string;
  /**
   * Prefix of each deleted task's mark (prefix + kid), expiring with its history: a run of it
   * under way when it was deleted is not retried (a fired timer is gone from the hash already).
   */
  readonly noRetry: string;
  /**
   * Prefix of each group's set of kids (prefix + group; issue 25): every task stored with that
   * group is in it (add, add --file, update and apply put it there; del takes it out). A task that
   * left otherwise (fired, at its limit, cleared) may linger: readers check each task's group.
   */
  readonly group: string;
  /** Prefix of each group's apply lock (prefix + group -> the token of the apply under way). */
  readonly applyLock: string;
  /** Prefix of each dashboard session (prefix + the digest of its token): its record, expiring when idle. */
  readonly uiSession: string;
  /** The dashboard's logins counted in the current minute, across the fleet (a string, expiring). */
  readonly uiLogins: string;
  /** The fleet's session epoch: a random id every live session recorded at its login (logout --all draws another). */
  readonly uiEpoch: string;
  /** Wrong passwords counted in the current minute, across the fleet (a string, expiring). */
  readonly webWrongPasswd: string;
  /**
   * Placement (docs/fleet.md): a task with labels (`on`) is scheduled in a sorted set of its label
   * set's own (placedSchedule + set, as the schedule), and its runs handed out without an owner
   * wait in another (placedPending + set, fire id -> when it may be taken, as in the leases). This
   * sorted set is their registry: label set (`db,eu`) -> the earliest time, unix ms, either holds;
   * a set with nothing in either leaves it. lua/include/placement.lua keeps them.
   */
  readonly placement: string;
  /**
   * Prefix of the poller role (prefix + the label set, `''` none -> `OWNER UNTIL`: its holder's
   * owner id and when the role ends, unix ms; expiring then): the one daemon of a label set that
   * claims at each due time; the others every 250 ms (lua/include/claim-left.lua).
   */
  readonly poller: string;
  /**
   * Prefix of each daemon's unread note (prefix + owner id -> `SEQ ID ID...`: the last claim that
   * began fires, by its number, and their fire ids; expiring): begun by a claim whose reply the
   * daemon may not have read (lua/include/claim-lease.lua; ktimer 4.2's hash is read too).
   */
  readonly unread: string;
  readonly placedSchedule: string;
  readonly placedPending: string;
  /** Hash owner id -> the daemon as it last said (name, host, pid, labels, version, ...). */
  readonly daemons: string;
  /** Sorted set owner id -> when it last said so, unix ms: a daemon silent a few seconds is gone. */
  readonly daemonsSeen: string;
  /** Hash of what the fleet is: its `name`, written by the first daemon or command. */
  readonly fleet: string;
  /** A schedule shard's lease (docs/shards.md): the owner id of the daemon claiming it, expiring. */
  readonly shardLease: string;
  /** Stream of every task change (who changed what: add, update, del, pause ...), bounded as the runs stream. */
  readonly changes: string;
}

export function storeKeys(keys: Config['keys']): StoreKeys {
  return {
    pool: keys.pool,
    schedule: keys.trun,
    leases: `${keys.lock}:leases`,
    fires: `${keys.lock}:fires`,
    // Under the lock key's name, so that with Redis Cluster they share its hash tag (one slot).
    history: `${keys.lock}:history:`,
    runs: `${keys.lock}:runs`,
    last: `${keys.lock}:last`,
    output: `${keys.lock}:output:`,
    outputBytes: `${keys.lock}:outputs:bytes`,
    outputSwept: `${keys.lock}:outputs:swept`,
    liveOutput: `${keys.lock}:live:`,
    liveWatched: `${keys.lock}:live-watched`,
    paused: `${keys.lock}:paused`,
    names: `${keys.lock}:names`,
    running: `${keys.lock}:running`,
    queued: `${keys.lock}:queued`,
    retrying: `${keys.lock}:retrying`,
    streak: `${keys.lock}:streak:`,
    // Also under the lock key's name: its hash tag comes first, so the name after it never moves the slot.
    endedName: `${keys.lock}:ended-name:`,
    noRetry: `${keys.lock}:no-retry:`,
    group: `${keys.lock}:group:`,
    applyLock: `${keys.lock}:apply:`,
    uiSession: `${keys.lock}:ui:session:`,
    uiLogins: `${keys.lock}:ui:logins`,
    uiEpoch: `${keys.lock}:ui:epoch`,
    webWrongPasswd: `${keys.lock}:web:wrong-passwd`,
    // Lua makes the two prefixes from the registry's name (include/placement.lua): keep them so.
    placement: `${keys.lock}:on`,
    poller: `${keys.lock}:poller:`,
    unread: `${keys.lock}:unread:`,
    placedSchedule: `${keys.lock}:on:schedule:`,
    placedPending: `${keys.lock}:on:pending:`,
    daemons: `${keys.lock}:daemons`,
    daemonsSeen: `${keys.lock}:daemons:seen`,
    fleet: `${keys.lock}:fleet`,
    changes: `${keys.lock}:changes`,
    shardLease: `${keys.lock}:shard-lease`,
  };
}
