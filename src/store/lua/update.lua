-- update: replace a task if it still holds what the caller read (compare-and-set), so that a
-- daemon firing it meanwhile is not overwritten. A paused task stays paused (out of the
-- schedule). Its name goes with it (a new one must be free, the old one is freed).
-- KEYS[1] pool hash, KEYS[2] schedule sorted set, KEYS[3] paused sorted set
-- KEYS[4] names hash (task name -> kid)
-- ARGV[1] kid
-- ARGV[2] task JSON as read by the caller
-- ARGV[3] new task JSON
-- ARGV[4] new run_nexttime, unix seconds
-- ARGV[5] its name as read (in ARGV[2]), '' for none
-- ARGV[6] its new name, '' for none
-- Returns 1 updated, 0 no such task, -3 the task changed since it was read (read it again), or
-- the kid of another task that holds the new name (a string): nothing is changed.
local kid, old, new = ARGV[1], ARGV[5], ARGV[6]
local current = redis.call('HGET', KEYS[1], kid)
if not current then
  return 0
end
if current ~= ARGV[2] then
  return -3
end
if new ~= '' and new ~= old then
  local holder = redis.call('HGET', KEYS[4], new)
  if holder and holder ~= kid and redis.call('HEXISTS', KEYS[1], holder) == 1 then
    return holder
  end
end
redis.call('HSET', KEYS[1], kid, ARGV[3])
if not redis.call('ZSCORE', KEYS[3], kid) then
  redis.call('ZADD', KEYS[2], ARGV[4], kid)
end
if old ~= '' and old ~= new and redis.call('HGET', KEYS[4], old) == kid then
  redis.call('HDEL', KEYS[4], old)
end
if new ~= '' then
  redis.call('HSET', KEYS[4], new, kid)
end
return 1
