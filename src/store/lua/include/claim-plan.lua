-- claim-plan (included by claim.lua): the claim's second phase, what a due task does now. A plan
-- returns the run to fire (its due time in ms, or nil for none), the next score in ms (nil:
-- remove the task), how many runs are not fired and the first of them (ms); cron_plan also
-- whether it parked the task. They read the claim's state c (now, expire limit) and change only
-- the cron task's run times they are given. A task claimed ahead (due after now, claim.lua) has
-- missed nothing: its next run follows its due; expiry and misfire are decided on now.

-- A parked cron task is looked at again after this (ms), in case no daemon refilled it.
local PARK_RETRY_MS = 5000

-- A run claimed more than task_expire_limit after its time was missed, even when it is the only
-- one due: misfire skip does not fire it (a daily job does not run 12 hours late).
local function stale(c, due_ms)
  return c.expire_limit_sec > 0 and c.now_ms - due_ms > c.expire_limit_sec * 1000
end

-- A ticker moves on along its grid (src/runs/grid.ts): more than one slot is due after downtime.
-- A ticker claimed ahead (due after now) has one slot due, its own: the next is a period on.
local function ticker_plan(c, task, due_ms)
  local period_ms = period_ms_of(task.time)
  local slots = slots_due(due_ms, math.max(c.now_ms, due_ms), period_ms)
  if task.misfire == 'all' then
    local dropped = math.max(0, slots - MAX_CATCH_UP)
    local fire_ms = due_ms + dropped * period_ms
    return fire_ms, fire_ms + period_ms, dropped, due_ms
  elseif task.misfire == 'skip' and (slots > 1 or stale(c, due_ms)) then
    return nil, due_ms + slots * period_ms, slots, due_ms
  end
  return due_ms, due_ms + slots * period_ms, slots - 1, due_ms + period_ms
end

-- A cron task fires from the run times it carries (its JSON's `runs`); when they do not say what
-- comes after the times due now (all carried times are due, or none is carried), it is parked
-- instead: nothing fires, and the daemon computes the run times from the first due one on
-- (refill.lua), misfire policy included. So a claim never guesses a calendar.
local function cron_plan(c, task, due_ms)
  local times = type(task.runs) == 'table' and task.runs or {}
  local i = 1
  while times[i] and to_ms(times[i]) <= c.now_ms do i = i + 1 end
  if not times[i] then
    task.parked = due_ms / 1000
    task.runs = nil
    return nil, c.now_int + PARK_RETRY_MS, 0, due_ms, true
  end
  local later_due = i - 1
  task.runs = {}
  if task.misfire == 'all' then
    for j = 2, #times do task.runs[j - 1] = times[j] end
    return due_ms, to_ms(times[1]), 0, due_ms
  end
  for j = i + 1, #times do task.runs[#task.runs + 1] = times[j] end
  if task.misfire == 'skip' and (later_due > 0 or stale(c, due_ms)) then
    return nil, to_ms(times[i]), later_due + 1, due_ms
  end
  return due_ms, to_ms(times[i]), later_due, times[1] and to_ms(times[1])
end

-- The plan of a due task of any type.
local function plan(c, task, due_ms)
  if task.type == 'timer' then return due_ms end
  if task.type == 'ticker' then return ticker_plan(c, task, due_ms) end
  return cron_plan(c, task, due_ms)
end
