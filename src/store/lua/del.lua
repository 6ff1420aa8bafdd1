-- del: remove tasks from the hash and the schedule (or the paused set) together, and their last
-- run and name (a task with labels leaves its label set's schedule: include/placement.lua).
-- Their history stays until it ages out (history_max_age), as a fired timer's does,
-- and so does a freed name's record of its kid, for history by name (include/ended-name.lua).
-- KEYS[1] pool hash, KEYS[2] schedule sorted set, KEYS[3] last-run hash, KEYS[4] paused sorted set
-- KEYS[5] names hash (task name -> kid)
-- KEYS[6] queued hash, KEYS[7] retrying hash, KEYS[8] leases sorted set, KEYS[9] fires hash:
--         a run waiting for its turn (overlap=queue) or for its retry is dropped with its task
-- KEYS[10] placement sorted set (include/placement.lua)
-- ARGV ended_name_prefix  a freed name's record is this + name,
-- ARGV keep_ms            kept this long, ms (history_max_age), as is
-- ARGV no_retry_prefix    each kid's no-retry mark, this + kid: a run of it under way (a fired
--                         timer's too, which has left the hash) is not retried (finish.lua)
-- ARGV each kid           the tasks to remove
-- Returns { how many tasks existed and were removed, how many waiting runs were dropped } (a
-- fired timer is no task, but its retry waiting for its time is dropped and counted).
--#include include/generated.lua
--#include include/placement.lua
--#include include/cancel-waiting.lua
--#include include/ended-name.lua

local a = ARGS.del()
local p = placement_of(KEYS[10], KEYS[2], KEYS[8])
local waiting = { queued_key = KEYS[6], retrying_key = KEYS[7], fires_key = KEYS[9], placement = p }
local ended = { prefix = a.ended_name_prefix, keep_ms = a.keep_ms, no_retry_prefix = a.no_retry_prefix }
local removed, dropped = 0, 0
for _, item in ipairs(a.each) do
  local kid = item.kid
  local raw = redis.call('HGET', KEYS[1], kid)
  if raw then
    -- Its name, if it has one that is still its own (a task without one costs no decoding).
    if string.find(raw, '"name":', 1, true) then
      local ok, task = pcall(cjson.decode, raw)
      if ok and type(task) == 'table' and type(task.name) == 'string'
          and redis.call('HGET', KEYS[5], task.name) == kid then
        redis.call('HDEL', KEYS[5], task.name)
        name_ended(ended, task.name, kid)
      end
    end
    removed = removed + redis.call('HDEL', KEYS[1], kid)
    local set = label_set_of_raw(raw)
    if set ~= '' then unschedule_from(p, set, kid) end
  end
  redis.call('ZREM', KEYS[2], kid)
  redis.call('HDEL', KEYS[3], kid)
  redis.call('ZREM', KEYS[4], kid)
  dropped = dropped + cancel_waiting(waiting, kid)
  mark_no_retry(ended, kid)
end
placed_done(p)
return { removed, dropped }
