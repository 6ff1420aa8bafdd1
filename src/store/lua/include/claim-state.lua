-- claim-state (included by claim.lua): the claim's state c, handed to each phase, made from its
-- arguments a (ARGS.claim) and K, claim.lua's KEYS.

-- The parts of c that most claims never use, made on first use (c's metatable) from its
-- arguments c.a and keys c.K: the history's (a run the claim puts on record: lost, skipped,
-- missed), what a task that left leaves behind (include/ended-name.lua), overlap's (a task that
-- keeps one run at a time) and a lost run's retry (include/retry.lua, decided as finish.lua
-- decides a failed one's, placed as any run handed out without an owner). Each table made costs a
-- claim as much as a command; the settings they read (kind `setting`) are converted here.
local LAZY = {
  history = function(c)
    local a, K = c.a, c.K
    return {
      prefix = a.history_prefix, per_task = tonumber(a.per_task), max_age_ms = tonumber(a.max_age_ms),
      max_runs = tonumber(a.max_runs), now_ms = c.now_int, runs_key = K[5], last_key = K[6],
      streak_prefix = a.streak_prefix, output_prefix = a.output_prefix, output_bytes_key = K[12],
      output_swept_key = K[13], max_output = tonumber(a.max_output),
    }
  end,
  overlap = function(c)
    local K = c.K
    return { running_key = K[8], queued_key = K[9], fires_key = K[4], placement = c.place, now_ms = c.now_int }
  end,
  ended = function(c)
    local a = c.a
    return { prefix = a.ended_name_prefix, keep_ms = tonumber(a.max_age_ms), no_retry_prefix = a.no_retry_prefix }
  end,
  retries = function(c)
    local K = c.K
    return {
      pool_key = K[1], paused_key = K[11], fires_key = K[4], retrying_key = K[10],
      running_key = K[8], ended = c.ended, placement = c.place, now_ms = c.now_int,
    }
  end,
}
local LAZY_PARTS = {
  __index = function(c, name)
    local make = LAZY[name]
    if not make then return nil end
    local part = make(c)
    rawset(c, name, part)
    return part
  end,
}

local function claim_state(a, K)
  -- Leases and tokens are in whole ms.
  local now_int = math.floor(a.now_ms)
  -- The claim's state, handed to each phase.
  local c = {
    a = a, K = K,
    keys = {
      pool = K[1], schedule = K[2], leases = K[3], fires = K[4], names = K[7], retrying = K[10],
      unread = K[16] .. a.owner,
    },
    -- now in the schedule's unit (seconds), and in whole ms, as text: handed to commands as they
    -- are (Redis would format a Lua number with %.17g at each call).
    now_ms = a.now_ms, now = a.now_ms / 1000, now_sec = a.now_sec, now_int = now_int,
    -- Due tasks are claimed up to here (claim.lua: claimed ahead), leases and expiry on now.
    due_by_ms = a.due_by_ms, due_by_sec = a.due_by_sec,
    now_text = string.format('%d', now_int), owner = a.owner, lease_ms = a.lease_ms,
    begin_keep_ms = a.begin_keep_ms, claim_seq = a.claim_seq, acked_seq = a.acked_seq,
    room = { shell = a.max_shell, url = a.max_url }, expire_limit_sec = a.expire_limit_sec,
    max_skip = a.max_skip,
    -- Where a task or a run waits for a daemon that may run it, and what this daemon holds.
    place = placement_of(K[14], K[2], K[3]), held = {},
    -- The reply; leases handed out (each gets its own token); a task moved on to a time still due.
    out = { false, -1, DUE_LEFT.none, 0 }, seq = 0, catching_up = false,
  }
  if a.labels ~= '' then
    for label in string.gmatch(a.labels, '[^,]+') do c.held[label] = true end
  end
  return setmetatable(c, LAZY_PARTS)
end
