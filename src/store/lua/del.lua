-- del: remove tasks from the hash and the schedule together.
-- KEYS[1] pool hash, KEYS[2] schedule sorted set
-- ARGV[1..n] kids
-- Returns how many tasks existed and were removed.
local removed = 0
for i = 1, #ARGV do
  removed = removed + redis.call('HDEL', KEYS[1], ARGV[i])
  redis.call('ZREM', KEYS[2], ARGV[i])
end
return removed
