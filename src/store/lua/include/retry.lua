-- retry (included by finish.lua and claim.lua): the one place a retry is decided, and its wait
-- computed (runs/retry.ts's retry_wait_of), for an attempt that failed (finish.lua: the daemon's
-- retry rule said its failure is one to retry) and for one lost with its daemon (the claim). It is retried when it has attempts left
-- (-retries) and its task may run again; its next attempt is then handed out as a pending fire (no
-- owner) that the first claim after its time of a daemon that may run it takes: it waits in its
-- label set's pending runs (include/placement.lua, so included before this), the leases when it
-- has no labels.
-- Each function takes r = { pool_key, paused_key, fires_key, retrying_key, running_key, ended
-- (include/ended-name.lua's, with its no_retry_prefix), placement (include/placement.lua's p),
-- now_ms }.

-- Whether `fire`'s task may run again. A task deleted or paused while its run went on may not. A
-- task that ended (a timer, or its last run by -limit) may: it is gone from the hash because its
-- run was its last, unless it was deleted since (del's mark: a fired timer can be deleted to stop
-- its retries).
local function may_run_again(r, fire)
  if redis.call('ZSCORE', r.paused_key, fire.kid) then return false end
  if no_retry(r.ended, fire.kid) then return false end
  if redis.call('HEXISTS', r.pool_key, fire.kid) == 1 then return true end
  local limit = tonumber(fire.limit) or 0
  return fire.type == 'timer' or (limit > 0 and (tonumber(fire.run_num) or 0) >= limit)
end

-- When the next attempt of `fire` (as the fires hash held it) is due, unix ms, or nil: its
-- failure is one to retry (wait_ms given), it has attempts left, and its task may run again.
-- ended_ms: when the attempt ended (or was found lost).
local function retry_ms_of(r, fire, ended_ms, wait_ms)
  if not wait_ms then return nil end
  if (tonumber(fire.attempt) or 1) > (tonumber(fire.retries) or 0) then return nil end
  if not may_run_again(r, fire) then return nil end
  return whole_ms(ended_ms) + wait_ms
end

-- What a fire holds of its lease and its daemon's run: not the next attempt's.
local NOT_RETRIED = { owner = true, token = true, started = true, retaken_from = true }

-- The next attempt of `fire`, pending until retry_ms: a new fire kid:run.attempt, with everything
-- the attempt before had of its task (what to run and how: include/fire-of.lua), none of its lease.
local function hand_out_retry(r, fire, retry_ms)
  local attempt = (tonumber(fire.attempt) or 1) + 1
  local first = fire.first or fire.id
  local id = attempt_id_of(first, attempt)
  local next_fire = {}
  for k, v in pairs(fire) do
    if not NOT_RETRIED[k] then next_fire[k] = v end
  end
  next_fire.id, next_fire.first, next_fire.attempt = id, first, attempt
  next_fire.due, next_fire.claimed = to_sec(retry_ms), r.now_ms
  next_fire.trigger, next_fire.state = TRIGGER.retry, FIRE_STATE.pending
  redis.call('HSET', r.fires_key, id, cjson.encode(next_fire))
  pend_in(r.placement, label_set_of(fire), retry_ms, id)
  redis.call('HSET', r.retrying_key, fire.kid, id)
  -- The task is still under way (overlap): its mark moves to the retry.
  if redis.call('HGET', r.running_key, fire.kid) == fire.id then redis.call('HSET', r.running_key, fire.kid, id) end
end
