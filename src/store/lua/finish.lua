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
-- ARGV each started_ms    (with no row: the next nine say how it ended) when it really started
--                         (unix ms, with a fraction),
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
-- ARGV each kid           its task,
-- ARGV each name          its task's name (include/ended-name.lua),
-- ARGV each row           a run not retried: its record's row, as record_row would make it (the
--                         daemon's, src/store/run-record.ts encodeRunRow), filed as it is; the
--                         fields above it that the row says are not sent with it
-- Returns one triple per run: { 1, streak, record_row } recorded (streak: include/run-record.lua;
-- record_row: the record as kept, with retry_at when its retry was handed out; 1: the row the
-- daemon sent), { 0, 0, false } not this owner's (taken over, or recorded lost).
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

-- Whether the fire as stored (`raw`, its JSON) holds the lease `token` of `owner`. Found without
-- decoding it: a token (owner/time/seq: include/claim-lease.lua) names one lease of one owner,
-- and cjson writes its '/' as '\/'; a token cjson would escape otherwise is looked for decoded.
local function holds_lease(raw, owner, token)
  if string.sub(token, 1, #owner + 1) ~= owner .. '/' then return false end
  local escaped = string.gsub(token, '/', '\\/')
  if string.find(raw, '"token":"' .. escaped .. '"', 1, true) then return true end
  local ok, fire = pcall(cjson.decode, raw)
  return ok and type(fire) == 'table' and fire.owner == owner and fire.token == token
end

local out, last_id, recorded, seen = {}, nil, {}, {}

-- The fast path, a run not retried whose row the daemon made: filed as record_row's would be.
local function file_sent_row(run)
  local rec = {
    fire_id = run.fire_id, kid = run.kid, result = run.result, stdout = run.stdout or '',
    stderr = run.stderr or '', row = run.row,
  }
  local streak, id = record_run(history, rec)
  last_id = id or last_id
  keep_ended_name(ended, run.name, run.kid)
  release(overlap, run.kid, run.fire_id)
  return { 1, streak, 1 }
end

-- The slow path: the fire decoded, its record made here (a retry decided: include/retry.lua).
local function file_run(run, raw)
  local ok, fire = pcall(cjson.decode, raw or '')
  if not (ok and type(fire) == 'table' and fire.owner == a.owner and fire.token == run.token) then
    return { 0, 0, false }
  end
  run.owner = a.owner
  local wait_ms = run.result == OUTCOME.failed and run.retryable and fire.retry_delay and retry_wait_of(fire)
  run.retry_ms = retry_ms_of(retries, fire, run.finished_ms, wait_ms or nil)
  local rec = run_record(fire, run)
  local streak, id = record_run(history, rec)
  last_id = id or last_id
  keep_ended_name(ended, fire.name, fire.kid)
  if run.retry_ms then hand_out_retry(retries, fire, run.retry_ms) else release(overlap, fire.kid, run.fire_id) end
  return { 1, streak, record_row(rec) }
end

for _, run in ipairs(a.each) do
  local raw = redis.call('HGET', KEYS[2], run.fire_id)
  local reply
  if not raw or seen[run.fire_id] then
    reply = { 0, 0, false }
  elseif run.row and not (run.result == OUTCOME.failed and run.retryable) then
    reply = holds_lease(raw, a.owner, run.token) and file_sent_row(run) or { 0, 0, false }
  else
    reply = file_run(run, raw)
  end
  if reply[1] == 1 then
    seen[run.fire_id] = true
    recorded[#recorded + 1] = run.fire_id
  end
  out[#out + 1] = reply
end
forget(recorded)
trim_runs(history, last_id)
placed_done(p)
return out
