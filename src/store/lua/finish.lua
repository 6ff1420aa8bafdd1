-- finish: put finished fires on record (history, runs stream, last run: include/run-record.lua),
-- then forget their lease. Only the holder of a fire's newest lease records it, and only once:
-- a retried finish (a lost reply) finds nothing left to do. Whether a failed run is retried is
-- decided by include/retry.lua, which the claim uses too for a run lost with its daemon (the
-- daemon says only whether its failure is one to retry): a retry leaves in its place
-- a pending fire (no owner) that the first claim after its time takes (one holding its labels:
-- include/placement.lua); otherwise its task is free to run again (include/overlap.lua).
-- KEYS[1] leases sorted set, KEYS[2] fires hash, KEYS[3] runs stream, KEYS[4] last hash
-- KEYS[5] running hash, KEYS[6] queued hash, KEYS[7] retrying hash (kid -> its retry waiting)
-- KEYS[8] pool hash, KEYS[9] paused sorted set: a task paused or deleted is not retried
-- KEYS[10] outputBytes counter, KEYS[11] outputSwept stream id: the output budget
--          (include/run-record.lua)
-- KEYS[12] placement sorted set (include/placement.lua)
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
-- ARGV each retryable     '1': a failure worth a retry (the daemon's retry rule); when, and whether,
--                         include/retry.lua decides
-- Returns one triple per run: { 1, streak, record_row } recorded (streak: include/run-record.lua;
-- record_row: the record as kept, with retry_at when its retry was handed out), { 0, 0, false }
-- not this owner's (taken over, or recorded lost).
--#include include/generated.lua
--#include include/placement.lua
--#include include/run-record.lua
--#include include/ended-name.lua
--#include include/overlap.lua
--#include include/retry.lua

local a = ARGS.finish()
local now_ms = a.now_ms
local history = {
  prefix = a.history_prefix, per_task = a.per_task, max_age_ms = a.max_age_ms, max_runs = a.max_runs,
  now_ms = now_ms, runs_key = KEYS[3], last_key = KEYS[4], streak_prefix = a.streak_prefix,
  output_prefix = a.output_prefix, output_bytes_key = KEYS[10], output_swept_key = KEYS[11],
  max_output = a.max_output,
}
local ended = { prefix = a.ended_name_prefix, keep_ms = a.max_age_ms, no_retry_prefix = a.no_retry_prefix }
local p = placement_of(KEYS[12], nil, KEYS[1])
local overlap = { running_key = KEYS[5], queued_key = KEYS[6], fires_key = KEYS[2], placement = p, now_ms = now_ms }
local retries = {
  pool_key = KEYS[8], paused_key = KEYS[9], fires_key = KEYS[2], retrying_key = KEYS[7],
  running_key = KEYS[5], ended = ended, placement = p, now_ms = now_ms,
}

-- The fires put on record leave the fires hash and the leases together at the end, 500 to a
-- command (two commands a batch, not two a run); a fire id twice in one batch is recorded once.
local function forget(ids)
  for i = 1, #ids, 500 do
    local last = math.min(i + 499, #ids)
    redis.call('HDEL', KEYS[2], unpack(ids, i, last))
    redis.call('ZREM', KEYS[1], unpack(ids, i, last))
  end
end

local out, last_id, recorded, seen = {}, nil, {}, {}
for _, run in ipairs(a.each) do
  local ok, fire = pcall(cjson.decode, redis.call('HGET', KEYS[2], run.fire_id) or '')
  if ok and type(fire) == 'table' and fire.owner == a.owner and fire.token == run.token
    and not seen[run.fire_id] then
    seen[run.fire_id] = true
    recorded[#recorded + 1] = run.fire_id
    run.owner = a.owner
    local wait_ms = run.result == OUTCOME.failed and run.retryable and fire.retry_delay and retry_wait_of(fire)
    run.retry_ms = retry_ms_of(retries, fire, run.finished_ms, wait_ms or nil)
    local rec = run_record(fire, run)
    local streak, id = record_run(history, rec)
    last_id = id or last_id
    keep_ended_name(ended, fire.name, fire.kid)
    if run.retry_ms then hand_out_retry(retries, fire, run.retry_ms) else release(overlap, fire.kid, run.fire_id) end
    out[#out + 1] = { 1, streak, record_row(rec) }
  else
    out[#out + 1] = { 0, 0, false }
  end
end
forget(recorded)
trim_runs(history, last_id)
placed_done(p)
return out
