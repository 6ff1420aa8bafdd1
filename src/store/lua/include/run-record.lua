-- run-record (included by claim.lua and finish.lua; src/runs/record.ts says what a record is): a
-- run on record. run_record builds a record, the one place one is built: from its fire as the
-- fires hash holds it and how its run ended (a run finish.lua does not retry comes with its row
-- made by the daemon, the same bytes as record_row's: src/store/run-record.ts encodeRunRow). record_run puts it on record: into its task's history
-- list (newest first, at most h.per_task, none older than h.max_age_ms), its output apart from it
-- (a string h.output_prefix .. fire_id: stdout then stderr, the record saying the bytes of each),
-- the same row into the runs stream and as the task's last run. trim_runs bounds it all
-- across the fleet, once per script (issue 27 L5, docs/logs-and-history.md "How much is kept").
-- Arguments only, no globals: h = { prefix, per_task, max_age_ms, max_runs, now_ms, runs_key,
-- last_key, streak_prefix, output_prefix, output_bytes_key, output_swept_key, max_output }.

-- The record of `fire`'s run. e = { owner (whose run: its host and pid), result, finished_ms, and
-- where known: started_ms, lateness_ms, duration_ms, exit_code, signal, http_status, timed_out,
-- error, stdout, stderr, retry_ms (when its retry is due) }. Its stdout and stderr are not fields
-- of the row: record_run keeps them apart, and the row's `output` says their bytes.
local function run_record(fire, e)
  local host, pid = host_pid_of(e.owner)
  return {
    fire_id = fire.id, kid = fire.kid, type = fire.type, kind = fire.kind, due = fire.due,
    started = e.started_ms and to_sec(e.started_ms), finished = to_sec(e.finished_ms),
    lateness_ms = e.lateness_ms, duration_ms = e.duration_ms, result = e.result,
    exit_code = e.exit_code, signal = e.signal, http_status = e.http_status, timed_out = e.timed_out,
    error = e.error, stdout = e.stdout or '', stderr = e.stderr or '', host = host, pid = pid,
    trigger = fire.trigger or TRIGGER.schedule, attempt = fire.attempt or 1,
    retry_at = e.retry_ms and to_sec(e.retry_ms),
  }
end

-- A record as a history row, the one encoding of a record (the runs stream, the task's last run
-- and claim's and finish's replies carry it too): a JSON array of RECORD_FIELDS by position,
-- absent fields null and the trailing ones left off; so are those read back from the others
-- (src/store/run-record.ts decodeRunRecord): the kid (in fire_id), ok (result is ok), trigger
-- schedule and attempt 1. The names were a third of a record's bytes, kept for every run; type and
-- kind are their codes (ROW_CODES). Encoded once, the one cjson.encode of a run (rec is not changed
-- once on record).
local function record_row(rec)
  if rec.row then return rec.row end
  local row, last = null_row(cjson.null), 0
  for i, f in ipairs(RECORD_FIELDS) do
    local v = rec[f]
    if ROW_CODES[f] then v = ROW_CODES[f][v] end
    if (f == 'trigger' and v == TRIGGER.schedule) or (f == 'attempt' and v == 1) or v == '' then v = nil end
    if v ~= nil then last = i; row[i] = v end
  end
  for i = #RECORD_FIELDS, last + 1, -1 do row[i] = nil end
  rec.row = cjson.encode(row)
  return rec.row
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

-- The fire id a row starts with (nil: an object, as ktimer 2.0 stored, with no output apart). A
-- row in task `kid`'s history list starts with its fire id less the kid (`:run`; the list's key
-- names the kid, 32 bytes a run fewer); one of ktimer 4.2 and before, and elsewhere, with all of it.
local function fire_id_of_row(raw, kid)
  local id = raw and string.match(raw, '^%["([^"]+)"')
  if kid and id and string.byte(id, 1) == 58 then return kid .. id end
  return id
end

-- rec's row as its task's history list keeps it: its fire id less the kid (fire_id_of_row).
local function history_row(rec)
  local row = record_row(rec)
  if string.sub(rec.fire_id, 1, #rec.kid + 1) ~= rec.kid .. ':' then return row end
  return '["' .. string.sub(row, #rec.kid + 3)
end

-- The fleet's count of output bytes. A script's changes to it are added up (count_output) and sent
-- in one INCRBY when the count is next wanted (drop_oldest_outputs, at the end of trim_runs, which
-- every script that puts runs on record calls), whose reply is the count; else it is read once.
local function output_bytes(h)
  if h.output_delta then
    h.output_bytes = redis.call('INCRBY', h.output_bytes_key, h.output_delta)
    h.output_delta = nil
  elseif h.output_bytes == nil then
    h.output_bytes = tonumber(redis.call('GET', h.output_bytes_key)) or 0
  end
  return h.output_bytes
end

local function count_output(h, bytes)
  h.output_delta = (h.output_delta or 0) + bytes
end

-- The output of `fire_id` leaves (when kept), and the fleet's count of output bytes with it.
local function drop_output(h, fire_id)
  if not fire_id then return end
  local key = h.output_prefix .. fire_id
  local n = redis.call('STRLEN', key)
  if n > 0 then
    redis.call('DEL', key)
    count_output(h, -n)
  end
end

-- Whether outputs are kept: they need a history to be read from and the stream to be bounded by.
local function keeps_output(h)
  return h.max_output > 0 and h.per_task > 0 and h.max_runs > 0
end

-- rec's stdout and stderr, kept apart from its row: one string, stdout then stderr; the row's
-- output field says the bytes of each ({ stdout, stderr }). Nothing printed: nothing kept.
local function keep_output(h, rec)
  local bytes = #rec.stdout + #rec.stderr
  if bytes == 0 or not keeps_output(h) then return end
  -- An output kept before under this fire id (a run again: rare) is replaced, its bytes counted
  -- off: SET's GET says it in the one command (STRLEN before SET was a second, at every run).
  local was = redis.call('SET', h.output_prefix .. rec.fire_id, rec.stdout .. rec.stderr, 'GET')
  count_output(h, was and bytes - #was or bytes)
  rec.output = { #rec.stdout, #rec.stderr }
end

-- The record into its task's history list; rows past per_task, and a few past the age from the
-- old end (the next runs take the rest), leave with their outputs.
local function keep_in_history(h, rec)
  local key = h.prefix .. rec.kid
  -- Nothing past per_task (most lists, until a task has run that often): nothing to cut.
  local n = redis.call('LPUSH', key, history_row(rec))
  if n > h.per_task then
    for _, raw in ipairs(redis.call('LRANGE', key, h.per_task, h.per_task + 3)) do
      drop_output(h, fire_id_of_row(raw, rec.kid))
    end
    redis.call('LTRIM', key, 0, h.per_task - 1)
  end
  -- A list of one holds only this row, on record now: none is past the age (a timer's history).
  for _ = 1, n > 1 and 4 or 0 do
    local raw = redis.call('LINDEX', key, -1)
    local finished = finished_of(raw)
    if not finished or finished * 1000 >= h.now_ms - h.max_age_ms then break end
    redis.call('RPOP', key)
    drop_output(h, fire_id_of_row(raw, rec.kid))
  end
  redis.call('PEXPIRE', key, h.max_age_ms)
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

-- Puts `rec` on record: its row, the one encoding of a record, is its history's, its runs stream
-- entry's (one field, `row`) and its task's last run. Returns the task's failures in a row
-- (count_streak) and the runs stream entry's id (nil when the stream keeps none).
local function record_run(h, rec)
  keep_output(h, rec)
  local row = record_row(rec)
  if h.per_task > 0 then keep_in_history(h, rec) end
  -- Trimmed by trim_runs, exactly: approximate trimming would not say which runs left.
  local id = h.max_runs > 0 and redis.call('XADD', h.runs_key, '*', 'row', row) or nil
  redis.call('HSET', h.last_key, rec.kid, row)
  h.added = (h.added or 0) + 1
  return count_streak(h, rec), id
end

-- The fire id of a runs stream entry: its row's; an entry of ktimer 4.2 and before holds the
-- summary's fields, fire_id first (nil: an entry of ktimer 1.2, a JSON summary).
local function fire_id_of_entry(entry)
  local fields = entry[2]
  if fields[1] == 'row' then return fire_id_of_row(fields[2]) end
  return fields[1] == 'fire_id' and fields[2] or nil
end

-- The oldest run on record leaves: its stream entry, its record (its task's oldest, unless trimmed
-- from there already) and its output.
local function drop_oldest_run(h, entry)
  local fire_id = fire_id_of_entry(entry)
  if fire_id then
    local kid = kid_of_fire_id(fire_id) or ''
    local key = h.prefix .. kid
    if fire_id_of_row(redis.call('LINDEX', key, -1), kid) == fire_id then redis.call('RPOP', key) end
    drop_output(h, fire_id)
  end
  redis.call('XDEL', h.runs_key, entry[1])
end

-- Past max_output bytes of output, the oldest outputs go, their records stay (a record whose output
-- is gone reads as dropped: store/history-store.ts). A cursor walks the stream from the oldest run
-- whose output it has not dropped yet; at most 200 runs a script. A walk that reaches the newest
-- run with the count still over has dropped every output the stream knows of: the count restarts.
local function drop_oldest_outputs(h)
  for _ = 1, 10 do
    if output_bytes(h) <= h.max_output then return end
    local from = redis.call('GET', h.output_swept_key)
    local entries = redis.call('XRANGE', h.runs_key, from and ('(' .. from) or '-', '+', 'COUNT', 20)
    if #entries == 0 then
      redis.call('DEL', h.output_bytes_key)
      h.output_bytes, h.output_delta = 0, nil
      return
    end
    for _, entry in ipairs(entries) do
      drop_output(h, fire_id_of_entry(entry))
      redis.call('SET', h.output_swept_key, entry[1])
      if output_bytes(h) <= h.max_output then return end
    end
  end
end

-- The history's bound across the fleet, once per script that put runs on record (h.added): the
-- runs stream holds every run in the order it went on record, so its oldest entries are the
-- fleet's oldest runs. Past max_runs, or older than max_age, they leave (drop_oldest_run), as many
-- as were added and 4 more; then the output budget (drop_oldest_outputs). Ages are taken from the
-- stream's own ids (the server's clock when they were added), from the newest, last_id (nil: none
-- added by this script).
local function trim_runs(h, last_id)
  if not h.added then return end
  local newest = last_id or (redis.call('XREVRANGE', h.runs_key, '+', '-', 'COUNT', 1)[1] or {})[1]
  local min_ms = (tonumber(string.match(newest or '', '^(%d+)')) or 0) - h.max_age_ms
  for _ = 1, h.added + 4 do
    local head = redis.call('XRANGE', h.runs_key, '-', '+', 'COUNT', 1)[1]
    if not head then break end
    local head_ms = tonumber(string.match(head[1], '^(%d+)')) or 0
    if head_ms >= min_ms and redis.call('XLEN', h.runs_key) <= h.max_runs then break end
    drop_oldest_run(h, head)
  end
  drop_oldest_outputs(h)
end
