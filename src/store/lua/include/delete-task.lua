-- delete-task (included by del.lua and apply.lua): a task removed by hand (del, apply --prune),
-- with all it has: the hash entry and its place in the schedule or the paused set, its last run,
-- its name (its record kept for history by name, include/ended-name.lua), its group's set entry,
-- and its runs that wait (include/cancel-waiting.lua); its kid is marked so that no run of it
-- under way is retried. Its history stays until it ages out, as a fired timer's does.
-- d = { pool, schedule, last, paused, names, group_prefix, waiting = cancel_waiting's w,
-- ended = ended-name's ended }.

-- The task's name and group as stored (nil where none, or where it is not a task's JSON). A
-- task with neither costs no decoding.
local function name_and_group(raw)
  if not string.find(raw, '"name":', 1, true) and not string.find(raw, '"group":', 1, true) then
    return nil, nil
  end
  local ok, task = pcall(cjson.decode, raw)
  if not ok or type(task) ~= 'table' then return nil, nil end
  local name = type(task.name) == 'string' and task.name or nil
  return name, type(task.group) == 'string' and task.group or nil
end

-- Removes task `kid` as stored (raw, or nil when the hash has none: a fired timer's retry
-- waiting is dropped all the same). Returns how many tasks it removed (0 or 1) and how many
-- waiting runs it dropped.
local function delete_task(d, kid, raw)
  local removed = 0
  if raw then
    local name, group = name_and_group(raw)
    -- Its name, if it is still its own.
    if name and redis.call('HGET', d.names, name) == kid then
      redis.call('HDEL', d.names, name)
      name_ended(d.ended, name, kid)
    end
    if group then redis.call('SREM', d.group_prefix .. group, kid) end
    removed = redis.call('HDEL', d.pool, kid)
  end
  redis.call('ZREM', d.schedule, kid)
  redis.call('HDEL', d.last, kid)
  redis.call('ZREM', d.paused, kid)
  local dropped = cancel_waiting(d.waiting, kid)
  mark_no_retry(d.ended, kid)
  return removed, dropped
end
