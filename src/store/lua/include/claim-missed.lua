-- claim-missed (included by claim.lua): the runs a due task does not fire (its daemons were down,
-- or -misfire=skip passed them over) put on record, one `missed` record per gap: its first due
-- time, the last one's, and how many (src/runs/record.ts). The reply's 'missed' entry tells the
-- daemon too (runed.log, ktimer_missed_runs_total). Each function takes the claim's state c.

-- The last run of the gap (ms): a ticker's along its grid; a cron task's, the latest of its due
-- time and the run times it carried (`carried`, as read) that are due now.
local function last_missed_ms(c, task, carried, first_ms, n)
  if task.type == 'ticker' then return first_ms + (n - 1) * period_ms_of(task.time) end
  local last = first_ms
  for _, t in ipairs(type(carried) == 'table' and carried or {}) do
    local ms = to_ms(t)
    if ms <= c.now_ms and ms > last then last = ms end
  end
  return last
end

-- Task `kid` did not fire n runs from first_ms on (its run times as read: carried); in the reply,
-- and on record.
local function record_missed(c, kid, task, carried, n, first_ms, next_ms)
  local policy = task.misfire or 'once'
  c.out[#c.out + 1] = { 'missed', kid, policy, n, first_ms, next_ms }
  local fire = {
    id = missed_id_of(kid, first_ms), kid = kid, type = task.type, kind = kind_of(task.command),
    due = to_sec(first_ms), name = type(task.name) == 'string' and task.name or nil,
  }
  local rec = run_record(fire, { owner = c.owner, result = OUTCOME.missed, finished_ms = c.now_int, error = 'misfire=' .. policy })
  rec.missed = n
  rec.last_due = to_sec(last_missed_ms(c, task, carried, first_ms, n))
  local _, id = record_run(c.history, rec)
  c.last_id = id or c.last_id
end
