-- add: store a new task in the hash and the schedule, atomically, within task_max_num; a named
-- task also takes its name, which must be free (a name held by a kid no longer in the hash is).
-- A task with labels is scheduled in its label set's schedule (include/placement.lua).
-- KEYS[1] pool hash (kid -> task JSON)
-- KEYS[2] schedule sorted set (kid -> run_nexttime, unix seconds)
-- KEYS[3] names hash (task name -> kid)
-- KEYS[4] placement sorted set (label set -> its earliest time: include/placement.lua)
-- ARGV kid           the new task's kid,
-- ARGV task_json     its JSON,
-- ARGV next_run_sec  its run_nexttime, unix seconds (fractional): its score
-- ARGV name          its name, '' for none
-- ARGV group         its group, '' for none: it joins the group's set of kids,
-- ARGV group_prefix  which is this + group
-- ARGV max_tasks     task_max_num
-- Returns 1 added, -1 the store is full, -2 the kid exists already, or the kid of the task that
-- holds the name (a string): nothing is added.
--#include include/generated.lua
--#include include/placement.lua
--#include include/name-holder.lua

local a = ARGS.add()
local name = a.name
if name ~= '' then
  local holder = name_holder(KEYS[1], KEYS[3], name)
  if holder then return holder end
end
if redis.call('HLEN', KEYS[1]) >= a.max_tasks then
  return -1
end
if redis.call('HSETNX', KEYS[1], a.kid, a.task_json) == 0 then
  return -2
end
local p = placement_of(KEYS[4], KEYS[2], nil)
schedule_in(p, label_set_of_raw(a.task_json), a.next_run_sec, a.kid)
placed_done(p)
if name ~= '' then
  redis.call('HSET', KEYS[3], name, a.kid)
end
if a.group ~= '' then
  redis.call('SADD', a.group_prefix .. a.group, a.kid)
end
return 1
