-- update: replace a task if it still holds what the caller read (compare-and-set), so that a
-- daemon firing it meanwhile is not overwritten. A paused task stays paused (out of the schedule).
-- KEYS[1] pool hash, KEYS[2] schedule sorted set, KEYS[3] paused sorted set
-- ARGV[1] kid
-- ARGV[2] task JSON as read by the caller
-- ARGV[3] new task JSON
-- ARGV[4] new run_nexttime, unix seconds
-- Returns 1 updated, 0 no such task, -3 the task changed since it was read (read it again).
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then
  return 0
end
if current ~= ARGV[2] then
  return -3
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
if not redis.call('ZSCORE', KEYS[3], ARGV[1]) then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
end
return 1
