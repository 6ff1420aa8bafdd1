-- begin: mark claimed fires as started, just before their command runs. Only the holder of the
-- newest lease (its token) may begin a fire, so a fire taken over after a lease ran out, or
-- claimed again after a failover undid a claim, is started once. Beginning again a fire with the
-- same token succeeds (a lost reply can be retried) and keeps its lease for keep_ms more: a
-- daemon waiting for replicas to confirm a begin begins again every ~2 s, and its fires must
-- not be taken for lost meanwhile.
-- KEYS[1] leases sorted set (fire id -> deadline, unix ms)
-- KEYS[2] fires hash (fire id -> fire JSON)
-- ARGV now_ms        now, unix ms
-- ARGV owner         the beginning daemon's id
-- ARGV keep_ms       how long a begun fire's lease lasts if its daemon never renews it
-- ARGV each fire_id  per fire: its id,
-- ARGV each token    and its lease token
-- Returns one integer per fire: 1 begun (run it), 0 lost (another lease holds it, or gone).
--#include include/generated.lua

local a = ARGS.begin()
local out = {}
for _, f in ipairs(a.each) do
  local raw = redis.call('HGET', KEYS[2], f.fire_id)
  local ok, fire = pcall(cjson.decode, raw or '')
  if raw and ok and type(fire) == 'table' and fire.owner == a.owner and fire.token == f.token then
    if fire.state ~= FIRE_STATE.started then
      fire.state = FIRE_STATE.started
      fire.started = a.now_ms
      redis.call('HSET', KEYS[2], f.fire_id, cjson.encode(fire))
    end
    local deadline = a.now_ms + a.keep_ms
    if (tonumber(redis.call('ZSCORE', KEYS[1], f.fire_id)) or 0) < deadline then
      redis.call('ZADD', KEYS[1], deadline, f.fire_id)
    end
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
