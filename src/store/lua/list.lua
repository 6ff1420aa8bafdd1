-- list: one page of tasks whose next run lies in a window, in order of next run, with the
-- total in the window; one round trip.
-- KEYS[1] pool hash, KEYS[2] schedule sorted set
-- ARGV[1] window start (unix seconds or -inf), ARGV[2] window end (unix seconds or +inf)
-- ARGV[3] offset, ARGV[4] count
-- Returns { total, kid1, json1, kid2, json2, ... } (json is false for a kid missing from the hash).
local total = redis.call('ZCOUNT', KEYS[2], ARGV[1], ARGV[2])
local kids = redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[1], ARGV[2], 'LIMIT', ARGV[3], ARGV[4])
local out = { total }
if #kids > 0 then
  local values = redis.call('HMGET', KEYS[1], unpack(kids))
  for i = 1, #kids do
    out[#out + 1] = kids[i]
    out[#out + 1] = values[i]
  end
end
return out
