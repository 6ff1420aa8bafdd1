-- claim: take the fires that are due, atomically, so that each fire goes to exactly one daemon
-- even when many share this Redis. A claimed fire is leased to its daemon until it is begun
-- (begin.lua); a lease that runs out (the daemon died, or its reply was lost) is taken over.
-- Each due task is moved on in the same step: a timer is removed; a ticker goes to the next slot
-- of its grid (first due + n x interval); a cron task to the next of the run times it carries
-- (computed ahead by the daemon, refill.lua). Runs missed by a late claim follow the task's
-- misfire policy (once, skip, all). A run of a task with -overlap=skip|queue that comes due while
-- the task's previous run is under way is skipped (on record) or queued (include/overlap.lua).
-- Fires handed out without an owner (a run by hand, run.lua; a retry, finish.lua; a queued run)
-- wait in the leases set as pending until their time, and are taken here like a lapsed lease.
-- KEYS[1] pool hash (kid -> task JSON)
-- KEYS[2] schedule sorted set (kid -> run_nexttime, unix seconds)
-- KEYS[3] leases sorted set (fire id -> deadline, unix ms)
-- KEYS[4] fires hash (fire id -> fire JSON)
-- KEYS[5] runs stream, KEYS[6] last-run hash (include/record-run.lua)
-- KEYS[7] names hash (task name -> kid): a task removed here frees its name, which stays on
--         record for its history (include/ended-name.lua)
-- KEYS[8] running hash, KEYS[9] queued hash (include/overlap.lua), KEYS[10] retrying hash
--         (kid -> its retry waiting: taken here, it no longer waits)
-- ARGV[1] now, unix ms, with its fraction (from the daemon's Redis-synchronised clock)
-- ARGV[2] owner: the claiming daemon's id
-- ARGV[3] lease, ms
-- ARGV[4] max shell fires to claim, ARGV[5] max URL fires to claim
-- ARGV[6] task_expire_limit, seconds (0 = never drop)
-- ARGV[7] max skip: how many due tasks whose kind has no room may be passed over to reach
--         tasks of the other kind behind them
-- ARGV[8] cron low water: a cron task carrying fewer run times than this is to be refilled
-- ARGV[9] history list key prefix (+ kid: the lists share KEYS[1]'s hash tag), ARGV[10] records
--         per task, ARGV[11] max age of a record, ms, ARGV[12] runs kept in the stream
-- ARGV[13] task_lost_after, ms: no begun fire is recorded lost within this long of a Redis
--          restart (its daemon could not renew its lease while Redis was down)
-- ARGV[14] failures-in-a-row key prefix (+ kid; include/record-run.lua)
-- ARGV[15] ended-name key prefix (+ name: the kid of a task that left holding it, kept for
--          ARGV[11]; include/ended-name.lua)
-- Returns { next_score, next_lease_ms, due_left, entry, entry, ... }:
--   next_score     the earliest schedule score left (unix seconds as stored, a string), or false
--   next_lease_ms  the earliest lease deadline left (unix ms), or -1
--   due_left       0: nothing due is left; 1: what is due waits for room; 2: this claim stopped
--                  at its budget with room left (claim again at once)
-- and each entry is a flat array:
--   { 'fire', fire_json }           claimed: run it after begin.lua; its kind (shell or url)
--                                   is decided here, once
--   { 'expired', kid, task_json }   a timer overdue beyond the expire limit: removed, not run
--   { 'corrupt', kid, raw }         task data that is not a valid task: removed
--   { 'lost', record_json, streak } begun by a daemon that vanished before it finished: put on
--                                   record as lost (history, runs, last run), not run again;
--                                   streak: the task's failures in a row now
--   { 'skipped', record_json }      came due while the task's previous run was under way
--                                   (overlap skip, or queue with one queued already): on record
--   { 'missed', kid, policy, n, first_due_ms, next_due_ms }
--                                   n runs of a ticker or cron task not fired (once: all but
--                                   the one fired; skip: all; all: beyond 100), from the first;
--                                   the next due is next_due_ms
--   { 'refill', kid, task_json }    a cron task that needs more run times (refill.lua)
local now_ms = tonumber(ARGV[1])
local now = now_ms / 1000
-- Leases and tokens are in whole ms.
local now_int = math.floor(now_ms)
local owner = ARGV[2]
local lease_ms = tonumber(ARGV[3])
local room = { shell = tonumber(ARGV[4]), url = tonumber(ARGV[5]) }
local expire_limit = tonumber(ARGV[6])
local max_skip = tonumber(ARGV[7])
local low_water = tonumber(ARGV[8])
local out = { false, -1, 0 }
-- A parked cron task is looked at again after this (ms), in case no daemon refilled it.
local PARK_RETRY_MS = 5000
local MAX_CATCH_UP = 100
local HISTORY = {
  prefix = ARGV[9], per_task = tonumber(ARGV[10]), max_age_ms = tonumber(ARGV[11]),
  max_runs = tonumber(ARGV[12]), now_ms = now_int, runs_key = KEYS[5], last_key = KEYS[6],
  streak_prefix = ARGV[14],
}
--#include include/record-run.lua
local ENDED = { prefix = ARGV[15], keep_ms = HISTORY.max_age_ms }
--#include include/ended-name.lua
local OVERLAP = { running_key = KEYS[8], queued_key = KEYS[9], fires_key = KEYS[4], leases_key = KEYS[3], now_ms = now_int }
--#include include/overlap.lua
--#include include/fire-of.lua

-- Until when, unix ms, a begun fire whose lease ran out is kept rather than recorded lost: a
-- Redis restart less than task_lost_after ago, and nobody could renew while it was down; its
-- daemon, reconnecting, renews it or begins it again. Read (INFO) only when such a lease ran out.
local restart_grace_ms
local function restart_grace()
  if restart_grace_ms == nil then
    -- On the server's own clock (the daemons' "now" follows it): when it started, plus the grace.
    local up = tonumber(string.match(redis.call('INFO', 'server'), 'uptime_in_seconds:(%d+)'))
    local t = redis.call('TIME')
    local server_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    restart_grace_ms = up and (server_ms - up * 1000 + tonumber(ARGV[13])) or 0
  end
  return restart_grace_ms
end

-- The host and pid in a daemon id (host:pid:random).
local function host_pid(daemon)
  local host, pid = string.match(tostring(daemon), '^(.*):(%d+):[^:]*$')
  return host or tostring(daemon), tonumber(pid)
end

-- A begun fire whose daemon is gone: nobody knows how it ended. On record as lost (not retried:
-- it may have run), and its task is free to run again.
local function record_lost(fire)
  local host, pid = host_pid(fire.owner)
  local rec = {
    fire_id = fire.id, kid = fire.kid, type = fire.type, kind = fire.kind, due = fire.due,
    started = tonumber(fire.started) and fire.started / 1000 or nil, finished = now_int / 1000,
    result = 'lost', ok = false, host = host, pid = pid,
    trigger = fire.trigger or 'schedule', attempt = fire.attempt or 1,
    error = 'its daemon ' .. tostring(fire.owner) .. ' stopped before the run ended',
  }
  local streak = record_run(rec)
  keep_ended_name(fire.name, fire.kid)
  out[#out + 1] = { 'lost', cjson.encode(rec), streak }
  release(fire.kid, fire.id)
end

-- A run that came due while the task's previous one was under way: on record, not run.
local function record_skipped(fire, why)
  local host, pid = host_pid(owner)
  local rec = {
    fire_id = fire.id, kid = fire.kid, type = fire.type, kind = fire.kind, due = fire.due,
    finished = now_int / 1000, result = 'skipped', ok = false, host = host, pid = pid,
    trigger = 'schedule', attempt = 1, error = why,
  }
  record_run(rec)
  keep_ended_name(fire.name, fire.kid)
  out[#out + 1] = { 'skipped', cjson.encode(rec) }
end

-- A task leaving the hash frees its name, if the name is still its own; the name stays on
-- record as its kid's for history and output by name.
local function free_name(kid, task)
  if type(task.name) == 'string' and redis.call('HGET', KEYS[7], task.name) == kid then
    redis.call('HDEL', KEYS[7], task.name)
    name_ended(task.name, kid)
  end
end

-- Scores are unix seconds with ms precision: computed on in whole ms, so a grid never drifts.
local function to_ms(sec)
  return math.floor(sec * 1000 + 0.5)
end

-- Each lease gets its own token: a begin must show it, so a fire claimed again (after a lease
-- ran out, or after a failover undid the first claim) is begun only through its newest claim.
local seq = 0
local function lease(fire_id, fire)
  seq = seq + 1
  fire.owner = owner
  fire.token = owner .. '/' .. now_int .. '/' .. seq
  fire.state = 'leased'
  local json = cjson.encode(fire)
  redis.call('HSET', KEYS[4], fire_id, json)
  redis.call('ZADD', KEYS[3], now_int + lease_ms, fire_id)
  out[#out + 1] = { 'fire', json }
end

-- 1. Leases that ran out: take the leased ones over, drop the begun ones.
local overdue = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now_int, 'LIMIT', 0, room.shell + room.url + 100)
for _, fire_id in ipairs(overdue) do
  local raw = redis.call('HGET', KEYS[4], fire_id)
  local ok, fire = pcall(cjson.decode, raw or '')
  if not ok or type(fire) ~= 'table' or type(fire.kid) ~= 'string' or type(fire.command) ~= 'string'
      or type(fire.due) ~= 'number' or type(fire.run_num) ~= 'number' then
    -- Not a record this script wrote: nothing can be run from it.
    redis.call('ZREM', KEYS[3], fire_id)
    redis.call('HDEL', KEYS[4], fire_id)
  elseif fire.state == 'started' and restart_grace() > now_int then
    redis.call('ZADD', KEYS[3], restart_grace(), fire_id)
  elseif fire.state == 'started' then
    redis.call('ZREM', KEYS[3], fire_id)
    redis.call('HDEL', KEYS[4], fire_id)
    fire.id = fire.id or fire_id
    record_lost(fire)
  else
    local kind = (fire.kind == 'url' or fire.kind == 'shell') and fire.kind or kind_of(tostring(fire.command))
    if room[kind] > 0 then
      room[kind] = room[kind] - 1
      fire.kind = kind
      -- A pending fire (by hand, a retry, a queued run) has had no owner: it is taken, not retaken.
      fire.retaken_from = fire.owner
      if fire.state == 'pending' and redis.call('HGET', KEYS[10], fire.kid) == fire_id then
        redis.call('HDEL', KEYS[10], fire.kid)
      end
      lease(fire_id, fire)
    end
  end
end

-- 2. What a due task does now: the run to fire (its due time in ms, or nil for none), the next
-- score in ms (nil: remove the task), and how many runs are not fired (first_ms: the first).

-- A run claimed more than task_expire_limit after its time was missed, even when it is the only
-- one due: misfire skip does not fire it (a daily job does not run 12 hours late).
local function stale(due_ms)
  return expire_limit > 0 and now_ms - due_ms > expire_limit * 1000
end

local function ticker_plan(task, due_ms)
  local period_ms = to_ms(task.time)
  -- Slots due by now, this one included: more than one after downtime.
  local slots = math.floor((now_ms - due_ms) / period_ms) + 1
  if task.misfire == 'all' then
    local dropped = math.max(0, slots - MAX_CATCH_UP)
    local fire_ms = due_ms + dropped * period_ms
    return fire_ms, fire_ms + period_ms, dropped, due_ms
  elseif task.misfire == 'skip' and (slots > 1 or stale(due_ms)) then
    return nil, due_ms + slots * period_ms, slots, due_ms
  end
  return due_ms, due_ms + slots * period_ms, slots - 1, due_ms + period_ms
end

-- A cron task fires from the run times it carries; when they do not say what comes after the
-- runs due now (all carried runs are due, or none is carried), it is parked instead: nothing
-- fires, and the daemon computes the runs from the first due one on (refill.lua), misfire
-- policy included. So a claim never guesses a calendar.
local function cron_plan(task, due_ms)
  local runs = type(task.runs) == 'table' and task.runs or {}
  local i = 1
  while runs[i] and to_ms(runs[i]) <= now_ms do i = i + 1 end
  if not runs[i] then
    task.parked = due_ms / 1000
    task.runs = nil
    return nil, now_int + PARK_RETRY_MS, 0, due_ms, true
  end
  local later_due = i - 1
  task.runs = {}
  if task.misfire == 'all' then
    for j = 2, #runs do task.runs[j - 1] = runs[j] end
    return due_ms, to_ms(runs[1]), 0, due_ms
  end
  for j = i + 1, #runs do task.runs[#task.runs + 1] = runs[j] end
  if task.misfire == 'skip' and (later_due > 0 or stale(due_ms)) then
    return nil, to_ms(runs[i]), later_due + 1, due_ms
  end
  return due_ms, to_ms(runs[i]), later_due, runs[1] and to_ms(runs[1])
end

-- Set when a task was moved on to a time still due (a catch-up): the range is read again.
local catching_up = false

local function claim_task(kid, score, task, raw)
  local kind = kind_of(task.command)
  local due_ms = to_ms(score)
  local limit = tonumber(task.limit) or 0
  if task.type ~= 'timer' and limit > 0 and (tonumber(task.run_num) or 0) >= limit then
    -- Runs by hand (run.lua) made up its limit: it is done, as after its last scheduled run.
    redis.call('ZREM', KEYS[2], kid)
    redis.call('HDEL', KEYS[1], kid)
    free_name(kid, task)
    return false
  end
  if task.type == 'cron' and task.parked then
    -- Still parked: only its score moves, so the JSON a refill compares against stays the same.
    redis.call('ZADD', KEYS[2], (now_int + PARK_RETRY_MS) / 1000, kid)
    out[#out + 1] = { 'refill', kid, raw }
    return false
  end
  local fire_ms, next_ms, missed, first_missed_ms, parked
  if task.type == 'timer' then
    fire_ms = due_ms
  elseif task.type == 'ticker' then
    fire_ms, next_ms, missed, first_missed_ms = ticker_plan(task, due_ms)
  else
    fire_ms, next_ms, missed, first_missed_ms, parked = cron_plan(task, due_ms)
  end
  local run_num = (tonumber(task.run_num) or 0) + (fire_ms and 1 or 0)
  if fire_ms then
    task.run_num = run_num
    task.run_lasttime = now
  end
  if next_ms and missed > 0 then
    out[#out + 1] = { 'missed', kid, task.misfire or 'once', missed, first_missed_ms, next_ms }
  end
  if not next_ms or (limit > 0 and run_num >= limit) then
    redis.call('ZREM', KEYS[2], kid)
    redis.call('HDEL', KEYS[1], kid)
    free_name(kid, task)
  else
    task.run_nexttime = next_ms / 1000
    if next_ms <= now_ms then catching_up = true end
    local carried = type(task.runs) == 'table' and #task.runs or 0
    -- cjson would write an empty list as {}: none is stored instead.
    if carried == 0 then task.runs = nil end
    local json = cjson.encode(task)
    redis.call('HSET', KEYS[1], kid, json)
    redis.call('ZADD', KEYS[2], task.run_nexttime, kid)
    if parked or (task.type == 'cron' and carried < low_water) then
      out[#out + 1] = { 'refill', kid, json }
    end
  end
  if not fire_ms then return false end
  local fire = fire_of(kid, task, kind, fire_ms / 1000, run_num, limit, now_int)
  local overlap = task.overlap
  if keeps_one(task) and busy(kid) then
    local running = redis.call('HGET', KEYS[8], kid)
    if overlap == 'queue' and redis.call('HEXISTS', KEYS[9], kid) == 0 then
      fire.state = 'queued'
      redis.call('HSET', KEYS[9], kid, cjson.encode(fire))
    else
      record_skipped(fire, 'its run ' .. tostring(running) .. ' was still under way (overlap=' .. overlap ..
        (overlap == 'queue' and ', one run queued already)' or ')'))
    end
    return false
  end
  room[kind] = room[kind] - 1
  if keeps_one(task) then mark_running(kid, fire.id) end
  lease(fire.id, fire)
  return true
end

-- The kind of stored task JSON without decoding it (nil when it is not written the usual way):
-- kind_of on the start of the command, found by a plain search (a pattern search over the whole
-- value costs as much as decoding it); cjson writes the slashes of a URL escaped (\/).
local function raw_kind(raw)
  local at = string.find(raw, '"command":"', 1, true)
  if not at then return nil end
  return kind_of((string.gsub(string.sub(raw, at + 11, at + 22), '\\/', '/')))
end

local function valid(task)
  if type(task) ~= 'table' or type(task.command) ~= 'string' or type(task.time) ~= 'number' then
    return false
  end
  if task.misfire ~= nil and task.misfire ~= 'once' and task.misfire ~= 'skip' and task.misfire ~= 'all' then
    return false
  end
  if task.type == 'timer' then return true end
  if task.type == 'ticker' then return task.time > 0 end
  return task.type == 'cron' and type(task.cron) == 'string'
    and (task.runs == nil or type(task.runs) == 'table')
end

-- 3. Due tasks, in order of due time. A task whose kind has no room stays scheduled; up to
-- max_skip of them are passed over to reach tasks of the other kind. The range is read a page
-- at a time, no more than the claim can use (scores cost Redis more to send than the members):
-- the tasks handled leave it (removed, or rescheduled after now), so the next page starts after
-- the ones passed over; a task rescheduled still due now (a catch-up) is met again further on.
-- In a burst most claims have room for a few and pass over many, so passing over is kept
-- cheap: no decoding.
local skipped = 0
-- Tasks looked at, at most: what there is room for, what may be passed over, and some slack for
-- removing corrupt and expired ones and parking cron tasks (the rest go in the next claims).
local budget = room.shell + room.url + max_skip + 100
-- Pages grow from a few: room for 1,000 URL calls does not mean that any is due.
local page_size = 32
local function going_on()
  return budget > 0 and room.shell + room.url > 0 and skipped <= max_skip
end
while going_on() do
  local page = math.min(budget, room.shell + room.url + max_skip - skipped + 1, page_size)
  page_size = math.min(page_size * 2, 512)
  local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'WITHSCORES', 'LIMIT', skipped, page)
  for i = 1, #due, 2 do
    if not going_on() then break end
    budget = budget - 1
    local kid = due[i]
    local score = tonumber(due[i + 1])
    local raw = redis.call('HGET', KEYS[1], kid)
    local overdue = expire_limit > 0 and now - score > expire_limit
    local kind = raw and raw_kind(raw)
    if not raw then
      redis.call('ZREM', KEYS[2], kid)
    elseif kind and room[kind] <= 0 and not overdue then
      skipped = skipped + 1
    else
      local ok, task = pcall(cjson.decode, raw)
      if not ok or not valid(task) then
        redis.call('ZREM', KEYS[2], kid)
        redis.call('HDEL', KEYS[1], kid)
        out[#out + 1] = { 'corrupt', kid, raw }
      elseif task.type == 'timer' and overdue then
        redis.call('ZREM', KEYS[2], kid)
        redis.call('HDEL', KEYS[1], kid)
        free_name(kid, task)
        out[#out + 1] = { 'expired', kid, raw }
      elseif room[kind_of(task.command)] > 0 then
        claim_task(kid, score, task, raw)
      else
        skipped = skipped + 1
      end
    end
  end
  if #due < page * 2 and not catching_up then break end
  catching_up = false
end

trim_runs()

-- 4. What is left, and when to look again: the earliest schedule score (exact, as stored) and
-- lease deadline. Due tasks beyond those passed over, with room and allowance left, mean the
-- budget ran out: go on at once. Anything else still due (passed over, or a lease that ran out)
-- waits for room.
local room_left = room.shell + room.url > 0 and skipped <= max_skip
if room_left and #redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', skipped, 1) > 0 then
  out[3] = 2
elseif #redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1) > 0 then
  out[3] = 1
end
local head = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if head[2] then out[1] = head[2] end
local lease_head = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
if lease_head[2] then
  out[2] = tonumber(lease_head[2])
  if out[2] <= now_int and out[3] == 0 then out[3] = 1 end
end
return out
