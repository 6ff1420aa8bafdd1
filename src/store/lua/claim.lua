-- claim: take the fires that are due, atomically, so that each fire goes to exactly one daemon
-- even when many share this Redis. A claimed fire is leased to its daemon until it is begun
-- (begin.lua); a lease that runs out (the daemon died, or its reply was lost) is taken over.
-- Each due task is moved on in the same step: a timer is removed; a ticker goes to the next slot
-- of its grid (first due + n x interval); a cron task to the next of the run times it carries
-- (computed ahead by the daemon, refill.lua). Runs missed by a late claim follow the task's
-- misfire policy (once, skip, all). A run of a task with -overlap=skip|queue that comes due while
-- the task's previous run is under way is skipped (on record) or queued (include/overlap.lua).
-- Fires handed out without an owner (a run by hand, run.lua; a retry, finish.lua; a queued run)
-- wait in the leases set as pending until their time, and are taken here like a lapsed lease.
-- Placement (include/placement.lua): a task with labels is claimed only by a daemon holding them
-- all, from its label set's schedule, merged by due time with the schedule; its runs handed out
-- without an owner wait in its label set's pending runs. Other daemons never look at either.
-- Its phases are includes: lapsed leases, the plan of a due task, due tasks, what is left.
-- Last, who polls: of the daemons holding one label set, one (the poller) claims at each due
-- time and the others once a second, so that several daemons do not each make a claim that finds
-- nothing (issue 28). The role is the caller's if nobody else holds it, for poll_ms; a daemon
-- leaving due work for lack of room gives it up, so that one with room takes it.
-- KEYS[1] pool hash (kid -> task JSON)
-- KEYS[2] schedule sorted set (kid -> run_nexttime, unix seconds)
-- KEYS[3] leases sorted set (fire id -> deadline, unix ms)
-- KEYS[4] fires hash (fire id -> fire JSON)
-- KEYS[5] runs stream, KEYS[6] last-run hash (include/run-record.lua)
-- KEYS[7] names hash (task name -> kid): a task removed here frees its name, which stays on
--         record for its history (include/ended-name.lua)
-- KEYS[8] running hash, KEYS[9] queued hash (include/overlap.lua), KEYS[10] retrying hash
--         (kid -> its retry waiting: taken here, it no longer waits; a lost run's retry, made here)
-- KEYS[11] paused sorted set: a lost run of a task paused meanwhile is not retried (include/retry.lua)
-- KEYS[12] outputBytes counter, KEYS[13] outputSwept stream id: the output budget
--          (include/run-record.lua)
-- KEYS[14] placement sorted set (label set -> its earliest time: include/placement.lua)
-- KEYS[15] poller role prefix (prefix + labels -> the poller's owner id, expiring)
-- KEYS[16] unread prefix (prefix + owner: hash fire id -> the claim that began it, expiring): the
--          fires a claim began, until the daemon says it read that claim's reply
-- ARGV now_ms             now, unix ms, with its fraction (the daemon's Redis-synchronised clock)
-- ARGV owner              the claiming daemon's id (host:pid:tag)
-- ARGV labels             the labels it holds, separated by commas ('' none): it claims only what
--                         needs none of the others
-- ARGV lease_ms           how long a claimed fire waits for its begin
-- ARGV max_shell          shell fires to claim at most, and
-- ARGV max_url            URL fires
-- ARGV expire_limit_sec   task_expire_limit (0 = never drop)
-- ARGV max_skip           due tasks whose kind has no room that may be passed over to reach
--                         tasks of the other kind behind them
-- ARGV cron_low_water     a cron task carrying fewer run times than this is to be refilled
-- ARGV lost_after_ms      task_lost_after: no begun fire is recorded lost within this long of a
--                         Redis restart (its daemon could not renew its lease while Redis was down)
-- ARGV history_prefix     each task's history list is this + kid (sharing KEYS[1]'s hash tag),
-- ARGV per_task           with this many records at most,
-- ARGV max_age_ms         none older than this; the runs stream keeps
-- ARGV max_runs           this many runs (include/run-record.lua)
-- ARGV streak_prefix      each task's failures in a row are this + kid
-- ARGV ended_name_prefix  the kid of a task that left holding a name is this + name, kept for
--                         max_age_ms (include/ended-name.lua)
-- ARGV output_prefix      each run's output is this + fire id, and all of them together
-- ARGV max_output         at most this many bytes (the oldest dropped first; 0: none kept)
-- ARGV no_retry_prefix    a deleted or cleared task's mark is this + kid: its lost run is not
--                         retried (include/ended-name.lua, include/retry.lua)
-- ARGV poll_ms            how long the poller role lasts (from now_ms) unless its holder claims again
-- ARGV begin_keep_ms      > 0: the fires claimed are begun too (started, as begin.lua does), their
--                         lease held this long; 0: leased for lease_ms, begun by begin.lua
-- ARGV claim_seq          this claim's number, counted by its daemon from 1,
-- ARGV acked_seq          and the last one whose reply it read: fires begun by a claim after that
--                         one are in this reply again (include/claim-lease.lua redeliver)
-- Returns { next_score, next_lease_ms, due_left, poller, entry, entry, ... }:
--   next_score     the earliest schedule score left (unix seconds as stored, a string), or false
--   next_lease_ms  the earliest lease deadline left (unix ms), or -1
--   due_left       0: nothing due is left; 1: what is due waits for room; 2: this claim stopped
--                  at its budget with room left (claim again at once)
--   poller         1: this daemon is its label set's poller (claim at the next due time); 0: another
--                  daemon is, or this one waits for room (claim at the next whole second)
-- and each entry is a flat array:
--   { 'fire', fire_json }           claimed: run it after begin.lua (state leased), or at once
--                                   (started: begun here); its kind (shell or url) is decided
--                                   here, once
--   { 'expired', kid, task_json }   a timer overdue beyond the expire limit: removed, not run
--   { 'corrupt', kid, raw }         task data that is not a valid task: removed
--   { 'lost', record_row, streak }  begun by a daemon that vanished before it finished: put on
--                                   record as lost (history, runs, last run); retried as a failed
--                                   attempt is (the record's retry_at says when), else not run
--                                   again; streak: the task's failures in a row now
--   { 'skipped', record_row }       came due while the task's previous run was under way
--                                   (overlap skip, or queue with one queued already): on record
--   { 'missed', kid, policy, n, first_due_ms, next_due_ms }
--                                   n runs of a ticker or cron task not fired (once: all but
--                                   the one fired; skip: all; all: beyond 100), from the first;
--                                   the next due is next_due_ms; on record as one `missed`
--                                   run (include/claim-missed.lua)
--   { 'refill', kid, task_json }    a cron task that needs more run times (refill.lua)
--#include include/generated.lua
--#include include/placement.lua
--#include include/run-record.lua
--#include include/ended-name.lua
--#include include/overlap.lua
--#include include/retry.lua
--#include include/fire-of.lua
--#include include/claim-lease.lua
--#include include/claim-lapsed.lua
--#include include/claim-plan.lua
--#include include/claim-missed.lua
--#include include/claim-task.lua
--#include include/claim-due.lua

local a = ARGS.claim()
-- Leases and tokens are in whole ms.
local now_int = math.floor(a.now_ms)
-- The claim's state, handed to each phase.
local c = {
  keys = {
    pool = KEYS[1], schedule = KEYS[2], leases = KEYS[3], fires = KEYS[4], names = KEYS[7], retrying = KEYS[10],
    unread = KEYS[16] .. a.owner,
  },
  now_ms = a.now_ms, now = a.now_ms / 1000, now_int = now_int, owner = a.owner, lease_ms = a.lease_ms,
  begin_keep_ms = a.begin_keep_ms, claim_seq = a.claim_seq, acked_seq = a.acked_seq,
  room = { shell = a.max_shell, url = a.max_url }, expire_limit_sec = a.expire_limit_sec,
  max_skip = a.max_skip, low_water = a.cron_low_water, lost_after_ms = a.lost_after_ms,
  history = {
    prefix = a.history_prefix, per_task = a.per_task, max_age_ms = a.max_age_ms, max_runs = a.max_runs,
    now_ms = now_int, runs_key = KEYS[5], last_key = KEYS[6], streak_prefix = a.streak_prefix,
    output_prefix = a.output_prefix, output_bytes_key = KEYS[12], output_swept_key = KEYS[13],
    max_output = a.max_output,
  },
  ended = { prefix = a.ended_name_prefix, keep_ms = a.max_age_ms, no_retry_prefix = a.no_retry_prefix },
  -- Where a task or a run waits for a daemon that may run it, and what this daemon holds.
  place = placement_of(KEYS[14], KEYS[2], KEYS[3]), held = {},
  -- The reply; leases handed out (each gets its own token); a task moved on to a time still due.
  out = { false, -1, 0, 0 }, seq = 0, catching_up = false,
}
c.overlap = { running_key = KEYS[8], queued_key = KEYS[9], fires_key = KEYS[4], placement = c.place, now_ms = now_int }
-- A lost run's retry (include/retry.lua), decided as finish.lua decides a failed one's, and placed
-- as any run handed out without an owner.
c.retries = {
  pool_key = KEYS[1], paused_key = KEYS[11], fires_key = KEYS[4], retrying_key = KEYS[10],
  running_key = KEYS[8], ended = c.ended, placement = c.place, now_ms = now_int,
}
for label in string.gmatch(a.labels or '', '[^,]+') do c.held[label] = true end

-- The label sets due (their schedule or pending runs) that this daemon may run.
local sets = {}
for _, set in ipairs(redis.call('ZRANGEBYSCORE', KEYS[14], '-inf', a.now_ms)) do
  if holds_all(c.held, set) then sets[#sets + 1] = set end
end
local sources = { source_of(KEYS[2], '') }
for _, set in ipairs(sets) do sources[#sources + 1] = source_of(schedule_key(c.place, set), set) end

-- The earliest time of the first label set in the registry this daemon may run, merged into the
-- reply (its schedule's score as stored, its pending runs' deadline in ms).
local function next_placed(out)
  for from = 0, math.huge, 64 do
    local page = redis.call('ZRANGE', KEYS[14], from, from + 63)
    if #page == 0 then return end
    for _, set in ipairs(page) do
      if holds_all(c.held, set) then
        local head = redis.call('ZRANGE', schedule_key(c.place, set), 0, 0, 'WITHSCORES')
        if head[2] and (not out[1] or tonumber(head[2]) < tonumber(out[1])) then out[1] = head[2] end
        local waiting = redis.call('ZRANGE', pending_key(c.place, set), 0, 0, 'WITHSCORES')
        if waiting[2] and (out[2] < 0 or tonumber(waiting[2]) < out[2]) then out[2] = tonumber(waiting[2]) end
        return
      end
    end
  end
end

-- 0. What this daemon's earlier claims began and it never read.
redeliver(c)
-- 1. Leases that ran out: take the leased and pending ones over, record the begun ones lost.
take_lapsed(c, sets)
-- 2 and 3. Due tasks, each by its plan.
local skipped = claim_due(c, sources)
trim_runs(c.history, c.last_id)
placed_done(c.place)
-- A daemon that never claims again leaves nothing behind: its unread fires go lost on their own.
if c.unread then redis.call('PEXPIREAT', c.keys.unread, now_int + c.begin_keep_ms) end

-- 4. What is left, and when to look again: the earliest schedule score (exact, as stored) and
-- lease deadline. Due tasks beyond those passed over, with room and allowance left, mean the
-- budget ran out: go on at once. Anything else still due (passed over, or a lease that ran out)
-- waits for room.
local out = c.out
out[3] = due_left(c, sources, c.room.shell + c.room.url > 0 and skipped <= c.max_skip)
local head = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if head[2] then out[1] = head[2] end
local lease_head = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
if lease_head[2] then out[2] = tonumber(lease_head[2]) end
next_placed(out)
if out[2] >= 0 and out[2] <= now_int and out[3] == 0 then out[3] = 1 end

-- 5. Who polls (see the top).
local poller_key = KEYS[15] .. (a.labels or '')
local poller = redis.call('GET', poller_key)
if out[3] == 1 then
  if poller == a.owner then redis.call('DEL', poller_key) end
elseif not poller or poller == a.owner then
  redis.call('SET', poller_key, a.owner, 'PXAT', now_int + a.poll_ms)
  out[4] = 1
end
return out
