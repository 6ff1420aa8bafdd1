-- add_many: store a batch of new tasks, all or none, within task_max_num.
-- KEYS[1] pool hash, KEYS[2] schedule sorted set
-- ARGV[1] task_max_num
-- ARGV[2..] triples: kid, task JSON, run_nexttime (unix seconds)
-- Returns the number added, -1 when the batch would pass task_max_num, -2 when a kid exists.
local n = (#ARGV - 1) / 3
if redis.call('HLEN', KEYS[1]) + n > tonumber(ARGV[1]) then
  return -1
end
for i = 2, #ARGV, 3 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then
    return -2
  end
end
for i = 2, #ARGV, 3 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  redis.call('ZADD', KEYS[2], ARGV[i + 2], ARGV[i])
end
return n
