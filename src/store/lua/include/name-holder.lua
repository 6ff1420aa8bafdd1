-- name-holder (included by add.lua, add_many.lua, update.lua and apply.lua): whether a task's name
-- is free. A name is held by the kid the names hash gives it while that kid's task is in the hash;
-- a name left behind by a kid no longer there (a corrupt task's removal) is free.

-- The kid of the task holding `name` (pool_key: the tasks' hash, names_key: the names hash), or nil.
local function name_holder(pool_key, names_key, name)
  local holder = redis.call('HGET', names_key, name)
  if holder and redis.call('HEXISTS', pool_key, holder) == 1 then return holder end
  return nil
end

-- The rows of a batch (add_many, apply) whose names live tasks hold: { i, holder, i, holder, ... }
-- (i from 1), for each row to which name_of(row) gives a name (nil: it takes none).
local function names_taken(pool_key, names_key, rows, name_of)
  local taken = {}
  for i, row in ipairs(rows) do
    local name = name_of(row)
    local holder = name and name_holder(pool_key, names_key, name)
    if holder then
      taken[#taken + 1] = i
      taken[#taken + 1] = holder
    end
  end
  return taken
end
