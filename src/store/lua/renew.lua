-- renew: a daemon's fires still running keep their lease, so that no claim records them lost.
-- KEYS[1] leases sorted set, KEYS[2] fires hash
-- ARGV[1] owner, ARGV[2] new deadline, unix ms
-- ARGV[3..] pairs: fire id, lease token
-- Returns how many leases were renewed.
local renewed = 0
for i = 3, #ARGV - 1, 2 do
  local ok, fire = pcall(cjson.decode, redis.call('HGET', KEYS[2], ARGV[i]) or '')
  if ok and type(fire) == 'table' and fire.owner == ARGV[1] and fire.token == ARGV[i + 1] then
    redis.call('ZADD', KEYS[1], 'XX', ARGV[2], ARGV[i])
    renewed = renewed + 1
  end
end
return renewed
