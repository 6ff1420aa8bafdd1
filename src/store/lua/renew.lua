-- renew: a daemon's fires still running keep their lease, so that no claim records them lost.
-- KEYS[1] leases sorted set, KEYS[2] fires hash
-- ARGV owner        the renewing daemon's id
-- ARGV deadline_ms  the leases' new deadline, unix ms
-- ARGV each fire_id per fire: its id,
-- ARGV each token   and its lease token
-- Returns one flag per fire: 1 renewed, 0 not this daemon's any more (recorded lost, or its
-- lease taken over): its daemon stops it rather than run it beside what replaced it.
--#include include/generated.lua

local a = ARGS.renew()
local renewed = {}
for i, f in ipairs(a.each) do
  renewed[i] = 0
  local ok, fire = pcall(cjson.decode, redis.call('HGET', KEYS[2], f.fire_id) or '')
  if ok and type(fire) == 'table' and fire.owner == a.owner and fire.token == f.token then
    redis.call('ZADD', KEYS[1], 'XX', a.deadline_ms, f.fire_id)
    renewed[i] = 1
  end
end
return renewed
