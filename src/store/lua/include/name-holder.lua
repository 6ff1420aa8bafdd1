-- name-holder (included by add.lua, add_many.lua, update.lua and apply.lua): whether a task's name
-- is free. A name is held by the kid the names hash gives it while that kid's task is in the hash;
-- a name left behind by a kid no longer there (a corrupt task's removal) is free.

-- The kid of the task holding `name` (pool_key: the tasks' hash, names_key: the names hash), or nil.
local function name_holder(pool_key, names_key, name)
  local holder = redis.call('HGET', names_key, name)
  if holder and redis.call('HEXISTS', pool_key, holder) == 1 then return holder end
  return nil
end
