-- finish: put finished fires on record (history, runs stream, last run: include/record-run.lua),
-- then forget their lease. Only the holder of a fire's newest lease records it, and only once:
-- a retried finish (a lost reply) finds nothing left to do.
-- KEYS[1] leases sorted set, KEYS[2] fires hash, KEYS[3] runs stream, KEYS[4] last hash
-- ARGV[1] owner, ARGV[2] now, unix ms
-- ARGV[3] history list key prefix (+ kid), ARGV[4] records per task, ARGV[5] max age, ms,
-- ARGV[6] runs kept in the stream
-- ARGV[7..] triples: fire id, lease token, run record JSON
-- Returns one integer per triple: 1 recorded, 0 not this owner's (taken over, or recorded lost).
local HISTORY = {
  prefix = ARGV[3], per_task = tonumber(ARGV[4]), max_age_ms = tonumber(ARGV[5]),
  max_runs = tonumber(ARGV[6]), now_ms = tonumber(ARGV[2]), runs_key = KEYS[3], last_key = KEYS[4],
}
--#include include/record-run.lua
local out = {}
for i = 7, #ARGV - 2, 3 do
  local id = ARGV[i]
  local ok, fire = pcall(cjson.decode, redis.call('HGET', KEYS[2], id) or '')
  if ok and type(fire) == 'table' and fire.owner == ARGV[1] and fire.token == ARGV[i + 1] then
    record_run(cjson.decode(ARGV[i + 2]))
    redis.call('HDEL', KEYS[2], id)
    redis.call('ZREM', KEYS[1], id)
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
trim_runs()
return out
