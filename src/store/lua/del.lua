-- del: remove tasks from the hash and the schedule (or the paused set) together, and their last
-- run. Their history stays until it ages out (history_max_age), as a fired timer's does.
-- KEYS[1] pool hash, KEYS[2] schedule sorted set, KEYS[3] last-run hash, KEYS[4] paused sorted set
-- ARGV[1..n] kids
-- Returns how many tasks existed and were removed.
local removed = 0
for i = 1, #ARGV do
  removed = removed + redis.call('HDEL', KEYS[1], ARGV[i])
  redis.call('ZREM', KEYS[2], ARGV[i])
  redis.call('HDEL', KEYS[3], ARGV[i])
  redis.call('ZREM', KEYS[4], ARGV[i])
end
return removed
