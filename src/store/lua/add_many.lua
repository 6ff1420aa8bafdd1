-- add_many: store a batch of new tasks, all or none, within task_max_num; named tasks take their
-- names, which must be free (a name held by a kid no longer in the hash is). The caller sends
-- no name twice in one batch.
-- KEYS[1] pool hash, KEYS[2] schedule sorted set, KEYS[3] names hash (task name -> kid)
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

local a = ARGS.add_many()
local n = #a.each
local taken = {}
for i, t in ipairs(a.each) do
  if t.name ~= '' then
    local holder = redis.call('HGET', KEYS[3], t.name)
    if holder and redis.call('HEXISTS', KEYS[1], holder) == 1 then
      taken[#taken + 1] = i
      taken[#taken + 1] = holder
    end
  end
end
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
for _, t in ipairs(a.each) do
  redis.call('HSET', KEYS[1], t.kid, t.task_json)
  redis.call('ZADD', KEYS[2], t.next_run_sec, t.kid)
  if t.name ~= '' then
    redis.call('HSET', KEYS[3], t.name, t.kid)
  end
  if t.group ~= '' then
    redis.call('SADD', a.group_prefix .. t.group, t.kid)
  end
end
return n
