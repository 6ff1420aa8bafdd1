-- begin: mark claimed fires as started, just before their command runs. Only the holder of the
-- newest lease (its token) may begin a fire, so a fire taken over after a lease ran out, or
-- claimed again after a failover undid a claim, is started once. Beginning again a fire with the
-- same token succeeds (a lost reply can be retried) and keeps its lease for ARGV[3] more: a
-- daemon waiting for replicas to confirm a begin begins again every ~2 s, and its fires must
-- not be taken for lost meanwhile.
-- KEYS[1] leases sorted set (fire id -> deadline, unix ms)
-- KEYS[2] fires hash (fire id -> fire JSON)
-- ARGV[1] now, unix ms
-- ARGV[2] owner
-- ARGV[3] how long a begun record is kept if its daemon never reports it done, ms
-- ARGV[4..] pairs: fire id, lease token
-- Returns one integer per pair: 1 begun (run it), 0 lost (another lease holds it, or gone).
local now_ms = tonumber(ARGV[1])
local out = {}
for i = 4, #ARGV - 1, 2 do
  local raw = redis.call('HGET', KEYS[2], ARGV[i])
  local ok, fire = pcall(cjson.decode, raw or '')
  if raw and ok and type(fire) == 'table' and fire.owner == ARGV[2] and fire.token == ARGV[i + 1] then
    if fire.state ~= 'started' then
      fire.state = 'started'
      fire.started = now_ms
      redis.call('HSET', KEYS[2], ARGV[i], cjson.encode(fire))
    end
    local deadline = now_ms + tonumber(ARGV[3])
    if (tonumber(redis.call('ZSCORE', KEYS[1], ARGV[i])) or 0) < deadline then
      redis.call('ZADD', KEYS[1], deadline, ARGV[i])
    end
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
