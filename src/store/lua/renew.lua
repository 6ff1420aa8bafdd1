-- renew: a daemon's fires still running keep their lease, so that no claim records them lost.
-- KEYS[1] leases sorted set, KEYS[2] fires hash
-- ARGV owner        the renewing daemon's id
-- ARGV deadline_ms  the leases' new deadline, unix ms
-- ARGV each fire_id per fire: its id,
-- ARGV each token   and its lease token
-- Returns how many leases were renewed.
--#include include/generated.lua

local a = ARGS.renew()
local renewed = 0
for _, f in ipairs(a.each) do
  local ok, fire = pcall(cjson.decode, redis.call('HGET', KEYS[2], f.fire_id) or '')
  if ok and type(fire) == 'table' and fire.owner == a.owner and fire.token == f.token then
    redis.call('ZADD', KEYS[1], 'XX', a.deadline_ms, f.fire_id)
    renewed = renewed + 1
  end
end
return renewed
