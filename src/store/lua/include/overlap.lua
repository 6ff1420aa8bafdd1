-- overlap (included by claim.lua, finish.lua, run.lua): the "running" mark of tasks whose runs
-- must not overlap (-overlap=skip|queue), across daemons. The mark is a fire id; it holds while
-- that fire is in the fires hash (claimed, running, or a retry waiting), so it goes with the
-- fire's lease: a fire whose daemon died is recorded lost, leaves the hash, and frees the task.
-- Each function takes o = { running_key, queued_key, fires_key, placement, now_ms } (placement:
-- include/placement.lua's p, where a run handed out waits for a daemon that may run it).

-- Whether a task's runs must not overlap (-overlap=skip|queue): they hold the running mark.
local function keeps_one(task)
  return task.overlap == 'skip' or task.overlap == 'queue'
end

-- Fire `id` of a task that keeps one run at a time is under way from now on.
local function mark_running(o, kid, id)
  redis.call('HSET', o.running_key, kid, id)
end

-- The run waiting for the running one (overlap=queue), if any, is handed out now: a pending fire
-- (no owner) whose lease ran out at once, so the next claim of a daemon that may run it takes it.
local function promote_queued(o, kid)
  local raw = redis.call('HGET', o.queued_key, kid)
  if not raw then return end
  redis.call('HDEL', o.queued_key, kid)
  local ok, fire = pcall(cjson.decode, raw)
  if not ok or type(fire) ~= 'table' or type(fire.id) ~= 'string' then return end
  fire.state = FIRE_STATE.pending
  redis.call('HSET', o.fires_key, fire.id, cjson.encode(fire))
  pend_in(o.placement, label_set_of(fire), o.now_ms, fire.id)
  mark_running(o, kid, fire.id)
end

-- Fire `id` of task `kid` is over (recorded, lost, or gone): the task is free, or runs its queued run.
local function release(o, kid, id)
  if redis.call('HGET', o.running_key, kid) == id then
    redis.call('HDEL', o.running_key, kid)
    promote_queued(o, kid)
  end
end

-- Whether a run of task `kid` is under way; a mark whose fire is gone is cleared on the way.
local function busy(o, kid)
  local id = redis.call('HGET', o.running_key, kid)
  if not id then return false end
  if redis.call('HEXISTS', o.fires_key, id) == 1 then return true end
  release(o, kid, id)
  return redis.call('HEXISTS', o.running_key, kid) == 1
end
