-- record-run (included by claim.lua and finish.lua, see store/script.ts): one run on record. Its
-- record goes first into its task's history list (newest first, at most HISTORY.per_task, none
-- older than HISTORY.max_age_ms), a summary into the runs stream (at most HISTORY.max_runs; one
-- stream field per summary field) and into the task's last run (JSON). The including script
-- sets HISTORY = { prefix, per_task, max_age_ms, max_runs, now_ms, runs_key, last_key,
-- streak_prefix } (a local) before calling record_run.
-- record_run returns the task's failures in a row, for alerts: after a failure or a lost run that
-- no retry follows, how many there are now (>= 1); after a success, minus how many there were
-- (0 when none); 0 otherwise (skipped; a failure to be retried).
-- kid and ok are not among them: they are read back from fire_id and result.
local SUMMARY_FIELDS = { 'fire_id', 'result', 'started', 'duration_ms', 'lateness_ms', 'exit_code',
  'signal', 'http_status', 'host' }

-- A record in a history list is a JSON array, its fields by position in this order (run-record.ts
-- RECORD_FIELDS, checked equal by test/unit/lua-contracts.test.ts; new fields go at the end):
-- the names were a third of a record's bytes, kept for every run. Absent fields are null, and
-- the trailing ones left off; so are those read back from the others (decodeRunRecord): the kid
-- (in fire_id), ok (result is ok), trigger schedule and attempt 1.
local RECORD_FIELDS = { 'fire_id', 'type', 'kind', 'due', 'started', 'finished', 'lateness_ms',
  'duration_ms', 'result', 'exit_code', 'http_status', 'output', 'host', 'pid', 'error', 'signal',
  'timed_out', 'trigger', 'attempt', 'retry_at' }
local FINISHED_AT = 6
local FINISHED_IN_ROW = '^%[' .. string.rep('[^,]*,', FINISHED_AT - 1) .. '([^,%]]*)'

local function stored_json(rec)
  local row, last = {}, 0
  for i, f in ipairs(RECORD_FIELDS) do
    local v = rec[f]
    if (f == 'trigger' and v == 'schedule') or (f == 'attempt' and v == 1) or v == '' then v = nil end
    if v ~= nil then last = i end
    row[i] = v == nil and cjson.null or v
  end
  for i = #RECORD_FIELDS, last + 1, -1 do row[i] = nil end
  return cjson.encode(row)
end

-- When a stored record ended (unix s): a row, or an object as ktimer 2.0 stored it. A row's
-- first five values hold no comma (a fire id, two words, numbers or null): finished is read
-- without decoding the rest, its output (up to 4 KiB) included, at every run.
local function finished_of(raw)
  local finished = string.match(raw or '', FINISHED_IN_ROW)
  if finished then return tonumber(finished) end
  local ok, rec = pcall(cjson.decode, raw or '')
  if not ok or type(rec) ~= 'table' then return nil end
  return tonumber(rec.finished)
end

local function record_run(rec)
  local summary = {}
  for _, f in ipairs(SUMMARY_FIELDS) do summary[f] = rec[f] end
  -- What started it and which attempt, only when not the usual (the schedule, a first attempt).
  if rec.trigger ~= 'schedule' then summary.trigger = rec.trigger end
  if rec.attempt ~= 1 then summary.attempt = rec.attempt end
  local kid, result, retry_at = rec.kid, rec.result, rec.retry_at
  local summary_json = cjson.encode(summary)
  if HISTORY.per_task > 0 then
    local key = HISTORY.prefix .. kid
    redis.call('LPUSH', key, stored_json(rec))
    redis.call('LTRIM', key, 0, HISTORY.per_task - 1)
    -- Records past the age leave from the old end, a few per run (the next runs take the rest).
    for _ = 1, 4 do
      local finished = finished_of(redis.call('LINDEX', key, -1))
      if not finished or finished * 1000 >= HISTORY.now_ms - HISTORY.max_age_ms then break end
      redis.call('RPOP', key)
    end
    redis.call('PEXPIRE', key, HISTORY.max_age_ms)
  end
  if HISTORY.max_runs > 0 then
    -- The same fields in the same order in every entry (empty where none): a stream node keeps
    -- their names once, and each entry only its values (run-record.ts decodeRunsEntry).
    local v = function(x) return x == nil and '' or x end
    local started = tonumber(rec.started)
    HISTORY.last_id = redis.call('XADD', HISTORY.runs_key, 'MAXLEN', '~', HISTORY.max_runs, '*',
      'fire_id', rec.fire_id, 'result', result,
      'started_ms', started and math.floor(started * 1000 + 0.5) or '',
      'duration_ms', v(rec.duration_ms), 'lateness_ms', v(rec.lateness_ms),
      'exit_code', v(rec.exit_code), 'signal', v(rec.signal), 'http_status', v(rec.http_status),
      'host', v(rec.host), 'trigger', v(summary.trigger), 'attempt', v(summary.attempt))
  end
  redis.call('HSET', HISTORY.last_key, kid, summary_json)
  local streak_key = HISTORY.streak_prefix .. kid
  if result == 'ok' then
    local before = tonumber(redis.call('GET', streak_key)) or 0
    if before > 0 then redis.call('DEL', streak_key) end
    return -before
  elseif (result == 'failed' or result == 'lost') and retry_at == nil then
    local n = redis.call('INCR', streak_key)
    -- A streak no run has added to for as long as the history keeps runs is forgotten.
    redis.call('PEXPIRE', streak_key, math.max(HISTORY.max_age_ms, 1000))
    return n
  end
  return 0
end

-- Runs past the age leave the stream, once per script (approximate trimming is cheap). Ages are
-- taken from the stream's own ids (the server's clock when they were added), newest first.
local function trim_runs()
  local newest = HISTORY.last_id and tonumber(string.match(HISTORY.last_id, '^(%d+)'))
  if newest then
    redis.call('XTRIM', HISTORY.runs_key, 'MINID', '~', math.max(0, newest - HISTORY.max_age_ms))
  end
end
