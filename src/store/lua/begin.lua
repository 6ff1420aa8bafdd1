-- begin: mark claimed fires as started, just before their command runs. Only the daemon that
-- holds the lease may begin a fire, so a fire taken over after a lease ran out is started once.
-- Beginning again a fire this owner already began succeeds (a lost reply can be retried).
-- KEYS[1] leases sorted set (fire id -> deadline, unix ms)
-- KEYS[2] fires hash (fire id -> fire JSON)
-- ARGV[1] now, unix ms
-- ARGV[2] owner
-- ARGV[3] how long a begun record is kept if its daemon never reports it done, ms
-- ARGV[4..] fire ids
-- Returns one integer per fire id: 1 begun (run it), 0 lost (another daemon holds it, or gone).
local now_ms = tonumber(ARGV[1])
local out = {}
for i = 4, #ARGV do
  local raw = redis.call('HGET', KEYS[2], ARGV[i])
  local ok, fire = pcall(cjson.decode, raw or '')
  if raw and ok and type(fire) == 'table' and fire.owner == ARGV[2] then
    if fire.state ~= 'started' then
      fire.state = 'started'
      fire.started = now_ms
      redis.call('HSET', KEYS[2], ARGV[i], cjson.encode(fire))
      redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[3]), ARGV[i])
    end
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
