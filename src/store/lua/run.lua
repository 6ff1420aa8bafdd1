-- run: fire a task once, now, by hand (`ktimer run`), leaving its schedule as it is (a paused
-- task too). The run takes the task's next run number and is handed out as a pending fire (no
-- owner) whose lease has run out, so the next claim of any one daemon takes it: exactly once.
-- A run by hand counts as a run (docs/schedules.md "How many runs"): a timer's is its one run,
-- and a ticker's or cron task's that makes up its -limit is its last; the task is then done at
-- once, as after its last scheduled run (it leaves the hash, the schedule, the paused set, its
-- name), and runs no more.
-- A task with -overlap=skip whose run is under way is not run; with queue, the run waits for it
-- (include/overlap.lua).
-- KEYS[1] pool hash, KEYS[2] leases sorted set, KEYS[3] fires hash
-- KEYS[4] running hash, KEYS[5] queued hash
-- KEYS[6] schedule sorted set, KEYS[7] paused sorted set, KEYS[8] names hash: where a task that is
--         done leaves (include/ended-name.lua)
-- ARGV kid                the task
-- ARGV now_ms             now, unix ms (whole)
-- ARGV ended_name_prefix  a task done holding a name records it as this + name -> kid,
-- ARGV keep_ms            kept this long (history_max_age)
-- Returns 0 (no such task), or { how, fire id, done }: how is 'fire' (handed out), 'queued' (waits
-- for the run under way), 'busy' (overlap=skip: not run; the fire id is the run under way's),
-- or 'corrupt' (the task's data is not a task; the fire id is ''); done is 1 when this run was the
-- task's last (it is done, gone from the task list), else 0.
--#include include/generated.lua
--#include include/overlap.lua
--#include include/fire-of.lua
--#include include/ended-name.lua

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
  if queued then return { 'queued', cjson.decode(queued).id, 0 } end
end
local run_num = (tonumber(task.run_num) or 0) + 1
local limit = tonumber(task.limit) or 0
local done = task.type == 'timer' or (limit > 0 and run_num >= limit)
task.run_num = run_num
if done then
  local ended = { prefix = a.ended_name_prefix, keep_ms = a.keep_ms }
  task_done(ended, { pool = KEYS[1], schedule = KEYS[6], paused = KEYS[7], names = KEYS[8] }, kid, task)
else
  -- cjson would write an empty list as {}: none is stored instead.
  if type(task.runs) == 'table' and #task.runs == 0 then task.runs = nil end
  redis.call('HSET', KEYS[1], kid, cjson.encode(task))
end
local fire = fire_of(kid, task, kind_of(task.command), now_ms, run_num, limit, now_ms)
fire.trigger = TRIGGER.manual
if keeps_one(task) and busy(overlap, kid) then
  fire.state = FIRE_STATE.queued
  redis.call('HSET', KEYS[5], kid, cjson.encode(fire))
  return { 'queued', fire.id, done and 1 or 0 }
end
fire.state = FIRE_STATE.pending
redis.call('HSET', KEYS[3], fire.id, cjson.encode(fire))
redis.call('ZADD', KEYS[2], now_ms, fire.id)
if keeps_one(task) then mark_running(overlap, kid, fire.id) end
return { 'fire', fire.id, done and 1 or 0 }
