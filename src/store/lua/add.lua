-- add: store a new task in the hash and the schedule, atomically, within task_max_num; a named
-- task also takes its name, which must be free (a name held by a kid no longer in the hash is).
-- KEYS[1] pool hash (kid -> task JSON)
-- KEYS[2] schedule sorted set (kid -> run_nexttime, unix seconds)
-- KEYS[3] names hash (task name -> kid)
-- ARGV[1] kid
-- ARGV[2] task JSON
-- ARGV[3] run_nexttime, unix seconds (fractional)
-- ARGV[4] task_max_num
-- ARGV[5] the task's name, '' for none
-- Returns 1 added, -1 the store is full, -2 the kid exists already, or the kid of the task that
-- holds the name (a string): nothing is added.
local name = ARGV[5]
if name ~= '' then
  local holder = redis.call('HGET', KEYS[3], name)
  if holder and redis.call('HEXISTS', KEYS[1], holder) == 1 then
    return holder
  end
end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then
  return -1
end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return -2
end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
if name ~= '' then
  redis.call('HSET', KEYS[3], name, ARGV[1])
end
return 1
