-- finish: forget fires this daemon has started (used at shutdown; in normal running the same
-- is done by the next claim.lua).
-- KEYS[1] leases sorted set, KEYS[2] fires hash
-- ARGV[1] owner, ARGV[2..] fire ids
-- Returns how many records were removed.
local removed = 0
for i = 2, #ARGV do
  local raw = redis.call('HGET', KEYS[2], ARGV[i])
  local ok, fire = pcall(cjson.decode, raw or '')
  if raw and ok and type(fire) == 'table' and fire.owner == ARGV[1] then
    redis.call('HDEL', KEYS[2], ARGV[i])
    redis.call('ZREM', KEYS[1], ARGV[i])
    removed = removed + 1
  end
end
return removed
