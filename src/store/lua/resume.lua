-- resume: put paused tasks back in the schedule with the next run the caller computed from now
-- (docs/steering.md), each only if it is still as the caller read it (compare-and-set):
-- an update or a pause in between wins, and the caller reads it again. A task with labels goes
-- back to its label set's schedule (include/placement.lua).
-- KEYS[1] pool hash (kid -> task JSON)
-- KEYS[2] schedule sorted set (kid -> run_nexttime, unix seconds)
-- KEYS[3] paused sorted set (kid -> 0)
-- KEYS[4] placement sorted set (include/placement.lua)
-- ARGV each kid            per task: its kid,
-- ARGV each expected_json  its JSON as read,
-- ARGV each task_json      its new JSON,
-- ARGV each next_run_sec   its new run_nexttime (unix seconds)
-- Returns one code per kid, in order: 1 resumed, 0 no such task, -3 changed since it was read,
-- -4 not paused (nothing done).
--#include include/generated.lua
--#include include/placement.lua

local p = placement_of(KEYS[4], KEYS[2], nil)
local codes = {}
for _, t in ipairs(ARGS.resume().each) do
  local kid = t.kid
  local current = redis.call('HGET', KEYS[1], kid)
  if not current then
    redis.call('ZREM', KEYS[3], kid)
    codes[#codes + 1] = 0
  elseif current ~= t.expected_json then
    codes[#codes + 1] = -3
  elseif not redis.call('ZSCORE', KEYS[3], kid) then
    codes[#codes + 1] = -4
  else
    redis.call('HSET', KEYS[1], kid, t.task_json)
    redis.call('ZREM', KEYS[3], kid)
    schedule_in(p, label_set_of_raw(t.task_json), t.next_run_sec, kid)
    codes[#codes + 1] = 1
  end
end
placed_done(p)
return codes
