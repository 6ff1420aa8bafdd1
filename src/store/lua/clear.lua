-- clear: remove every task (hash, schedule, the label sets' schedules and paused set together:
-- include/placement.lua), every task's last run and every name. The history stays until it ages
-- out (history_max_age), and so does each name's record of its kid, for history by name
-- (include/ended-name.lua). Runs waiting to be handed out (queued, overlap=queue; retries not yet
-- taken) are dropped with their tasks, as del does, and the kid of every fire claimed or under
-- way is marked as del marks it, so that none of their runs is retried (a fired timer's run under
-- way too; finish.lua).
-- KEYS[1] pool hash, KEYS[2] schedule sorted set, KEYS[3] last-run hash, KEYS[4] paused sorted set
-- KEYS[5] names hash (task name -> kid)
-- KEYS[6] queued hash, KEYS[7] retrying hash, KEYS[8] leases sorted set, KEYS[9] fires hash
-- KEYS[10] placement sorted set (include/placement.lua)
-- ARGV ended_name_prefix  a name's record is this + name,
-- ARGV keep_ms            kept this long, ms (history_max_age), as is a no-retry mark,
-- ARGV no_retry_prefix    this + kid
-- Returns how many tasks were removed.
--#include include/generated.lua
--#include include/placement.lua
--#include include/cancel-waiting.lua
--#include include/ended-name.lua

local a = ARGS.clear()
local p = placement_of(KEYS[10], KEYS[2], KEYS[8])
local waiting = { queued_key = KEYS[6], retrying_key = KEYS[7], fires_key = KEYS[9], placement = p }
local ended = { prefix = a.ended_name_prefix, keep_ms = a.keep_ms, no_retry_prefix = a.no_retry_prefix }
local n = redis.call('HLEN', KEYS[1])
for _, kid in ipairs(redis.call('HKEYS', KEYS[7])) do cancel_waiting(waiting, kid) end
for _, id in ipairs(redis.call('HKEYS', KEYS[9])) do
  local kid = kid_of_fire_id(id)
  if kid then mark_no_retry(ended, kid) end
end
-- Every name in the hash is its task's (a name whose kid has left already was its last holder).
local named = redis.call('HGETALL', KEYS[5])
for i = 1, #named, 2 do name_ended(ended, named[i], named[i + 1]) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
-- The label sets' schedules; their runs by hand not yet taken stay, as in the leases.
for _, set in ipairs(redis.call('ZRANGE', KEYS[10], 0, -1)) do
  redis.call('DEL', schedule_key(p, set))
  p.touched[set] = true
end
placed_done(p)
return n
