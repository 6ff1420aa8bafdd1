-- refill: give cron tasks the run times the daemon computed for them (or a new next run, for a
-- parked one), each only if the task is still as the daemon read it (compare-and-set): a claim
-- or an update in between wins, and the next claim asks again. A parked task's runs not fired
-- (its daemons were down past the run times it carried) go on record with the write, as one
-- `missed` run (include/run-record.lua; the claim records the other gaps, claim-missed.lua).
-- KEYS[1] pool hash (kid -> task JSON)
-- KEYS[2] schedule sorted set (kid -> run_nexttime, unix seconds)
-- KEYS[3] runs stream, KEYS[4] last-run hash (include/run-record.lua)
-- KEYS[5] outputBytes counter, KEYS[6] outputSwept stream id: the output budget
-- ARGV now_ms             now, unix ms (the refilling daemon's Redis clock)
-- ARGV owner              the refilling daemon's id (host:pid:tag): a missed record's host
-- ARGV history_prefix     each task's history list is this + kid,
-- ARGV per_task           with this many records at most,
-- ARGV max_age_ms         none older than this; the runs stream keeps
-- ARGV max_runs           this many runs
-- ARGV streak_prefix      each task's failures in a row are this + kid
-- ARGV ended_name_prefix  (not used here: the task holds its name)
-- ARGV output_prefix      each run's output is this + fire id (a missed run has none), and all
-- ARGV max_output         of them together at most this many bytes (include/run-record.lua)
-- ARGV each kid              per task: its kid,
-- ARGV each expected_json    its JSON as read,
-- ARGV each task_json        its new JSON,
-- ARGV each next_run_sec     its new run_nexttime (unix seconds),
-- ARGV each missed           how many runs it did not fire (none: no gap),
-- ARGV each missed_first_ms  the first of them and
-- ARGV each missed_last_ms   the last, unix ms,
-- ARGV each misfire          its misfire policy
-- Returns how many tasks were written.
--#include include/generated.lua
--#include include/run-record.lua

local a = ARGS.refill()
local h = {
  prefix = a.history_prefix, per_task = a.per_task, max_age_ms = a.max_age_ms, max_runs = a.max_runs,
  now_ms = math.floor(a.now_ms), runs_key = KEYS[3], last_key = KEYS[4], streak_prefix = a.streak_prefix,
  output_prefix = a.output_prefix, output_bytes_key = KEYS[5], output_swept_key = KEYS[6],
  max_output = a.max_output,
}
local written, last_id = 0, nil

-- Task t's gap on record (task: its new JSON, decoded).
local function record_gap(t)
  local ok, task = pcall(cjson.decode, t.task_json)
  if not ok or type(task) ~= 'table' then return end
  local fire = {
    id = missed_id_of(t.kid, t.missed_first_ms), kid = t.kid, type = task.type,
    kind = kind_of(tostring(task.command)), due = to_sec(t.missed_first_ms),
  }
  local rec = run_record(fire, { owner = a.owner, result = OUTCOME.missed, finished_ms = h.now_ms, error = 'misfire=' .. tostring(t.misfire) })
  rec.missed = t.missed
  rec.last_due = to_sec(t.missed_last_ms)
  local _, id = record_run(h, rec)
  last_id = id or last_id
end

for _, t in ipairs(a.each) do
  if redis.call('HGET', KEYS[1], t.kid) == t.expected_json then
    redis.call('HSET', KEYS[1], t.kid, t.task_json)
    redis.call('ZADD', KEYS[2], t.next_run_sec, t.kid)
    if t.missed and t.missed_first_ms and t.missed_last_ms then record_gap(t) end
    written = written + 1
  end
end
trim_runs(h, last_id)
return written
