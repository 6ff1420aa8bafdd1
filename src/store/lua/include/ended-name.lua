-- ended-name (included by claim.lua, finish.lua, run.lua, del.lua and clear.lua, see
-- store/script.ts): what a task that left (a timer fired, a task at its limit, deleted, cleared)
-- leaves behind, for as long as its history is kept (history_max_age):
-- - the name it held, as prefix + name -> its kid, so that history and output by name go on
--   working (service/task-ref.ts resolveHistoryKid; the names hash, where a live task holds the
--   name, is read first);
-- - when it was deleted or cleared, its kid's no-retry mark: no run of it is retried, a fired
--   timer's run under way included (it left the hash already; finish.lua may_retry).
-- Each function takes ended = { prefix, keep_ms, no_retry_prefix }: keep_ms is history_max_age;
-- no_retry_prefix only where marks are made or read.
local function ended_key_ms(ended)
  return math.max(math.floor(ended.keep_ms), 1000)
end

-- The task `kid` left, holding `name`.
local function name_ended(ended, name, kid)
  redis.call('SET', ended.prefix .. name, kid, 'PX', ended_key_ms(ended))
end

-- Task `kid` (decoded: task) is done, its last run handed out (a timer fired, a task at its
-- -limit): it leaves the hash, the schedule and, where k names it, the paused set, and frees its
-- name if the name is still its own; the name stays on record as its kid's, for history and output
-- by name. k = { pool, schedule, names, paused (or nil) }: key names.
local function task_done(ended, k, kid, task)
  redis.call('ZREM', k.schedule, kid)
  if k.paused then redis.call('ZREM', k.paused, kid) end
  redis.call('HDEL', k.pool, kid)
  if type(task.name) == 'string' and redis.call('HGET', k.names, task.name) == kid then
    redis.call('HDEL', k.names, task.name)
    name_ended(ended, task.name, kid)
  end
end

-- A run of `kid` put on record after its task left (its last run ended, a retry, a run lost):
-- its history is kept history_max_age from now, and so is its name's record.
local function keep_ended_name(ended, name, kid)
  if type(name) ~= 'string' then return end
  local key = ended.prefix .. name
  if redis.call('GET', key) == kid then redis.call('PEXPIRE', key, ended_key_ms(ended)) end
end

-- Task `kid` was deleted (or cleared): none of its runs is retried from now on.
local function mark_no_retry(ended, kid)
  redis.call('SET', ended.no_retry_prefix .. kid, 1, 'PX', ended_key_ms(ended))
end

-- Whether task `kid` was deleted or cleared (mark_no_retry).
local function no_retry(ended, kid)
  return redis.call('EXISTS', ended.no_retry_prefix .. kid) == 1
end
