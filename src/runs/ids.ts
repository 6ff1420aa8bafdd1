// The ids of a run's life. A task's kid (tasks/kid.ts makes it); a fire id `kid:run` for the run
// numbered `run` of that task, and `kid:run.attempt` for its retries (attempt 2, 3 ...); a daemon's
// owner id `host:pid:tag`, which leases and run records carry. The rules Lua uses have a Lua twin.

/** A kid as stored: a version-4 UUID as 32 lowercase hex digits. */
export const KID_FORM = /^[0-9a-f]{32}$/;
/** A kid as a person may also give it: the UUID's dashed form (any case, made lowercase first). */
export const KID_DASHED_FORM = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The fire id of run number `runNum` of task `kid` (its first attempt). */
export const fireIdOf = (kid: string, runNum: number): string => `${kid}:${runNum}`;

/** The fire id of attempt `attempt` (2, 3 ...) of the run whose first attempt is `firstId`. */
export const attemptIdOf = (firstId: string, attempt: number): string => `${firstId}.${attempt}`;

/**
 * The id of a missed record (runs not fired, from `firstDueMs` on): no fire had it, so no run
 * number; the kid before the colon as in a fire id, and the first due time in unix seconds.
 */
export const missedIdOf = (kid: string, firstDueMs: number): string =>
  `${kid}:missed-${Math.floor(firstDueMs / 1000)}`;

/** The kid of a fire id (`kid:run`, `kid:run.attempt`): what comes before the last colon. */
export const kidOfFireId = (fireId: string): string => fireId.slice(0, fireId.lastIndexOf(':'));

/**
 * The run part of a fire id, as a run is shown beside its task: `run` or `run.attempt` (`4`,
 * `4.2`), or a missed record's `missed-T`; what comes after the last colon.
 */
export const runOfFireId = (fireId: string): string => fireId.slice(fireId.lastIndexOf(':') + 1);

/** The fire id of the attempt after `record`'s, as finish.lua's retry names it. */
export const nextAttemptId = (record: { fire_id: string; attempt: number }): string =>
  attemptIdOf(record.fire_id.replace(/\.\d+$/, ''), record.attempt + 1);

/** A daemon's id in leases: its host, its pid and a random tag (two daemons of one pid differ). */
export const ownerIdOf = (host: string, pid: number, tag: string): string => `${host}:${pid}:${tag}`;

/** The host and pid of an owner id (an id not so made: all of it is the host, no pid). */
export function hostPidOf(owner: string): { host: string; pid?: number } {
  const m = /^(.*):(\d+):[^:]*$/.exec(owner);
  return m ? { host: m[1] as string, pid: Number(m[2]) } : { host: owner };
}

/** The same rules in Lua. */
export const IDS_LUA = `-- The fire id of run number run_num of task kid (ids.ts fireIdOf).
local function fire_id_of(kid, run_num)
  return kid .. ':' .. run_num
end

-- The fire id of attempt n of the run whose first attempt is first_id (ids.ts attemptIdOf).
local function attempt_id_of(first_id, attempt)
  return first_id .. '.' .. attempt
end

-- The id of a missed record, runs not fired from first_due_ms on (ids.ts missedIdOf).
local function missed_id_of(kid, first_due_ms)
  return kid .. ':missed-' .. math.floor(first_due_ms / 1000)
end

-- The kid of a fire id, or nil when it has no colon (ids.ts kidOfFireId).
local function kid_of_fire_id(id)
  return string.match(id, '^(.*):[^:]*$')
end

-- The host and pid of an owner id host:pid:tag (ids.ts hostPidOf).
local function host_pid_of(owner)
  local host, pid = string.match(tostring(owner), '^(.*):(%d+):[^:]*$')
  return host or tostring(owner), tonumber(pid)
end`;
