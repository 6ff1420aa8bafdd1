-- claim-fence (included by claim.lua): with schedule shards, a daemon claims a shard it holds only
-- while it holds that shard's lease (lua/shard_lease.lua, docs/shards.md). A daemon paused past
-- its lease (SIGSTOP, a GC stall, a slow VM) while another took the shard is refused here, in the
-- claim itself, not at its keeper's next look. One shard (no fence asked): no read at all.

-- Whether this claim is refused: it asks for the fence and `owner` does not hold `lease_key`.
local function fenced_out(fenced, lease_key, owner)
  return fenced and redis.call('GET', lease_key) ~= owner
end

-- The reply of a refused claim: nothing claimed, nothing due known, due_left fenced.
local function fenced_reply()
  return { false, -1, DUE_LEFT.fenced, 0 }
end
