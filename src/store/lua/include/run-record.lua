-- run-record (included by claim.lua and finish.lua; src/runs/record.ts says what a record is): a
-- run on record. run_record builds a record, the one place one is built: from its fire as the
-- fires hash holds it and how its run ended. record_run puts it on record: into its task's history
-- list (newest first, at most h.per_task, none older than h.max_age_ms), a summary into the runs
-- stream (at most h.max_runs) and into the task's last run (JSON). Arguments only, no globals:
-- h = { prefix, per_task, max_age_ms, max_runs, now_ms, runs_key, last_key, streak_prefix }.

-- The record of `fire`'s run. e = { owner (whose run: its host and pid), result, finished_ms, and
-- where known: started_ms, lateness_ms, duration_ms, exit_code, signal, http_status, timed_out,
-- error, output, retry_ms (when its retry is due) }.
local function run_record(fire, e)
  local host, pid = host_pid_of(e.owner)
  return {
    fire_id = fire.id, kid = fire.kid, type = fire.type, kind = fire.kind, due = fire.due,
    started = e.started_ms and to_sec(e.started_ms), finished = to_sec(e.finished_ms),
    lateness_ms = e.lateness_ms, duration_ms = e.duration_ms, result = e.result,
    exit_code = e.exit_code, signal = e.signal, http_status = e.http_status, timed_out = e.timed_out,
    error = e.error, output = e.output, host = host, pid = pid,
    trigger = fire.trigger or TRIGGER.schedule, attempt = fire.attempt or 1,
    retry_at = e.retry_ms and to_sec(e.retry_ms),
  }
end

-- A record as a history row, the one encoding of a record (claim's and finish's replies carry it
-- too): a JSON array of RECORD_FIELDS by position, absent fields null and the trailing ones left
-- off; so are those read back from the others (src/store/run-record.ts decodeRunRecord): the kid
-- (in fire_id), ok (result is ok), trigger schedule and attempt 1. The names were a third of a
-- record's bytes, kept for every run.
local function record_row(rec)
  local row, last = {}, 0
  for i, f in ipairs(RECORD_FIELDS) do
    local v = rec[f]
    if (f == 'trigger' and v == TRIGGER.schedule) or (f == 'attempt' and v == 1) or v == '' then v = nil end
    if v ~= nil then last = i end
    row[i] = v == nil and cjson.null or v
  end
  for i = #RECORD_FIELDS, last + 1, -1 do row[i] = nil end
  return cjson.encode(row)
end

local FINISHED_IN_ROW = '^%[' .. string.rep('[^,]*,', FINISHED_AT - 1) .. '([^,%]]*)'

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

-- The record into its task's history list; records past the age leave from the old end, a few
-- per run (the next runs take the rest).
local function keep_in_history(h, rec)
  local key = h.prefix .. rec.kid
  redis.call('LPUSH', key, record_row(rec))
  redis.call('LTRIM', key, 0, h.per_task - 1)
  for _ = 1, 4 do
    local finished = finished_of(redis.call('LINDEX', key, -1))
    if not finished or finished * 1000 >= h.now_ms - h.max_age_ms then break end
    redis.call('RPOP', key)
  end
  redis.call('PEXPIRE', key, h.max_age_ms)
end

-- The summary into the runs stream: the same fields in the same order in every entry (empty where
-- none), so a stream node keeps their names once and each entry only its values; started in ms.
-- Returns the entry's id.
local function add_to_stream(h, summary)
  local values = {}
  for _, f in ipairs(SUMMARY_FIELDS) do
    local v = summary[f]
    if f == 'started' then f, v = 'started_ms', v and to_ms(v) end
    values[#values + 1] = f
    values[#values + 1] = v == nil and '' or v
  end
  -- A missed record's count and span: after the others, in its entry only.
  if summary.result == OUTCOME.missed then
    for _, f in ipairs(MISSED_FIELDS) do
      values[#values + 1] = f
      values[#values + 1] = summary[f] == nil and '' or summary[f]
    end
  end
  return redis.call('XADD', h.runs_key, 'MAXLEN', '~', h.max_runs, '*', unpack(values))
end

-- The task's failures in a row, for alerts: after a failure or a lost run that no retry follows,
-- how many there are now (>= 1); after a success, minus how many there were (0 when none); 0
-- otherwise (skipped; a failure to be retried).
local function count_streak(h, rec)
  local key = h.streak_prefix .. rec.kid
  if rec.result == OUTCOME.ok then
    local before = tonumber(redis.call('GET', key)) or 0
    if before > 0 then redis.call('DEL', key) end
    return -before
  elseif (rec.result == OUTCOME.failed or rec.result == OUTCOME.lost) and rec.retry_at == nil then
    local n = redis.call('INCR', key)
    -- A streak no run has added to for as long as the history keeps runs is forgotten.
    redis.call('PEXPIRE', key, math.max(h.max_age_ms, 1000))
    return n
  end
  return 0
end

-- Puts `rec` on record. Returns the task's failures in a row (count_streak) and the runs stream
-- entry's id (nil when the stream keeps none).
local function record_run(h, rec)
  local summary = {}
  for _, f in ipairs(SUMMARY_FIELDS) do summary[f] = rec[f] end
  if rec.result == OUTCOME.missed then
    for _, f in ipairs(MISSED_FIELDS) do summary[f] = rec[f] end
  end
  -- What started it and which attempt, only when not the usual (the schedule, a first attempt).
  if summary.trigger == TRIGGER.schedule then summary.trigger = nil end
  if summary.attempt == 1 then summary.attempt = nil end
  if h.per_task > 0 then keep_in_history(h, rec) end
  local id = h.max_runs > 0 and add_to_stream(h, summary) or nil
  redis.call('HSET', h.last_key, rec.kid, cjson.encode(summary))
  return count_streak(h, rec), id
end

-- Runs past the age leave the stream, once per script (approximate trimming is cheap). Ages are
-- taken from the stream's own ids (the server's clock when they were added): from the newest,
-- last_id (nil: none added).
local function trim_runs(h, last_id)
  local newest = last_id and tonumber(string.match(last_id, '^(%d+)'))
  if newest then
    redis.call('XTRIM', h.runs_key, 'MINID', '~', math.max(0, newest - h.max_age_ms))
  end
end
