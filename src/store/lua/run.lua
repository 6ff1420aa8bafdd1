-- run: fire a task once, now, by hand (`ktimer run`), leaving its schedule as it is (a paused
-- task too). The run takes the task's next run number and is handed out as a pending fire (no
-- owner) whose lease has run out, so the next claim of any one daemon takes it: exactly once.
-- A task with -overlap=skip whose run is under way is not run; with queue, the run waits for it
-- (include/overlap.lua).
-- KEYS[1] pool hash, KEYS[2] leases sorted set, KEYS[3] fires hash
-- KEYS[4] running hash, KEYS[5] queued hash
-- ARGV kid     the task
-- ARGV now_ms  now, unix ms (whole)
-- Returns 0 (no such task), or { how, fire id }: how is 'fire' (handed out), 'queued' (waits
-- for the run under way), 'busy' (overlap=skip: not run; the fire id is the run under way's),
-- or 'corrupt' (the task's data is not a task; the fire id is '').
--#include include/generated.lua
--#include include/overlap.lua
--#include include/fire-of.lua

local a = ARGS.run()
local kid, now_ms = a.kid, a.now_ms
local overlap = { running_key = KEYS[4], queued_key = KEYS[5], fires_key = KEYS[3], leases_key = KEYS[2], now_ms = now_ms }

local raw = redis.call('HGET', KEYS[1], kid)
if not raw then return 0 end
local ok, task = pcall(cjson.decode, raw)
if not ok or type(task) ~= 'table' or type(task.command) ~= 'string' then return { 'corrupt', '' } end
if keeps_one(task) and busy(overlap, kid) then
  if task.overlap == 'skip' then return { 'busy', redis.call('HGET', KEYS[4], kid) } end
  local queued = redis.call('HGET', KEYS[5], kid)
  if queued then return { 'queued', cjson.decode(queued).id } end
end
local run_num = (tonumber(task.run_num) or 0) + 1
task.run_num = run_num
-- cjson would write an empty list as {}: none is stored instead.
if type(task.runs) == 'table' and #task.runs == 0 then task.runs = nil end
redis.call('HSET', KEYS[1], kid, cjson.encode(task))
local fire = fire_of(kid, task, kind_of(task.command), now_ms, run_num, tonumber(task.limit) or 0, now_ms)
fire.trigger = TRIGGER.manual
if keeps_one(task) and busy(overlap, kid) then
  fire.state = FIRE_STATE.queued
  redis.call('HSET', KEYS[5], kid, cjson.encode(fire))
  return { 'queued', fire.id }
end
fire.state = FIRE_STATE.pending
redis.call('HSET', KEYS[3], fire.id, cjson.encode(fire))
redis.call('ZADD', KEYS[2], now_ms, fire.id)
if keeps_one(task) then mark_running(overlap, kid, fire.id) end
return { 'fire', fire.id }
