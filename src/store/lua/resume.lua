-- resume: put paused tasks back in the schedule with the next run the caller computed from now
-- (README "Pause and resume"), each only if it is still as the caller read it (compare-and-set):
-- an update or a pause in between wins, and the caller reads it again.
-- KEYS[1] pool hash (kid -> task JSON)
-- KEYS[2] schedule sorted set (kid -> run_nexttime, unix seconds)
-- KEYS[3] paused sorted set (kid -> 0)
-- ARGV[1..] quadruples: kid, task JSON as read, new task JSON, new run_nexttime (unix seconds)
-- Returns one code per kid, in order: 1 resumed, 0 no such task, -3 changed since it was read,
-- -4 not paused (nothing done).
local codes = {}
for i = 1, #ARGV, 4 do
  local kid = ARGV[i]
  local current = redis.call('HGET', KEYS[1], kid)
  if not current then
    redis.call('ZREM', KEYS[3], kid)
    codes[#codes + 1] = 0
  elseif current ~= ARGV[i + 1] then
    codes[#codes + 1] = -3
  elseif not redis.call('ZSCORE', KEYS[3], kid) then
    codes[#codes + 1] = -4
  else
    redis.call('HSET', KEYS[1], kid, ARGV[i + 2])
    redis.call('ZREM', KEYS[3], kid)
    redis.call('ZADD', KEYS[2], ARGV[i + 3], kid)
    codes[#codes + 1] = 1
  end
end
return codes
