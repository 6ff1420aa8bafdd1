-- update: replace a task if it still holds what the caller read (compare-and-set), so that a
-- daemon firing it meanwhile is not overwritten. A paused task stays paused (out of the
-- schedule). Its name goes with it (a new one must be free, the old one is freed). New labels
-- move it to their label set's schedule (include/placement.lua), in the same step.
-- KEYS[1] pool hash, KEYS[2] schedule sorted set, KEYS[3] paused sorted set
-- KEYS[4] names hash (task name -> kid)
-- KEYS[5] placement sorted set (include/placement.lua)
-- ARGV kid            the task
-- ARGV expected_json  its JSON as read by the caller
-- ARGV task_json      its new JSON
-- ARGV next_run_sec   its new run_nexttime, unix seconds
-- ARGV old_name       its name as read (in expected_json), '' for none
-- ARGV new_name       its new name, '' for none
-- ARGV old_group      its group as read, '' for none: it leaves that group's set of kids
-- ARGV new_group      its new group, '' for none: it joins that group's set,
-- ARGV group_prefix   which is this + group
-- Returns 1 updated, 0 no such task, -3 the task changed since it was read (read it again), or
-- the kid of another task that holds the new name (a string): nothing is changed.
--#include include/generated.lua
--#include include/placement.lua
--#include include/name-holder.lua

local a = ARGS.update()
local kid, old, new = a.kid, a.old_name, a.new_name
local current = redis.call('HGET', KEYS[1], kid)
if not current then
  return 0
end
if current ~= a.expected_json then
  return -3
end
if new ~= '' and new ~= old then
  local holder = name_holder(KEYS[1], KEYS[4], new)
  if holder and holder ~= kid then return holder end
end
redis.call('HSET', KEYS[1], kid, a.task_json)
local p = placement_of(KEYS[5], KEYS[2], nil)
reschedule(p, KEYS[3], kid, current, a.task_json, a.next_run_sec)
placed_done(p)
if old ~= '' and old ~= new and redis.call('HGET', KEYS[4], old) == kid then
  redis.call('HDEL', KEYS[4], old)
end
if new ~= '' then
  redis.call('HSET', KEYS[4], new, kid)
end
if a.old_group ~= '' and a.old_group ~= a.new_group then
  redis.call('SREM', a.group_prefix .. a.old_group, kid)
end
if a.new_group ~= '' then
  redis.call('SADD', a.group_prefix .. a.new_group, kid)
end
return 1
