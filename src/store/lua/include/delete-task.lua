-- delete-task (included by del.lua and apply.lua, whose KEYS are in one order): a task removed
-- by hand (del, apply --prune), with all it has: the hash entry and its place in the schedule or
-- the paused set, its last run, its name (its record kept for history by name,
-- include/ended-name.lua), its group's set entry, and its runs that wait
-- (include/cancel-waiting.lua); its kid is marked so that no run of it under way is retried. A
-- task with labels leaves its label set's schedule (include/placement.lua; the script calls
-- placed_done once at its end). Its history stays until it ages out, as a fired timer's does.
-- d = { pool, schedule, last, paused, names, group_prefix, placement = placement_of's p,
-- waiting = cancel_waiting's w, ended = ended-name's ended }: deletion_of makes it.

-- d for a script whose KEYS are del's, in its order (store/task-scripts.ts DELETE_KEYS: pool,
-- schedule, last, paused, names, queued, retrying, leases, fires, placement), and whose arguments
-- `a` carry group_prefix and what ended-name keeps (ended_name_prefix, keep_ms, no_retry_prefix).
local function deletion_of(keys, a)
  local p = placement_of(keys[10], keys[2], keys[8])
  return {
    pool = keys[1], schedule = keys[2], last = keys[3], paused = keys[4], names = keys[5],
    group_prefix = a.group_prefix, placement = p,
    waiting = { queued_key = keys[6], retrying_key = keys[7], fires_key = keys[9], placement = p },
    ended = { prefix = a.ended_name_prefix, keep_ms = a.keep_ms, no_retry_prefix = a.no_retry_prefix },
  }
end

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
    local set = label_set_of_raw(raw)
    if set ~= '' then unschedule_from(d.placement, set, kid) end
  end
  redis.call('ZREM', d.schedule, kid)
  redis.call('HDEL', d.last, kid)
  redis.call('ZREM', d.paused, kid)
  local dropped = cancel_waiting(d.waiting, kid)
  mark_no_retry(d.ended, kid)
  return removed, dropped
end
