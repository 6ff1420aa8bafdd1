-- claim-task (included by claim.lua): the claim's third phase for one due task. It is moved on by
-- its plan (include/claim-plan.lua): a timer removed, a ticker or cron task rescheduled, or
-- removed at its limit; and its run is handed out: leased to this daemon or, while the task's
-- previous run is under way (overlap skip|queue), queued or put on record as skipped. Each
-- function takes the claim's state c.

-- A run that came due while the task's previous one was under way: on record, not run.
local function record_skipped(c, fire, why)
  local rec = put_on_record(c, fire, { owner = c.owner, result = OUTCOME.skipped, finished_ms = c.now_int, error = why })
  c.out[#c.out + 1] = { 'skipped', record_row(rec) }
end

-- The task moved on to next_ms, or removed when it has no next run or made its last one. Raw is
-- the task as stored, a parked cron task's (its score alone moves, so the JSON a refill compares
-- against stays the same).
local function move_on(c, kid, task, next_ms, done, parked)
  if not next_ms or done then return remove_task(c, kid, task) end
  task.run_nexttime = to_sec(next_ms)
  if next_ms <= c.due_by_ms then c.catching_up = true end
  local carried = type(task.runs) == 'table' and #task.runs or 0
  -- cjson would write an empty list as {}: none is stored instead.
  if carried == 0 then task.runs = nil end
  local json = cjson.encode(task)
  redis.call('HSET', c.keys.pool, kid, json)
  schedule_in(c.place, label_set_of(task), task.run_nexttime, kid)
  if parked or (task.type == 'cron' and carried < tonumber(c.a.cron_low_water)) then
    c.out[#c.out + 1] = { 'refill', kid, json }
  end
end

-- The fire of a due run handed out: leased, or held back while its task's run is under way.
local function hand_out(c, kid, task, fire)
  if keeps_one(task) and busy(c.overlap, kid) then
    local overlap = task.overlap
    if overlap == 'queue' and redis.call('HEXISTS', c.overlap.queued_key, kid) == 0 then
      fire.state = FIRE_STATE.queued
      redis.call('HSET', c.overlap.queued_key, kid, cjson.encode(fire))
    else
      record_skipped(c, fire, 'its run ' .. tostring(redis.call('HGET', c.overlap.running_key, kid)) ..
        ' was still under way (overlap=' .. overlap .. (overlap == 'queue' and ', one run queued already)' or ')'))
    end
    return
  end
  c.room[fire.kind] = c.room[fire.kind] - 1
  if keeps_one(task) then mark_running(c.overlap, kid, fire.id) end
  lease(c, fire.id, fire)
end

-- Task `kid`, due at `score` (unix seconds), as stored (raw) and decoded (task), its command's kind.
local function claim_task(c, kid, score, task, raw, kind)
  local limit = tonumber(task.limit) or 0
  if task.type ~= 'timer' and limit > 0 and (tonumber(task.run_num) or 0) >= limit then
    -- Runs by hand (run.lua) made up its limit: it is done, as after its last scheduled run.
    return remove_task(c, kid, task)
  end
  if task.type == 'cron' and task.parked then
    schedule_in(c.place, label_set_of(task), (c.now_int + PARK_RETRY_MS) / 1000, kid)
    c.out[#c.out + 1] = { 'refill', kid, raw }
    return
  end
  local carried = task.runs
  local fire_ms, next_ms, missed, first_missed_ms, parked = plan(c, task, to_ms(score))
  local run_num = (tonumber(task.run_num) or 0) + (fire_ms and 1 or 0)
  if fire_ms then
    task.run_num = run_num
    -- Claimed ahead, it runs at its due time.
    task.run_lasttime = math.max(c.now, fire_ms / 1000)
  end
  if next_ms and missed > 0 then record_missed(c, kid, task, carried, missed, first_missed_ms, next_ms) end
  move_on(c, kid, task, next_ms, limit > 0 and run_num >= limit, parked)
  if fire_ms then
    hand_out(c, kid, task, fire_of(kid, task, kind, fire_ms, run_num, limit, c.now_int))
  end
end
