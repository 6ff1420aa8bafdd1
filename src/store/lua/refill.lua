-- refill: give cron tasks the run times the daemon computed for them (or a new next run, for a
-- parked one), each only if the task is still as the daemon read it (compare-and-set): a claim
-- or an update in between wins, and the next claim asks again.
-- KEYS[1] pool hash (kid -> task JSON)
-- KEYS[2] schedule sorted set (kid -> run_nexttime, unix seconds)
-- ARGV[1..] quadruples: kid, task JSON as read, new task JSON, new run_nexttime (unix seconds)
-- Returns how many tasks were written.
local written = 0
for i = 1, #ARGV, 4 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
    redis.call('ZADD', KEYS[2], ARGV[i + 3], ARGV[i])
    written = written + 1
  end
end
return written
