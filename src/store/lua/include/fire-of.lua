-- fire-of (included by claim.lua and run.lua): the fire of one run of a task, as the fires hash
-- keeps it and the daemon reads it (store/fire-record.ts): what to run, for how long, how to
-- retry it, and what to put on record.

-- A shell command or a URL call (tasks/task.ts isUrlCommand says the same).
local function kind_of(command)
  if string.find(command, '^[Hh][Tt][Tt][Pp][Ss]?://') then return 'url' end
  return 'shell'
end

-- A whole number in [lo, 2^53], else nil: checked as fire-record.ts checks it, so a stray value
-- in a task does not make the whole reply unreadable.
local function whole(v, lo)
  return (type(v) == 'number' and v >= lo and v <= 2^53 and v == math.floor(v)) and v or nil
end

-- due: unix seconds; claimed: unix ms.
local function fire_of(kid, task, kind, due, run_num, limit, claimed)
  local retries = whole(task.retries, 1)
  return {
    id = kid .. ':' .. run_num, kid = kid, type = task.type, kind = kind, command = task.command,
    due = due, run_num = run_num, limit = limit, claimed = claimed,
    -- The task's own timeout (seconds), for the daemon that runs it; none: task_timeout.
    timeout = whole(task.timeout, 1),
    retries = retries, retry_delay = retries and whole(task.retry_delay, 1) or nil,
    -- Its name, if a string: a run recorded after its task left keeps the name's record
    -- (include/ended-name.lua). The daemon does not read it.
    name = type(task.name) == 'string' and task.name or nil,
  }
end
