-- fire-of (included by claim.lua and run.lua): the fire of one run of a task, as the fires hash
-- keeps it and the daemon reads it (store/fire-record.ts): what to run, for how long, how to
-- retry it, how it runs (its task's cwd, env, user, output_max, notify: tasks/run-fields.ts), and
-- what to put on record. Its state is set by whoever hands it out; a retry copies them all
-- (include/retry.lua).

-- A whole number in [lo, 2^53], else nil: checked as fire-record.ts checks it, so a stray value
-- in a task does not make the whole reply unreadable.
local function whole(v, lo)
  return (type(v) == 'number' and v >= lo and v <= 2^53 and v == math.floor(v)) and v or nil
end

-- due_ms, claimed_ms: unix ms (the fire keeps its due in unix seconds, as the task its times).
-- A table of strings only (a task's env), else nil.
local function string_map(v)
  if type(v) ~= 'table' or next(v) == nil then return nil end
  for name, value in pairs(v) do
    if type(name) ~= 'string' or type(value) ~= 'string' then return nil end
  end
  return v
end

local function text_of(v)
  return type(v) == 'string' and v or nil
end

-- Fields a task has only where they apply are checked only where present: each call costs a
-- claim's Lua more than the test does.
local function fire_of(kid, task, kind, due_ms, run_num, limit, claimed_ms)
  local retries = task.retries ~= nil and whole(task.retries, 1) or nil
  return {
    id = fire_id_of(kid, run_num), kid = kid, type = task.type, kind = kind, command = task.command,
    due = to_sec(due_ms), run_num = run_num, limit = limit, claimed = claimed_ms,
    -- The task's own timeout (seconds), for the daemon that runs it; none: task_timeout.
    timeout = task.timeout ~= nil and whole(task.timeout, 1) or nil,
    retries = retries, retry_delay = retries and whole(task.retry_delay, 1) or nil,
    -- Its name, if a string: a run recorded after its task left keeps the name's record
    -- (include/ended-name.lua); the daemon gives it to the command ($KTIMER_NAME) and alerts.
    name = text_of(task.name),
    cwd = text_of(task.cwd), env = task.env ~= nil and string_map(task.env) or nil, user = text_of(task.user),
    output_max = task.output_max ~= nil and whole(task.output_max, 0) or nil,
    notify = task.notify == 'off' and 'off' or nil,
    -- Its labels: handed out again without an owner, it waits for a daemon holding them all
    -- (include/placement.lua).
    on = task.on ~= nil and label_set_of(task) ~= '' and task.on or nil,
  }
end
