-- ended-name (included by claim.lua, finish.lua, del.lua and clear.lua, see store/script.ts): the
-- name a task held when it left (a timer fired, a task at its limit, deleted, cleared) stays on
-- record as prefix + name -> its kid, for as long as its history is kept, so that history and
-- output by name go on working (service/task-ref.ts resolveHistoryKid; the names hash, where a
-- live task holds the name, is read first). The including script sets ENDED = { prefix,
-- keep_ms } (a local) first: keep_ms is history_max_age.
local function ended_key_ms()
  return math.max(math.floor(ENDED.keep_ms), 1000)
end

-- The task `kid` left, holding `name`.
local function name_ended(name, kid)
  redis.call('SET', ENDED.prefix .. name, kid, 'PX', ended_key_ms())
end

-- A run of `kid` put on record after its task left (its last run ended, a retry, a run lost):
-- its history is kept history_max_age from now, and so is its name's record.
local function keep_ended_name(name, kid)
  if type(name) ~= 'string' then return end
  local key = ENDED.prefix .. name
  if redis.call('GET', key) == kid then redis.call('PEXPIRE', key, ended_key_ms()) end
end
