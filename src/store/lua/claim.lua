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
-- It takes the tasks due a few ms ahead too (due_by_ms), started at their due time by the daemon.
-- Last, who polls: of the daemons holding one label set, one (the poller) claims at each due
-- time and the others every 250 ms (runs/fire.ts NON_POLLER_CLAIM_MS), so that several daemons
-- do not each make a claim that finds nothing (issue 28). The role is the caller's if nobody else holds it, for poll_ms; a daemon
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
-- KEYS[15] poller role prefix (prefix + labels -> 'OWNER UNTIL_MS', expiring then)
-- KEYS[16] unread prefix (prefix + owner -> 'SEQ FIRE_ID ...', expiring): the fires the last claim
--          that began any began, until the daemon says it read that claim's reply
-- KEYS[17] shardLease string: the shard's lease holder (include/claim-fence.lua)
-- ARGV now_ms             now, unix ms, with its fraction (the daemon's Redis-synchronised clock)
-- ARGV now_sec            the same in unix seconds, as text
-- ARGV due_by_ms          due tasks are claimed up to this (unix ms: CLAIM_AHEAD_MS after now_ms,
-- ARGV due_by_sec         src/runs/fire.ts), and in seconds as text; leases, expiry, misfire: now
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
-- ARGV polling          flag: it was the poller at its last claim (include/claim-left.lua who_polls)
-- ARGV begin_keep_ms      > 0: the fires claimed are begun too (started, as begin.lua does), their
--                         lease held this long; 0: leased for lease_ms, begun by begin.lua
-- ARGV claim_seq          this claim's number, counted by its daemon from 1,
-- ARGV acked_seq          and the last one whose reply it read: fires begun by a claim after that
--                         one are in this reply again (include/claim-lease.lua redeliver)
-- ARGV fenced             flag: claim as the shard's holder, refused unless owner holds KEYS[17]
-- Returns { next_score, next_lease_ms, due_left, poller, entry, entry, ... }:
--   next_score     the earliest schedule score left (unix seconds as stored, a string), or false
--   next_lease_ms  the earliest lease deadline left (unix ms), or -1
--   due_left       DUE_LEFT's code (src/runs/fire.ts): none, nothing due is left; room, what is
--                  due waits for room; more, this claim stopped at its budget with room left
--                  (claim again at once); fenced, refused: the caller does not hold the shard's
--                  lease (include/claim-fence.lua)
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
--#include include/claim-left.lua
--#include include/claim-state.lua
--#include include/claim-fence.lua

local a = ARGS.claim()
if fenced_out(a.fenced, KEYS[17], a.owner) then return fenced_reply() end
local c = claim_state(a, KEYS)
local now_int = c.now_int

-- The label sets due (their schedule or pending runs) that this daemon may run: none to look for
-- when the registry's earliest is not due (or it is empty, c.no_sets: as most fleets' is).
local sets, first = {}, redis.call('ZRANGE', KEYS[14], '0', '0', 'WITHSCORES')
c.no_sets = not first[2]
if first[2] and tonumber(first[2]) <= a.due_by_ms then
  for _, set in ipairs(redis.call('ZRANGEBYSCORE', KEYS[14], '-inf', a.due_by_ms)) do
    if holds_all(c.held, set) then sets[#sets + 1] = set end
  end
end
local sources = { source_of(KEYS[2], '') }
for _, set in ipairs(sets) do sources[#sources + 1] = source_of(schedule_key(c.place, set), set) end

-- 0. What this daemon's earlier claims began and it never read.
redeliver(c)
-- 1. Leases that ran out: take the leased and pending ones over, record the begun ones lost.
take_lapsed(c, sets)
-- 2 and 3. Due tasks, each by its plan.
local skipped = claim_due(c, sources)
-- A run put on record made c.history (include/claim-state.lua): trimmed once, here.
if rawget(c, 'history') then trim_runs(c.history, c.last_id) end
placed_done(c.place)
keep_unread(c)

-- 4. What is left, and when to look again (include/claim-left.lua).
local out = what_is_left(c, sources, skipped)

-- 5. Who polls (see the top).
who_polls(c, out, KEYS[15] .. (a.labels or ''), a.poll_ms, a.polling)
return out
