-- add_many: store a batch of new tasks, all or none, within task_max_num; named tasks take their
-- names, which must be free (a name held by a kid no longer in the hash is). The caller sends
-- no name twice in one batch.
-- KEYS[1] pool hash, KEYS[2] schedule sorted set, KEYS[3] names hash (task name -> kid)
-- ARGV[1] task_max_num
-- ARGV[2..] quadruples: kid, task JSON, run_nexttime (unix seconds), name ('' for none)
-- Returns the number added, -1 when the batch would pass task_max_num, -2 when a kid exists, or
-- { i, kid, i, kid, ... }: the tasks of the batch (i from 1) whose name that kid holds; in each
-- case but the first, nothing is added.
local n = (#ARGV - 1) / 4
local taken = {}
for i = 2, #ARGV, 4 do
  local name = ARGV[i + 3]
  if name ~= '' then
    local holder = redis.call('HGET', KEYS[3], name)
    if holder and redis.call('HEXISTS', KEYS[1], holder) == 1 then
      taken[#taken + 1] = (i + 2) / 4
      taken[#taken + 1] = holder
    end
  end
end
if #taken > 0 then
  return taken
end
if redis.call('HLEN', KEYS[1]) + n > tonumber(ARGV[1]) then
  return -1
end
for i = 2, #ARGV, 4 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then
    return -2
  end
end
for i = 2, #ARGV, 4 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  redis.call('ZADD', KEYS[2], ARGV[i + 2], ARGV[i])
  if ARGV[i + 3] ~= '' then
    redis.call('HSET', KEYS[3], ARGV[i + 3], ARGV[i])
  end
end
return n
