-- add: store a new task in the hash and the schedule, atomically, within task_max_num.
-- KEYS[1] pool hash (kid -> task JSON)
-- KEYS[2] schedule sorted set (kid -> run_nexttime, unix seconds)
-- ARGV[1] kid
-- ARGV[2] task JSON
-- ARGV[3] run_nexttime, unix seconds (fractional)
-- ARGV[4] task_max_num
-- Returns 1 added, -1 the store is full, -2 the kid exists already.
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then
  return -1
end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return -2
end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
