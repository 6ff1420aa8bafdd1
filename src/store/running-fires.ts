// The runs under way across the fleet, read from the fires hash (claim.lua, begin.lua and
// run.lua write it; runs/fire.ts says what a fire is): one HVALS, read-only. The hash holds only
// fires handed out and not yet on record, a few per daemon slot, so reading it whole is cheap;
// one task's (its page polls them) are its fields `kid:*`, found by HSCAN MATCH, the rest not sent.
import { isFireState, type RunningFire } from '../runs/fire.js';
import { hostPidOf } from '../runs/ids.js';
import type { RedisAccess } from './redis-access.js';

export type { RunningFire };

/** Fields of the fires hash one HSCAN step looks at. */
const SCAN_COUNT = 1000;

/** The runs under way (and about to start), oldest first: the fleet's, or task `kid`'s only. */
export async function runningFires(redis: RedisAccess, kid?: string): Promise<RunningFire[]> {
  const raw =
    kid === undefined ? await redis.call((c) => c.hvals(redis.keys.fires)) : await firesOf(redis, kid);
  const out: RunningFire[] = [];
  for (const json of raw) {
    const fire = readFire(json);
    if (fire) out.push(fire);
  }
  return out.sort((a, b) => (a.started_ms ?? a.due_ms) - (b.started_ms ?? b.due_ms));
}

/** The fires of one task: the hash's fields `kid:run` (runs/ids.ts fireIdOf), their JSON. */
async function firesOf(redis: RedisAccess, kid: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, flat] = await redis.call((c) =>
      c.hscan(redis.keys.fires, cursor, 'MATCH', `${kid}:*`, 'COUNT', SCAN_COUNT),
    );
    for (let i = 1; i < flat.length; i += 2) out.push(flat[i] as string);
    cursor = next;
  } while (cursor !== '0');
  return out;
}

function readFire(json: string): RunningFire | null {
  let v: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed !== 'object' || parsed === null) return null;
    v = parsed as Record<string, unknown>;
  } catch {
    return null;
  }
  const { id, kid, state, due } = v;
  if (typeof id !== 'string' || typeof kid !== 'string' || typeof due !== 'number') return null;
  if (!isFireState(state) || state === 'queued') return null;
  const fire: RunningFire = {
    fire_id: id,
    kid,
    state,
    due_ms: Math.round(due * 1000),
    trigger: v.trigger === 'manual' || v.trigger === 'retry' ? v.trigger : 'schedule',
    attempt: typeof v.attempt === 'number' ? v.attempt : 1,
  };
  if (typeof v.started === 'number') fire.started_ms = v.started;
  if (typeof v.owner === 'string' && v.owner !== '') Object.assign(fire, hostPidOf(v.owner));
  return fire;
}
