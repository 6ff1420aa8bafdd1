-- pause: move tasks from the schedule to the paused set, marking each paused in its JSON, so
-- that no claim ever sees them (whatever the version of the daemon claiming) while they keep
-- their kid, fields and run state. A task paused already is left as it is. A task with labels
-- leaves its label set's schedule (include/placement.lua).
-- KEYS[1] pool hash (kid -> task JSON)
-- KEYS[2] schedule sorted set (kid -> run_nexttime, unix seconds)
-- KEYS[3] paused sorted set (kid -> 0, so ordered by kid)
-- KEYS[4] queued hash, KEYS[5] retrying hash, KEYS[6] leases sorted set, KEYS[7] fires hash:
--         a run waiting for its turn (overlap=queue) or for its retry is dropped (it would fire)
-- KEYS[8] placement sorted set (include/placement.lua)
-- ARGV now_sec   now, unix seconds (fractional): the paused-since time stored in the JSON
-- ARGV each kid  the tasks to pause
-- Returns one code per kid, in order: 1 paused, 0 no such task, -4 paused already.
--#include include/generated.lua
--#include include/placement.lua
--#include include/cancel-waiting.lua

local a = ARGS.pause()
local p = placement_of(KEYS[8], KEYS[2], KEYS[6])
local waiting = { queued_key = KEYS[4], retrying_key = KEYS[5], fires_key = KEYS[7], placement = p }
local now = a.now_sec
local codes = {}
for _, item in ipairs(a.each) do
  local kid = item.kid
  local raw = redis.call('HGET', KEYS[1], kid)
  -- A schedule entry without its task is stale: the claim would drop it too.
  redis.call('ZREM', KEYS[2], kid)
  local set = label_set_of_raw(raw)
  if set ~= '' then unschedule_from(p, set, kid) end
  if not raw then
    redis.call('ZREM', KEYS[3], kid)
    codes[#codes + 1] = 0
  else
    local already = redis.call('ZSCORE', KEYS[3], kid)
    local ok, task = pcall(cjson.decode, raw)
    -- Data that is not a task is paused as it is: it never fires either way, and del removes it.
    -- A paused task whose JSON lost its mark (an older ktimer's update wrote it) gets it back.
    if ok and type(task) == 'table' and not (already and task.paused) then
      task.paused = now
      -- cjson would write an empty list as {}: none is stored instead.
      if type(task.runs) == 'table' and #task.runs == 0 then task.runs = nil end
      redis.call('HSET', KEYS[1], kid, cjson.encode(task))
    end
    cancel_waiting(waiting, kid)
    if already then
      codes[#codes + 1] = -4
    else
      redis.call('ZADD', KEYS[3], 0, kid)
      codes[#codes + 1] = 1
    end
  end
end
placed_done(p)
return codes
