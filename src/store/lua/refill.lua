-- refill: give cron tasks the run times the daemon computed for them (or a new next run, for a
-- parked one), each only if the task is still as the daemon read it (compare-and-set): a claim
-- or an update in between wins, and the next claim asks again. A task with labels is in its
-- label set's schedule (include/placement.lua).
-- KEYS[1] pool hash (kid -> task JSON)
-- KEYS[2] schedule sorted set (kid -> run_nexttime, unix seconds)
-- KEYS[3] placement sorted set (include/placement.lua)
-- ARGV each kid            per task: its kid,
-- ARGV each expected_json  its JSON as read,
-- ARGV each task_json      its new JSON,
-- ARGV each next_run_sec   its new run_nexttime (unix seconds)
-- Returns how many tasks were written.
--#include include/generated.lua
--#include include/placement.lua

local p = placement_of(KEYS[3], KEYS[2], nil)
local written = 0
for _, t in ipairs(ARGS.refill().each) do
  if redis.call('HGET', KEYS[1], t.kid) == t.expected_json then
    redis.call('HSET', KEYS[1], t.kid, t.task_json)
    schedule_in(p, label_set_of_raw(t.task_json), t.next_run_sec, t.kid)
    written = written + 1
  end
end
placed_done(p)
return written
