-- cancel-waiting (included by del.lua, apply.lua, pause.lua and clear.lua): a task's runs that wait to be handed out,
-- dropped: its queued run (overlap=queue) and its retry, if no daemon has taken it yet (from the
-- leases, or its label set's pending runs: include/placement.lua).
-- cancel_waiting takes w = { queued_key, retrying_key, fires_key, placement }.
-- Returns how many it dropped (0 to 2).
local function cancel_waiting(w, kid)
  local dropped = redis.call('HDEL', w.queued_key, kid)
  local id = redis.call('HGET', w.retrying_key, kid)
  if not id then return dropped end
  redis.call('HDEL', w.retrying_key, kid)
  local ok, fire = pcall(cjson.decode, redis.call('HGET', w.fires_key, id) or '')
  if ok and type(fire) == 'table' and fire.state == FIRE_STATE.pending then
    redis.call('HDEL', w.fires_key, id)
    unpend_from(w.placement, label_set_of(fire), id)
    dropped = dropped + 1
  end
  return dropped
end
