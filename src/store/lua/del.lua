-- del: remove tasks from the hash and the schedule (or the paused set) together, and their last
-- run, name and group's set entry, and a task with labels its label set's schedule
-- (include/delete-task.lua, include/placement.lua). Their history stays until it ages out
-- (history_max_age), as a fired timer's does, and so does a freed name's record of its kid, for
-- history by name (include/ended-name.lua).
-- KEYS[1] pool hash, KEYS[2] schedule sorted set, KEYS[3] last-run hash, KEYS[4] paused sorted set
-- KEYS[5] names hash (task name -> kid)
-- KEYS[6] queued hash, KEYS[7] retrying hash, KEYS[8] leases sorted set, KEYS[9] fires hash:
--         a run waiting for its turn (overlap=queue) or for its retry is dropped with its task
-- KEYS[10] placement sorted set (include/placement.lua)
-- ARGV ended_name_prefix  a freed name's record is this + name,
-- ARGV keep_ms            kept this long, ms (history_max_age), as is
-- ARGV no_retry_prefix    each kid's no-retry mark, this + kid: a run of it under way (a fired
--                         timer's too, which has left the hash) is not retried (finish.lua)
-- ARGV group_prefix       a group's set of kids is this + group: a task leaves its group's set
-- ARGV each kid           the tasks to remove
-- Returns { how many tasks existed and were removed, how many waiting runs were dropped } (a
-- fired timer is no task, but its retry waiting for its time is dropped and counted).
--#include include/generated.lua
--#include include/placement.lua
--#include include/cancel-waiting.lua
--#include include/ended-name.lua
--#include include/delete-task.lua

local a = ARGS.del()
local d = deletion_of(KEYS, a)
local removed, dropped = 0, 0
for _, item in ipairs(a.each) do
  local r, w = delete_task(d, item.kid, redis.call('HGET', d.pool, item.kid))
  removed, dropped = removed + r, dropped + w
end
placed_done(d.placement)
return { removed, dropped }
