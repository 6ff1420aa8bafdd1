-- del: remove tasks from the hash and the schedule (or the paused set) together, and their last
-- run and name. Their history stays until it ages out (history_max_age), as a fired timer's does,
-- and so does a freed name's record of its kid, for history by name (include/ended-name.lua).
-- KEYS[1] pool hash, KEYS[2] schedule sorted set, KEYS[3] last-run hash, KEYS[4] paused sorted set
-- KEYS[5] names hash (task name -> kid)
-- KEYS[6] queued hash, KEYS[7] retrying hash, KEYS[8] leases sorted set, KEYS[9] fires hash:
--         a run waiting for its turn (overlap=queue) or for its retry is dropped with its task
-- ARGV[1] ended-name key prefix (+ name), ARGV[2] how long a name's record is kept, ms
--         (history_max_age)
-- ARGV[3] no-retry key prefix (+ kid): set for each kid given, for ARGV[2], so that a run of it
--         under way (a fired timer's too, which has left the hash) is not retried (finish.lua)
-- ARGV[4..] kids
-- Returns { how many tasks existed and were removed, how many waiting runs were dropped } (a
-- fired timer is no task, but its retry waiting for its time is dropped and counted).
local WAITING = { queued_key = KEYS[6], retrying_key = KEYS[7], leases_key = KEYS[8], fires_key = KEYS[9] }
--#include include/cancel-waiting.lua
local ENDED = { prefix = ARGV[1], keep_ms = tonumber(ARGV[2]), no_retry_prefix = ARGV[3] }
--#include include/ended-name.lua
local removed, dropped = 0, 0
for i = 4, #ARGV do
  local kid = ARGV[i]
  local raw = redis.call('HGET', KEYS[1], kid)
  if raw then
    -- Its name, if it has one that is still its own (a task without one costs no decoding).
    if string.find(raw, '"name":', 1, true) then
      local ok, task = pcall(cjson.decode, raw)
      if ok and type(task) == 'table' and type(task.name) == 'string'
          and redis.call('HGET', KEYS[5], task.name) == kid then
        redis.call('HDEL', KEYS[5], task.name)
        name_ended(task.name, kid)
      end
    end
    removed = removed + redis.call('HDEL', KEYS[1], kid)
  end
  redis.call('ZREM', KEYS[2], kid)
  redis.call('HDEL', KEYS[3], kid)
  redis.call('ZREM', KEYS[4], kid)
  dropped = dropped + cancel_waiting(kid)
  mark_no_retry(kid)
end
return { removed, dropped }
