-- finish: put finished fires on record (history, runs stream, last run: include/record-run.lua),
-- then forget their lease. Only the holder of a fire's newest lease records it, and only once:
-- a retried finish (a lost reply) finds nothing left to do. A failed run to be retried leaves
-- its retry in its place, a pending fire (no owner) that the first claim after its time takes;
-- otherwise its task is free to run again (include/overlap.lua).
-- KEYS[1] leases sorted set, KEYS[2] fires hash, KEYS[3] runs stream, KEYS[4] last hash
-- KEYS[5] running hash, KEYS[6] queued hash, KEYS[7] retrying hash (kid -> its retry waiting)
-- KEYS[8] pool hash, KEYS[9] paused sorted set: a task paused or deleted is not retried
-- ARGV[1] owner, ARGV[2] now, unix ms
-- ARGV[3] history list key prefix (+ kid), ARGV[4] records per task, ARGV[5] max age, ms,
-- ARGV[6] runs kept in the stream, ARGV[7] failures-in-a-row key prefix (+ kid)
-- ARGV[8] ended-name key prefix (+ name; include/ended-name.lua): a run of a task that left
--         holding a name keeps that name's record as long as its history (ARGV[5])
-- ARGV[9] no-retry key prefix (+ kid): set by del, a deleted task's run is not retried
-- ARGV[10..] quadruples: fire id, lease token, run record JSON, when to retry it (unix ms; 0: not)
-- Returns one triple per quadruple: { 1, streak, retried } recorded (streak:
-- include/record-run.lua; retried 1 when its retry was handed out, 0 when none was asked for or
-- the task may not be retried), { 0, 0, 0 } not this owner's (taken over, or recorded lost).
local now_ms = tonumber(ARGV[2])
local HISTORY = {
  prefix = ARGV[3], per_task = tonumber(ARGV[4]), max_age_ms = tonumber(ARGV[5]),
  max_runs = tonumber(ARGV[6]), now_ms = now_ms, runs_key = KEYS[3], last_key = KEYS[4],
  streak_prefix = ARGV[7],
}
--#include include/record-run.lua
local ENDED = { prefix = ARGV[8], keep_ms = HISTORY.max_age_ms, no_retry_prefix = ARGV[9] }
--#include include/ended-name.lua
local OVERLAP = { running_key = KEYS[5], queued_key = KEYS[6], fires_key = KEYS[2], leases_key = KEYS[1], now_ms = now_ms }
--#include include/overlap.lua

-- The retry of `fire` (as the fires hash held it): the next attempt, pending until retry_ms.
-- Its id is the first attempt's and the attempt: kid:run.attempt (run-record.ts nextAttemptId
-- reads it so).
local function retry(fire, retry_ms)
  local attempt = (tonumber(fire.attempt) or 1) + 1
  local first = fire.first or fire.id
  local id = first .. '.' .. attempt
  local next_fire = {
    id = id, first = first, kid = fire.kid, type = fire.type, kind = fire.kind,
    command = fire.command, due = retry_ms / 1000, run_num = fire.run_num, limit = fire.limit,
    claimed = now_ms, timeout = fire.timeout, retries = fire.retries,
    retry_delay = fire.retry_delay, trigger = 'retry', attempt = attempt, state = 'pending',
    name = fire.name,
  }
  redis.call('HSET', KEYS[2], id, cjson.encode(next_fire))
  redis.call('ZADD', KEYS[1], retry_ms, id)
  redis.call('HSET', KEYS[7], fire.kid, id)
  -- The task is still under way (overlap): its mark moves to the retry.
  if redis.call('HGET', KEYS[5], fire.kid) == fire.id then redis.call('HSET', KEYS[5], fire.kid, id) end
end

-- A task deleted or paused while its run went on is not retried. A task that ended (a timer, or
-- its last run by -limit) is: it is gone from the hash because its run was its last, unless it
-- was deleted since (del's mark: a fired timer can be deleted to stop its retries).
local function may_retry(fire)
  if redis.call('ZSCORE', KEYS[9], fire.kid) then return false end
  if no_retry(fire.kid) then return false end
  if redis.call('HEXISTS', KEYS[8], fire.kid) == 1 then return true end
  local limit = tonumber(fire.limit) or 0
  return fire.type == 'timer' or (limit > 0 and (tonumber(fire.run_num) or 0) >= limit)
end

local out = {}
for i = 10, #ARGV - 3, 4 do
  local id = ARGV[i]
  local ok, fire = pcall(cjson.decode, redis.call('HGET', KEYS[2], id) or '')
  if ok and type(fire) == 'table' and fire.owner == ARGV[1] and fire.token == ARGV[i + 1] then
    local rec = cjson.decode(ARGV[i + 2])
    local retry_ms = tonumber(ARGV[i + 3])
    if retry_ms > 0 and not may_retry(fire) then
      retry_ms = 0
      rec.retry_at = nil
    end
    local streak = record_run(rec)
    keep_ended_name(fire.name, fire.kid)
    redis.call('HDEL', KEYS[2], id)
    redis.call('ZREM', KEYS[1], id)
    if retry_ms > 0 then retry(fire, retry_ms) else release(fire.kid, id) end
    out[#out + 1] = { 1, streak, retry_ms > 0 and 1 or 0 }
  else
    out[#out + 1] = { 0, 0, 0 }
  end
end
trim_runs()
return out
