-- finish: put finished fires on record (history, runs stream, last run: include/run-record.lua),
-- then forget their lease. Only the holder of a fire's newest lease records it, and only once:
-- a retried finish (a lost reply) finds nothing left to do. Whether a failed run is retried is
-- decided here, and only here (the daemon says only whether its failure is one to retry, and the
-- wait): a retry leaves in its place a pending fire (no owner) that the first claim after its
-- time takes; otherwise its task is free to run again (include/overlap.lua).
-- KEYS[1] leases sorted set, KEYS[2] fires hash, KEYS[3] runs stream, KEYS[4] last hash
-- KEYS[5] running hash, KEYS[6] queued hash, KEYS[7] retrying hash (kid -> its retry waiting)
-- KEYS[8] pool hash, KEYS[9] paused sorted set: a task paused or deleted is not retried
-- KEYS[10] outputBytes counter, KEYS[11] outputSwept stream id: the output budget
--          (include/run-record.lua)
-- ARGV owner              the finishing daemon's id (host:pid:tag): its records' host and pid
-- ARGV now_ms             now, unix ms
-- ARGV no_retry_prefix    a deleted or cleared task's mark is this + kid (include/ended-name.lua)
-- ARGV history_prefix     each task's history list is this + kid,
-- ARGV per_task           with this many records at most,
-- ARGV max_age_ms         none older than this; the runs stream keeps
-- ARGV max_runs           this many runs (include/run-record.lua)
-- ARGV streak_prefix      each task's failures in a row are this + kid
-- ARGV ended_name_prefix  a run of a task that left holding a name keeps this + name as long as
--                         its history (include/ended-name.lua)
-- ARGV output_prefix      each run's output is this + fire id, and all of them together
-- ARGV max_output         at most this many bytes (the oldest dropped first; 0: none kept)
-- ARGV each fire_id       per run ended: its fire,
-- ARGV each token         the lease it was begun under,
-- ARGV each started_ms    when it really started (unix ms, with a fraction),
-- ARGV each finished_ms   when it was seen to end (unix ms, with a fraction),
-- ARGV each lateness_ms   how late it started,
-- ARGV each duration_ms   how long it ran,
-- ARGV each result        ok or failed,
-- ARGV each exit_code     its exit code,
-- ARGV each signal        the signal that ended it,
-- ARGV each http_status   the URL's HTTP status,
-- ARGV each timed_out     '1' when it ran out of time,
-- ARGV each error         why it failed, in words,
-- ARGV each stdout        what it printed on stdout (a URL's body), within its output_max,
-- ARGV each stderr        and on stderr,
-- ARGV each retry_wait_ms a failure worth a retry: the retry's wait (runner/retry-rule.ts)
-- Returns one triple per run: { 1, streak, record_row } recorded (streak: include/run-record.lua;
-- record_row: the record as kept, with retry_at when its retry was handed out), { 0, 0, false }
-- not this owner's (taken over, or recorded lost).
--#include include/generated.lua
--#include include/run-record.lua
--#include include/ended-name.lua
--#include include/overlap.lua
--#include include/fire-of.lua

local a = ARGS.finish()
local now_ms = a.now_ms
local history = {
  prefix = a.history_prefix, per_task = a.per_task, max_age_ms = a.max_age_ms, max_runs = a.max_runs,
  now_ms = now_ms, runs_key = KEYS[3], last_key = KEYS[4], streak_prefix = a.streak_prefix,
  output_prefix = a.output_prefix, output_bytes_key = KEYS[10], output_swept_key = KEYS[11],
  max_output = a.max_output,
}
local ended = { prefix = a.ended_name_prefix, keep_ms = a.max_age_ms, no_retry_prefix = a.no_retry_prefix }
local overlap = { running_key = KEYS[5], queued_key = KEYS[6], fires_key = KEYS[2], leases_key = KEYS[1], now_ms = now_ms }

-- Whether `fire`'s task may run again. A task deleted or paused while its run went on may not. A
-- task that ended (a timer, or its last run by -limit) may: it is gone from the hash because its
-- run was its last, unless it was deleted since (del's mark: a fired timer can be deleted to stop
-- its retries).
local function may_run_again(fire)
  if redis.call('ZSCORE', KEYS[9], fire.kid) then return false end
  if no_retry(ended, fire.kid) then return false end
  if redis.call('HEXISTS', KEYS[8], fire.kid) == 1 then return true end
  local limit = tonumber(fire.limit) or 0
  return fire.type == 'timer' or (limit > 0 and (tonumber(fire.run_num) or 0) >= limit)
end

-- When the failed run of `fire` is retried, unix ms, or nil: the one place a retry is decided. Its
-- failure is one to retry (the daemon's retry rule gave a wait), it has attempts left (-retries),
-- and its task may run again.
local function retry_ms_of(fire, run)
  if run.result ~= OUTCOME.failed or not run.retry_wait_ms then return nil end
  if (tonumber(fire.attempt) or 1) > (tonumber(fire.retries) or 0) then return nil end
  if not may_run_again(fire) then return nil end
  return whole_ms(run.finished_ms) + run.retry_wait_ms
end

-- The retry of `fire` (as the fires hash held it): the next attempt, pending until retry_ms.
local function retry(fire, retry_ms)
  local attempt = (tonumber(fire.attempt) or 1) + 1
  local first = fire.first or fire.id
  local id = attempt_id_of(first, attempt)
  local next_fire = {
    id = id, first = first, kid = fire.kid, type = fire.type, kind = fire.kind,
    command = fire.command, due = to_sec(retry_ms), run_num = fire.run_num, limit = fire.limit,
    claimed = now_ms, timeout = fire.timeout, retries = fire.retries,
    retry_delay = fire.retry_delay, trigger = TRIGGER.retry, attempt = attempt, state = FIRE_STATE.pending,
  }
  for _, f in ipairs(RUN_FIELDS_OF_FIRE) do next_fire[f] = fire[f] end
  redis.call('HSET', KEYS[2], id, cjson.encode(next_fire))
  redis.call('ZADD', KEYS[1], retry_ms, id)
  redis.call('HSET', KEYS[7], fire.kid, id)
  -- The task is still under way (overlap): its mark moves to the retry.
  if redis.call('HGET', KEYS[5], fire.kid) == fire.id then redis.call('HSET', KEYS[5], fire.kid, id) end
end

local out, last_id = {}, nil
for _, run in ipairs(a.each) do
  local ok, fire = pcall(cjson.decode, redis.call('HGET', KEYS[2], run.fire_id) or '')
  if ok and type(fire) == 'table' and fire.owner == a.owner and fire.token == run.token then
    run.owner = a.owner
    run.retry_ms = retry_ms_of(fire, run)
    local rec = run_record(fire, run)
    local streak, id = record_run(history, rec)
    last_id = id or last_id
    keep_ended_name(ended, fire.name, fire.kid)
    redis.call('HDEL', KEYS[2], run.fire_id)
    redis.call('ZREM', KEYS[1], run.fire_id)
    if run.retry_ms then retry(fire, run.retry_ms) else release(overlap, fire.kid, run.fire_id) end
    out[#out + 1] = { 1, streak, record_row(rec) }
  else
    out[#out + 1] = { 0, 0, false }
  end
end
trim_runs(history, last_id)
return out
