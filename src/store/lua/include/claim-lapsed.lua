-- claim-lapsed (included by claim.lua): the claim's first phase, fires whose lease ran out. One
-- leased (its daemon did not begin it) is taken over, one pending (a run by hand, a retry, a
-- queued run) taken; one begun is recorded lost, and retried when its task retries: its daemon
-- vanished before it ended, unless Redis restarted lately. A fire with labels (include/placement.lua)
-- is taken only by a daemon holding them all, from its label set's pending runs; another daemon
-- hands it back there; a lost run's retry waits there too. Each function takes the claim's state c.

-- Until when, unix ms, a begun fire whose lease ran out is kept rather than recorded lost: a
-- Redis restart less than task_lost_after ago, and nobody could renew while it was down; its
-- daemon, reconnecting, renews it or begins it again. Read only when such a lease ran out. The
-- one read of the server's clock in a script: the restart is dated by the server's uptime, so on
-- the server's own clock; what is due is always decided on the "now" given.
local function restart_grace(c)
  if c.grace_until_ms == nil then
    local up = tonumber(string.match(redis.call('INFO', 'server'), 'uptime_in_seconds:(%d+)'))
    local t = redis.call('TIME')
    local server_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    c.grace_until_ms = up and (server_ms - up * 1000 + tonumber(c.a.lost_after_ms)) or 0
  end
  return c.grace_until_ms
end

-- A begun fire whose daemon is gone: nobody knows how it ended. On record as lost, a failed
-- attempt: retried as finish.lua retries one (include/retry.lua), after the task's retry delay;
-- its command was stopped by then (its spawner stops it within shutdown_grace of its daemon's
-- death; a daemon cut off from Redis stops its own runs before their leases run out). Otherwise
-- its task is free to run again.
local function record_lost(c, fire)
  local wait_ms = fire.retry_delay and retry_wait_of(fire)
  local retry_ms = retry_ms_of(c.retries, fire, c.now_int, wait_ms)
  local rec, streak = put_on_record(c, fire, {
    owner = fire.owner, result = OUTCOME.lost, started_ms = tonumber(fire.started), finished_ms = c.now_int,
    error = 'its daemon ' .. tostring(fire.owner) .. ' stopped before the run ended', retry_ms = retry_ms,
  })
  c.out[#c.out + 1] = { 'lost', record_row(rec), streak }
  if retry_ms then hand_out_retry(c.retries, fire, retry_ms) else release(c.overlap, fire.kid, fire.id) end
end

-- Whether a fire's JSON is one a script wrote: anything else cannot be run.
local function runnable(ok, fire)
  return ok and type(fire) == 'table' and type(fire.kid) == 'string' and type(fire.command) == 'string'
    and type(fire.due) == 'number' and type(fire.run_num) == 'number'
end

-- A leased or pending fire taken by this claim, if its kind has room: true when taken.
local function take_over(c, fire_id, fire)
  local kind = (fire.kind == 'url' or fire.kind == 'shell') and fire.kind or kind_of(tostring(fire.command))
  if c.room[kind] <= 0 then return false end
  c.room[kind] = c.room[kind] - 1
  fire.kind = kind
  -- A pending fire (by hand, a retry, a queued run) has had no owner: it is taken, not retaken.
  fire.retaken_from = fire.owner or fire.retaken_from
  if fire.state == FIRE_STATE.pending and redis.call('HGET', c.keys.retrying, fire.kid) == fire_id then
    redis.call('HDEL', c.keys.retrying, fire.kid)
  end
  lease(c, fire_id, fire)
  return true
end

-- A run by hand no daemon took before its task was deleted (del and clear mark the kid,
-- include/ended-name.lua): dropped, as del drops a retry or a queued run that waits. True if so.
local function dropped_by_del(c, fire_id, fire)
  if fire.state ~= FIRE_STATE.pending or fire.trigger ~= TRIGGER.manual or not no_retry(c.ended, fire.kid) then
    return false
  end
  redis.call('HDEL', c.keys.fires, fire_id)
  release(c.overlap, fire.kid, fire_id)
  return true
end

-- A fire of the leases that this daemon may not run (it lacks some of its labels): one leased to a
-- daemon that did not begin it, or pending there (handed out before placement). Handed back
-- without an owner to its label set's pending runs (include/placement.lua), for a daemon that
-- holds them all; its old lease can begin it no more.
local function hand_back(c, fire_id, fire, set)
  redis.call('ZREM', c.keys.leases, fire_id)
  fire.retaken_from = fire.owner or fire.retaken_from
  fire.owner, fire.token = nil, nil
  fire.state = FIRE_STATE.pending
  redis.call('HSET', c.keys.fires, fire_id, cjson.encode(fire))
  pend_in(c.place, set, c.now_int, fire_id)
end

-- The runs of label set `set` (one this daemon may run) handed out without an owner, whose time
-- came: taken as room allows.
local function take_placed(c, set, limit)
  local key = pending_key(c.place, set)
  for _, fire_id in ipairs(redis.call('ZRANGEBYSCORE', key, '-inf', c.now_int, 'LIMIT', 0, limit)) do
    if c.room.shell + c.room.url <= 0 then return end
    local ok, fire = pcall(cjson.decode, redis.call('HGET', c.keys.fires, fire_id) or '')
    if not runnable(ok, fire) then
      unpend_from(c.place, set, fire_id)
      redis.call('HDEL', c.keys.fires, fire_id)
    elseif fire.state ~= FIRE_STATE.pending or dropped_by_del(c, fire_id, fire) then
      -- Gone its own way (its lease lives in the leases), or dropped: not a run that waits here.
      unpend_from(c.place, set, fire_id)
    elseif take_over(c, fire_id, fire) then
      unpend_from(c.place, set, fire_id)
    end
  end
end

-- Leases that ran out, then the pending runs of `sets`, the label sets this daemon may run. The
-- leases' earliest deadline is read first: when it is not due (as at a steady rate), nothing ran
-- out, and it is kept as c.lease_head (-1: no lease), so that what_is_left need not read it again.
local function take_lapsed(c, sets)
  local limit = c.room.shell + c.room.url + 100
  local head = redis.call('ZRANGE', c.keys.leases, '0', '0', 'WITHSCORES')
  local head_ms = head[2] and tonumber(head[2]) or -1
  local lapsed = {}
  if head_ms > c.now_int or head_ms < 0 then
    c.lease_head = head_ms
  else
    lapsed = redis.call('ZRANGEBYSCORE', c.keys.leases, '-inf', c.now_text, 'LIMIT', '0', limit)
  end
  for _, fire_id in ipairs(lapsed) do
    local ok, fire = pcall(cjson.decode, redis.call('HGET', c.keys.fires, fire_id) or '')
    local set = ok and label_set_of(fire) or ''
    if not runnable(ok, fire) then
      redis.call('ZREM', c.keys.leases, fire_id)
      redis.call('HDEL', c.keys.fires, fire_id)
    elseif fire.state == FIRE_STATE.started and restart_grace(c) > c.now_int then
      redis.call('ZADD', c.keys.leases, restart_grace(c), fire_id)
    elseif fire.state == FIRE_STATE.started then
      redis.call('ZREM', c.keys.leases, fire_id)
      redis.call('HDEL', c.keys.fires, fire_id)
      fire.id = fire.id or fire_id
      record_lost(c, fire)
    elseif dropped_by_del(c, fire_id, fire) then
      redis.call('ZREM', c.keys.leases, fire_id)
    elseif set ~= '' and not holds_all(c.held, set) then
      hand_back(c, fire_id, fire, set)
    else
      take_over(c, fire_id, fire)
    end
  end
  for _, set in ipairs(sets) do
    if c.room.shell + c.room.url <= 0 then break end
    take_placed(c, set, limit)
  end
end
