-- add_many: store a batch of new tasks, all or none, within task_max_num; named tasks take their
-- names, which must be free (a name held by a kid no longer in the hash is). The caller sends
-- no name twice in one batch. Tasks with labels go to their label set's schedule.
-- KEYS[1] pool hash, KEYS[2] schedule sorted set, KEYS[3] names hash (task name -> kid)
-- KEYS[4] placement sorted set (include/placement.lua)
-- ARGV max_tasks          task_max_num
-- ARGV group_prefix       a group's set of kids is this + group
-- ARGV each kid           per task: its kid,
-- ARGV each task_json     its JSON,
-- ARGV each next_run_sec  its run_nexttime, unix seconds (its score),
-- ARGV each name          its name ('' for none),
-- ARGV each group         its group ('' for none): it joins that group's set
-- Returns the number added, -1 when the batch would pass task_max_num, -2 when a kid exists, or
-- { i, kid, i, kid, ... }: the tasks of the batch (i from 1) whose name that kid holds; in each
-- case but the first, nothing is added.
--#include include/generated.lua
--#include include/placement.lua
--#include include/name-holder.lua

local a = ARGS.add_many()
local n = #a.each
local taken = names_taken(KEYS[1], KEYS[3], a.each, function(t) return t.name ~= '' and t.name or nil end)
if #taken > 0 then
  return taken
end
if redis.call('HLEN', KEYS[1]) + n > a.max_tasks then
  return -1
end
for _, t in ipairs(a.each) do
  if redis.call('HEXISTS', KEYS[1], t.kid) == 1 then
    return -2
  end
end
local p = placement_of(KEYS[4], KEYS[2], nil)
for _, t in ipairs(a.each) do
  redis.call('HSET', KEYS[1], t.kid, t.task_json)
  schedule_in(p, label_set_of_raw(t.task_json), t.next_run_sec, t.kid)
  if t.name ~= '' then
    redis.call('HSET', KEYS[3], t.name, t.kid)
  end
  if t.group ~= '' then
    redis.call('SADD', a.group_prefix .. t.group, t.kid)
  end
end
placed_done(p)
return n
