-- placement (included by every script that schedules a task or hands out a run): where a task
-- with labels (`on`) waits, so that only a daemon holding all of them ever claims it, and no
-- other daemon's claim ever looks at it. Its label set (its labels sorted, joined by commas:
-- 'db,eu') has a schedule of its own (registry .. ':schedule:' .. set, kid -> next run, unix
-- seconds, as the schedule) and a set of its runs handed out without an owner (registry ..
-- ':pending:' .. set, fire id -> when it may be taken, unix ms, as in the leases). The registry
-- (label set -> the earliest time either holds, unix ms) lists the sets that hold anything, so a
-- claim finds the sets due among those it may run in O(log n). A task without labels uses the
-- schedule and the leases, as ever (store/keys.ts names the same keys).
-- Each function takes p = { registry, schedule, leases, touched } (placement_of makes it);
-- placed_done(p) brings the registry up to date once, at the end of a script, for every set
-- written.

local function placement_of(registry_key, schedule_key, leases_key)
  return { registry = registry_key, schedule = schedule_key, leases = leases_key, touched = {} }
end

-- p.placed: some label set was written by this script; p.pended: the leases (a run handed out
-- without an owner and no labels, or one of them taken).

-- The label set of a task or a fire ('' when it has none).
local function label_set_of(t)
  if type(t) ~= 'table' then return '' end
  local on = t.on
  if type(on) ~= 'table' or #on == 0 then return '' end
  -- One label (the usual case) is its own set: no join (a claim asks a few times a fire).
  if #on == 1 and type(on[1]) == 'string' then return on[1] end
  return table.concat(on, ',')
end

-- The label set of a task as stored (its JSON): decoded only when it may have one.
local function label_set_of_raw(raw)
  if type(raw) ~= 'string' or not string.find(raw, '"on":', 1, true) then return '' end
  local ok, t = pcall(cjson.decode, raw)
  return ok and label_set_of(t) or ''
end

-- The schedule of a label set, and the set of its runs that wait for a daemon.
local function schedule_key(p, set)
  return set == '' and p.schedule or p.registry .. ':schedule:' .. set
end

local function pending_key(p, set)
  return set == '' and p.leases or p.registry .. ':pending:' .. set
end

-- A write to a label set's schedule or pending runs: its registry entry is brought up to date by
-- placed_done.
local function touch(p, set)
  if set ~= '' then
    p.touched[set] = true
    p.placed = true
  end
end

-- Task `kid` scheduled at `score` (unix seconds) in its set's schedule.
local function schedule_in(p, set, score, kid)
  redis.call('ZADD', schedule_key(p, set), score, kid)
  touch(p, set)
end

local function unschedule_from(p, set, kid)
  redis.call('ZREM', schedule_key(p, set), kid)
  touch(p, set)
end

-- Task `kid` written anew (update, apply), its JSON `was_raw` before and `raw` now: unless it is
-- paused (in paused_key, out of every schedule), it is scheduled at `score` in its label set's
-- schedule, and leaves its old set's when its labels changed.
local function reschedule(p, paused_key, kid, was_raw, raw, score)
  if redis.call('ZSCORE', paused_key, kid) then return end
  local was, set = label_set_of_raw(was_raw), label_set_of_raw(raw)
  if was ~= set then unschedule_from(p, was, kid) end
  schedule_in(p, set, score, kid)
end

-- Fire `id`, handed out without an owner, may be taken from `at_ms` on (unix ms).
local function pend_in(p, set, at_ms, id)
  redis.call('ZADD', pending_key(p, set), at_ms, id)
  touch(p, set)
  if set == '' then p.pended = true end
end

local function unpend_from(p, set, id)
  redis.call('ZREM', pending_key(p, set), id)
  touch(p, set)
  if set == '' then p.pended = true end
end

-- The registry's entry of each set written: the earliest time its schedule or pending runs hold
-- (whole ms, never later than the time: Redis writes a Lua number with 14 digits), or none when
-- both are empty.
local function placed_done(p)
  for set in pairs(p.touched) do
    local head = redis.call('ZRANGE', schedule_key(p, set), 0, 0, 'WITHSCORES')
    local at = head[2] and tonumber(head[2]) * 1000 or nil
    local waiting = redis.call('ZRANGE', pending_key(p, set), 0, 0, 'WITHSCORES')
    if waiting[2] and (not at or tonumber(waiting[2]) < at) then at = tonumber(waiting[2]) end
    if at then
      redis.call('ZADD', p.registry, math.floor(at), set)
    else
      redis.call('ZREM', p.registry, set)
    end
  end
  p.touched = {}
end

-- Whether a daemon holding `held` (label -> true) may run what needs `set`: it holds every label.
local function holds_all(held, set)
  for label in string.gmatch(set, '[^,]+') do
    if not held[label] then return false end
  end
  return true
end
